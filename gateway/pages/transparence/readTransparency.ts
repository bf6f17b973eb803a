import type { AnonymousQuery, AnonymousQueryOptions } from '../../catalog/anonymousQuery.ts';
import { sharedReads, type DataFreshness } from '../../cache/sharedReads.ts';

export interface TransparencyValue {
  /** First day of the period, YYYY-MM-DD. */
  period: string;
  value: number;
}

export interface TransparencyIndicator {
  id: string;
  name: string;
  definition: string;
  method: string;
  unit: string;
  periodicity: string;
  ownerService: string;
  source: string;
  synthetic: boolean;
  values: TransparencyValue[];
}

export interface DecisionStep {
  step: number;
  title: string;
  explanation: string;
  who: string;
  typicalDuration: string | null;
}

export interface DecisionProcess {
  id: string;
  title: string;
  summary: string;
  synthetic: boolean;
  steps: DecisionStep[];
}

export type DatasetRequestStatus = 'RECEIVED' | 'PLANNED' | 'PUBLISHED' | 'DECLINED';

export interface DatasetRequest {
  id: string;
  title: string;
  description: string;
  status: DatasetRequestStatus;
  statusReason: string | null;
  votes: number;
  createdAt: string;
  synthetic: boolean;
}

/** What the dashboard shows, as the open contract gives it, and when it was read. */
export interface Transparency {
  indicators: TransparencyIndicator[];
  processes: DecisionProcess[];
  requests: DatasetRequest[];
  readAt: Date;
}

/**
 * The dashboard's one operation. Only open fields are asked for: the requester's identity (`requestedBy`,
 * restricted) is never requested, so it cannot reach the page whatever the access filter does.
 */
export const TRANSPARENCY_QUERY = `query TransparencyDashboard {
  transparencyIndicators { id name definition method unit periodicity ownerService source synthetic values { period value } }
  decisionProcesses { id title summary synthetic steps { step title explanation who typicalDuration } }
  datasetRequests { id title description status statusReason votes createdAt synthetic }
}`;

/** Reads the dashboard's data as an anonymous caller; the lists come in the contract's order (steps sorted by position). */
export async function readTransparency(query: AnonymousQuery, options: AnonymousQueryOptions): Promise<Transparency> {
  const data = await query(TRANSPARENCY_QUERY, {}, options);
  const processes = ((data.decisionProcesses ?? []) as DecisionProcess[]).map((p) => ({ ...p, steps: [...p.steps].sort((a, b) => a.step - b.step) }));
  return { indicators: data.transparencyIndicators ?? [], processes, requests: data.datasetRequests ?? [], readAt: new Date() };
}

/** A read shared by every request for `ttlMs`; concurrent requests after it expired wait for one new read. */
export type TransparencyReader = (options: AnonymousQueryOptions, request?: object) => Promise<Transparency>;

/**
 * Caches the dashboard's read for `ttlMs` and, with `freshness`, only until a write is heard (gateway/cache/
 * sharedReads.ts: a moderation or a new request shows on the next read). No stale copy is ever served after
 * that: a failed read is the requester's error, and the next request tries again. The read that renews it is
 * made for the request that found it expired (its client's budget, its request id).
 */
export function cachedTransparency(query: AnonymousQuery, ttlMs: number, freshness?: DataFreshness, now: () => number = Date.now): TransparencyReader {
  const reads = sharedReads<Transparency>({ ttlMs, maxEntries: 1, freshness, now });
  return (options, request) => reads('', () => readTransparency(query, options), request);
}
