import type { AnonymousQuery, AnonymousQueryOptions } from '../../catalog/anonymousQuery.ts';
import type { OpenData, OpenDataset } from '../../catalog/readOpenData.ts';
import type { OpenDataReader } from '../../catalog/openDataCache.ts';
import type { OpenCollection } from '../../opendata/openCollection.ts';
import { renderQuery, type ArgumentValues, type SamplePath } from './sampleQuery.ts';

/** The quality control of the validated citizen sensors, as the open contract gives it (`CitizenSensor.quality`). */
export interface SensorQualitySummary {
  sensors: number;
  scored: number;
  min?: number;
  median?: number;
  max?: number;
  /** Hours flagged, by flag code. */
  flags: [string, number][];
  lastComputedAt?: string;
}

/** What the page shows that changes with the data: every value read as an anonymous caller. */
export interface LiveMetadata {
  openData: OpenData;
  /** A commune's EPCI (`Territory.parent`), for the territory filter. */
  parents: Map<string, string>;
  /** Sample keys ("Territory.code" → a code) the ready queries need. */
  keys: Map<string, string>;
  /** Records of each open collection, when its size is known without reading a long series. */
  counts: Map<string, number | undefined>;
  /** Values of each transparency indicator (`TransparencyIndicator.values`), by catalogue dataset id. */
  indicatorValues: Map<string, number>;
  /** Open health values and how many statistical secrecy withheld (the collection's `suppressed`). */
  healthSecrecy?: { values: number; suppressed: number };
  sensorQuality?: SensorQualitySummary;
  readAt: Date;
}

export interface LiveSources {
  query: AnonymousQuery;
  openData: OpenDataReader;
  collections: OpenCollection[];
  /** The paths that list the keys sample queries need (sampleQuery.ts `keySources`). */
  keySources: Map<string, SamplePath>;
}

/** Days before a series' last day that a sample query's window starts: a week of records. */
const WINDOW_DAYS = 7;

/** A week ending on the dataset's last day; the latest of every dataset's when it has no dates of its own. */
export function windowOf(datasets: OpenDataset[], everyDataset: OpenDataset[]): ArgumentValues['window'] {
  const ends = (list: OpenDataset[]) => list.map((d) => d.temporal?.end?.slice(0, 10)).filter((d): d is string => Boolean(d)).sort();
  const end = ends(datasets).at(-1) ?? ends(everyDataset).at(-1) ?? new Date().toISOString().slice(0, 10);
  const from = new Date(Date.parse(`${end}T00:00:00Z`) - (WINDOW_DAYS - 1) * 86_400_000).toISOString().slice(0, 10);
  return { from, to: end };
}

/** The first value at the end of a path in an answer (lists give their first item). */
function firstAt(data: unknown, path: SamplePath): unknown {
  let node: any = data;
  for (const key of [...path.steps.map((s) => s.field), path.selection[0]!]) {
    while (Array.isArray(node)) node = node[0];
    if (node === null || node === undefined) return undefined;
    node = node[key];
  }
  while (Array.isArray(node)) node = node[0];
  return node;
}

async function readSensorQuality(query: AnonymousQuery, options: AnonymousQueryOptions): Promise<SensorQualitySummary> {
  const scores: number[] = [];
  const flags = new Map<string, number>();
  let sensors = 0;
  let lastComputedAt: string | undefined;
  for (let after: string | null = null, more = true; more; ) {
    const page: any = (await query('query SensorQuality($after: String) { sensors(first: 1000, after: $after) { edges { node { quality { score flags { code count } computedAt } } } pageInfo { hasNextPage endCursor } } }', { after }, options)).sensors;
    for (const { node } of page.edges as { node: { quality: { score: number; flags: { code: string; count: number }[]; computedAt: string } | null } }[]) {
      sensors++;
      if (!node.quality) continue;
      scores.push(node.quality.score);
      for (const flag of node.quality.flags) flags.set(flag.code, (flags.get(flag.code) ?? 0) + flag.count);
      if (!lastComputedAt || node.quality.computedAt > lastComputedAt) lastComputedAt = node.quality.computedAt;
    }
    more = page.pageInfo.hasNextPage;
    after = page.pageInfo.endCursor;
  }
  scores.sort((a, b) => a - b);
  const median = scores.length ? (scores.length % 2 ? scores[(scores.length - 1) / 2]! : (scores[scores.length / 2 - 1]! + scores[scores.length / 2]!) / 2) : undefined;
  return { sensors, scored: scores.length, min: scores[0], median, max: scores.at(-1), flags: [...flags.entries()].sort((a, b) => b[1] - a[1]), lastComputedAt };
}

/**
 * Reads what the page shows of the live data, as an anonymous caller only (the open contract, never SQL):
 * the catalogue's read (datasets, coverage, licences, provenance), the open collections' sizes, the quality
 * signals the contract publishes, and the keys the ready queries need. Nothing restricted is asked for, so no
 * restricted value, and no count derived from one, can reach the page.
 */
export async function readLiveMetadata(sources: LiveSources, options: AnonymousQueryOptions): Promise<LiveMetadata> {
  const { query } = sources;
  const openData = await sources.openData();
  const ask = (text: string, variables?: Record<string, unknown>) => query(text, variables, options);

  const communes = (await ask('{ territories(kind: COMMUNE) { code parent { code } } }')).territories as { code: string; parent: { code: string } | null }[];
  const parents = new Map(communes.filter((c) => c.parent).map((c) => [c.code, c.parent!.code]));

  const keys = new Map<string, string>();
  const window = windowOf([], openData.datasets);
  for (const [key, path] of sources.keySources) {
    const text = renderQuery('SampleKey', path, { keys, window });
    if (!text) continue;
    const value = firstAt(await ask(text), path);
    if (value !== undefined && value !== null) keys.set(key, String(value));
  }

  // Sizes: a collection's segments say how many records they hold when that is known without reading a series.
  const counts = new Map<string, number | undefined>();
  let healthSecrecy: LiveMetadata['healthSecrecy'];
  const ctx = { query, client: options.client, requestId: options.requestId, maxWaitMs: options.maxWaitMs };
  for (const collection of sources.collections) {
    const segments = await collection.segments(ctx, {});
    counts.set(collection.id, segments.every((s) => s.count !== undefined) ? segments.reduce((sum, s) => sum + s.count!, 0) : undefined);
    const features = segments.flatMap((s) => s.features ?? []);
    if (features.length && features.every((f) => typeof f.properties.suppressed === 'boolean')) {
      healthSecrecy = { values: features.length, suppressed: features.filter((f) => f.properties.suppressed === true).length };
    }
  }

  const indicators = (await ask('{ transparencyIndicators { id values { period } } }')).transparencyIndicators as { id: string; values: unknown[] }[];
  const indicatorValues = new Map(indicators.map((i) => [`transparency-${i.id}`, i.values.length]));
  const sensorQuality = await readSensorQuality(query, options);
  return { openData, parents, keys, counts, indicatorValues, healthSecrecy, sensorQuality, readAt: new Date() };
}

/** A read shared by every request for `ttlMs`; the first request after it expired waits for the next one. */
export type LiveMetadataReader = (options: AnonymousQueryOptions) => Promise<LiveMetadata>;

/**
 * Caches the live read for `ttlMs` (the page's facts are a few minutes old at most). Once read, it answers at
 * once and renews in the background; a failed renewal keeps the last read and is tried again `ttlMs` later, so a
 * producer down is not asked at every visit. Before any read succeeded, callers share the read under way.
 */
export function cachedLiveMetadata(sources: LiveSources, ttlMs: number, warn: (error: unknown) => void, now: () => number = Date.now): LiveMetadataReader {
  let current: { at: number; data: LiveMetadata } | undefined;
  let pending: Promise<LiveMetadata> | undefined;
  return (options) => {
    if (current && now() - current.at < ttlMs) return Promise.resolve(current.data);
    pending ??= readLiveMetadata(sources, options)
      .then((data) => {
        current = { at: now(), data };
        return data;
      })
      .catch((error: unknown) => {
        if (current) current = { at: now(), data: current.data };
        throw error;
      })
      .finally(() => {
        pending = undefined;
      });
    if (current) {
      pending.catch(warn);
      return Promise.resolve(current.data);
    }
    return pending;
  };
}
