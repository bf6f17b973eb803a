import type { Knex } from 'knex';
import type { Migration } from '../migrate.ts';
import * as runs from './migrations/001_runs.ts';
import type { IngestReport } from './types.ts';
import { countIngestRun } from '../observability/metrics.ts';

/** The ingest history's schema; every database that holds a producer holds it (like the audit log). */
export const INGEST_MIGRATIONS: Migration[] = [runs];

export type Channel = 'cli' | 'push' | 'mutation' | 'pull';

export interface RunRecord {
  producer: string;
  channel: Channel;
  sourceName?: string;
  url?: string;
  status: 'committed' | 'refused' | 'failed' | 'unchanged';
  report?: IngestReport;
  startedAt: Date;
  durationMs: number;
  etag?: string | null;
  lastModified?: string | null;
  error?: string;
  actor?: string;
}

export async function recordRun(knex: Knex, run: RunRecord): Promise<void> {
  const r = run.report;
  await knex('ingest.run').insert({
    producer: run.producer,
    channel: run.channel,
    source_name: run.sourceName ?? null,
    url: run.url ?? null,
    format: r?.format ?? null,
    encoding: r?.encoding ?? null,
    status: run.status,
    read: r?.read ?? 0,
    inserted: r?.inserted ?? 0,
    updated: r?.updated ?? 0,
    unchanged: r?.unchanged ?? 0,
    skipped: r?.skipped.reduce((n, s) => n + s.count, 0) ?? 0,
    rejected: r?.rejected.length ?? 0,
    started_at: run.startedAt.toISOString(),
    duration_ms: Math.round(run.durationMs),
    etag: run.etag ?? null,
    last_modified: run.lastModified ?? null,
    error: run.error ?? null,
    actor: run.actor ?? null,
  });
  countIngestRun(run);
}

/** The validators of the last pull of a source that brought its content (for a conditional request). */
export async function lastPull(knex: Knex, producer: string, sourceName: string): Promise<{ etag: string | null; last_modified: string | null } | undefined> {
  return knex('ingest.run')
    .where({ producer, source_name: sourceName, channel: 'pull' })
    .whereIn('status', ['committed', 'unchanged'])
    .where((q) => q.whereNotNull('etag').orWhereNotNull('last_modified'))
    .orderBy('started_at', 'desc')
    .first('etag', 'last_modified');
}

export interface RunRow {
  id: number;
  producer: string;
  channel: Channel;
  source_name: string | null;
  url: string | null;
  format: string | null;
  encoding: string | null;
  status: string;
  read: number;
  inserted: number;
  updated: number;
  unchanged: number;
  skipped: number;
  rejected: number;
  started_at: string | Date;
  duration_ms: number;
  error: string | null;
}

/** Runs of some producers (all when `producers` is null), newest first, `limit + 1` of them after `beforeId`. */
export async function runsOf(knex: Knex, filter: { producers: string[] | null; limit: number; beforeId: number | null }): Promise<RunRow[]> {
  const query = knex('ingest.run').select('id', 'producer', 'channel', 'source_name', 'url', 'format', 'encoding', 'status', 'read', 'inserted', 'updated', 'unchanged', 'skipped', 'rejected', 'started_at', 'duration_ms', 'error').orderBy('id', 'desc').limit(filter.limit + 1);
  if (filter.producers) query.whereIn('producer', filter.producers);
  if (filter.beforeId) query.where('id', '<', filter.beforeId);
  return query;
}
