import type { AnonymousQuery } from '../catalog/anonymousQuery.ts';
import { readOpenData, type BBox, type LicenceCode } from '../catalog/readOpenData.ts';

/** What the catalogue read of the dataset a collection distributes: the extents and licences it publishes. */
export interface DatasetFacts {
  /** CRS84 extent of its records. */
  bbox?: BBox;
  /** First and last day (or instant) of its records. */
  temporal?: { start: string; end: string };
  /** Licences its records carry, when the data gives them (citizen sensors); else the catalogue words'. */
  licences: LicenceCode[];
}

export interface FactsOptions {
  /** How long what was read stays fresh before it is read again (in the background), in ms. @default 300000 */
  ttlMs?: number;
  /** How long after a failed first read the next request tries again, in ms. @default 30000 */
  retryMs?: number;
  warn: (error: unknown, message: string) => void;
}

/**
 * The datasets' facts by catalogue kind, read as the DCAT catalogue reads them (readOpenData: anonymous
 * operations of the open contract, charged to the hub's own open-data budget), so `/ogc/collections` and
 * `/catalog` publish the same extents. Stale while revalidating, like the catalogue: once read, it answers at
 * once and is renewed in the background after `ttlMs`, keeping the last good read when a renewal fails.
 * Before any read succeeded it gives an empty map (collections are then described without extents), and
 * tries again after `retryMs`: a producer down must not take the OGC API's landing pages down with it.
 */
export function collectionFacts(query: AnonymousQuery, options: FactsOptions): () => Promise<Map<string, DatasetFacts>> {
  const ttlMs = options.ttlMs ?? 300_000;
  const retryMs = options.retryMs ?? 30_000;
  let current: { at: number; facts: Map<string, DatasetFacts> } | undefined;
  let failedAt = -Infinity;
  let pending: Promise<Map<string, DatasetFacts>> | undefined;

  const read = async (): Promise<Map<string, DatasetFacts>> => {
    const data = await readOpenData(query);
    // The open collections distribute the catalogue's singleton datasets, whose id is their kind.
    return new Map(data.datasets.filter((d) => d.id === d.kind).map((d) => [d.kind, { bbox: d.bbox, temporal: d.temporal, licences: d.licences }]));
  };

  return async () => {
    const stale = !current || Date.now() - current.at > ttlMs;
    if (stale && !pending && (current || Date.now() - failedAt > retryMs)) {
      pending = read()
        .then((facts) => {
          current = { at: Date.now(), facts };
          return facts;
        })
        .catch((error: unknown) => {
          failedAt = Date.now();
          options.warn(error, current ? 'the collections’ extents could not be renewed: the last ones are served' : 'the collections’ extents could not be read: collections are described without them');
          return current?.facts ?? new Map<string, DatasetFacts>();
        })
        .finally(() => {
          pending = undefined;
        });
    }
    if (current) return current.facts;
    return pending ?? new Map();
  };
}
