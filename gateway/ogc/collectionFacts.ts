import type { OpenDataReader } from '../catalog/openDataCache.ts';
import type { BBox, LicenceCode } from '../catalog/readOpenData.ts';

/** What the catalogue read of the dataset a collection distributes: the extents and licences it publishes. */
export interface DatasetFacts {
  /** CRS84 extent of its records. */
  bbox?: BBox;
  /** First and last day (or instant) of its records. */
  temporal?: { start: string; end: string };
  /** Licences its records carry, when the data gives them (citizen sensors); else the catalogue words'. */
  licences: LicenceCode[];
}

/**
 * The datasets' facts by catalogue kind, from the very read `/catalog` publishes (the shared openDataCache),
 * so both give the same extents and the hub reads them once. When the open data cannot be read yet, an empty
 * map: collections are then described without extents — a producer down must not take the OGC API's
 * landing pages down with it (the reader logs the failure and retries it).
 */
export function collectionFacts(openData: OpenDataReader): () => Promise<Map<string, DatasetFacts>> {
  let facts: { from: unknown; byKind: Map<string, DatasetFacts> } | undefined;
  return async () => {
    const data = await openData().catch(() => undefined);
    if (!data) return facts?.byKind ?? new Map();
    if (facts?.from !== data) {
      // The open collections distribute the catalogue's singleton datasets, whose id is their kind.
      facts = { from: data, byKind: new Map(data.datasets.filter((d) => d.id === d.kind).map((d) => [d.kind, { bbox: d.bbox, temporal: d.temporal, licences: d.licences }])) };
    }
    return facts.byKind;
  };
}
