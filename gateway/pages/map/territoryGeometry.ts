import type { AnonymousQuery } from '../../catalog/anonymousQuery.ts';
import { MapParameterError } from './sendCached.ts';

export const TERRITORY_KINDS = ['COMMUNE', 'IRIS', 'EPCI'] as const;
export type TerritoryKind = (typeof TERRITORY_KINDS)[number];

/**
 * Zoom buckets and the simplification each one asks of PostGIS (`geometry(simplifyMeters:)`): about a third
 * of a pixel's ground size at the bucket's first zoom at 48.5° N (a pixel is ~100 m at z9, ~25 m at z11,
 * ~6 m at z13), so an outline looks the same as the full one while weighing a fraction of it. The embedded
 * PostGIS has no protobuf (no ST_AsMVT): simplified GeoJSON per bucket replaces vector tiles for a
 * referential of 68 communes, 229 IRIS and 2 EPCI.
 */
export const ZOOM_BUCKETS: { upTo: number; simplifyMeters: number; decimals: number }[] = [
  { upTo: 9, simplifyMeters: 150, decimals: 4 },
  { upTo: 11, simplifyMeters: 30, decimals: 5 },
  { upTo: Infinity, simplifyMeters: 5, decimals: 5 },
];

/** The bucket of a zoom level given as text: a number 0..24 (a decimal zoom is fine); anything else is refused. */
export function zoomBucket(zoom: unknown): number {
  const text = typeof zoom === 'string' ? zoom : '';
  if (!/^\d{1,2}(\.\d{1,3})?$/.test(text) || Number(text) > 24) throw new MapParameterError('zoom must be a number from 0 to 24 (the map’s zoom level, e.g. zoom=10)');
  return ZOOM_BUCKETS.findIndex((b) => Number(text) <= b.upTo + 0.999);
}

export function territoryKind(kind: unknown): TerritoryKind {
  if (typeof kind !== 'string' || !(TERRITORY_KINDS as readonly string[]).includes(kind)) throw new MapParameterError(`kind must be one of ${TERRITORY_KINDS.join(', ')}`);
  return kind as TerritoryKind;
}

/** Rounds every coordinate: digits beyond the simplification's tolerance only weigh on the transfer. */
function rounded(value: unknown, factor: number): unknown {
  if (typeof value === 'number') return Math.round(value * factor) / factor;
  return Array.isArray(value) ? value.map((v) => rounded(v, factor)) : value;
}

/**
 * The outlines of one kind of territory for one zoom bucket, as a GeoJSON FeatureCollection (WGS84), each
 * feature with its code (also its `id`), name, parent and a label point (PostGIS's point on surface): the
 * map's base layer and the shapes its data layers colour. Read through the anonymous open contract.
 */
export async function territoryGeometry(query: AnonymousQuery, kind: TerritoryKind, bucket: number, client: { client: string; requestId: string }) {
  const { simplifyMeters, decimals } = ZOOM_BUCKETS[bucket]!;
  const data = await query(
    `query MapTerritories($kind: TerritoryKind!, $tolerance: Float!) { territories(kind: $kind) { code name parent { code } geometry(simplifyMeters: $tolerance) centre } }`,
    { kind, tolerance: simplifyMeters },
    client,
  );
  const factor = 10 ** decimals;
  return {
    type: 'FeatureCollection',
    kind,
    zoomBucket: bucket,
    simplifyMeters,
    features: (data.territories as any[]).map((t) => ({
      type: 'Feature',
      id: t.code,
      properties: { code: t.code, name: t.name, kind, parent: t.parent?.code ?? null, label: rounded(t.centre?.coordinates ?? null, factor) },
      geometry: { type: t.geometry.type, coordinates: rounded(t.geometry.coordinates, factor) },
    })),
  };
}
