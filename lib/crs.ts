import DataLoader from 'dataloader';
import type { Geometry } from 'geojson';
import type { Knex } from 'knex';
import { groupBy } from './batch.ts';

/**
 * The coordinate reference systems geometries are served in: the SDL enum `CoordinateReferenceSystem`,
 * declared identically by every subgraph that serves a geometry (a Federation value type).
 */
export type Crs = 'EPSG_4326' | 'EPSG_2154' | 'EPSG_3948';

/** The default of every `crs` argument: RFC 7946 GeoJSON, longitude/latitude. */
export const DEFAULT_CRS = 'EPSG_4326' satisfies Crs;

/** PostGIS SRID of each CRS (EPSG codes; both projected ones are on RGF93 v1, easting then northing in metres). */
export const SRID: Record<Crs, number> = { EPSG_4326: 4326, EPSG_2154: 2154, EPSG_3948: 3948 };

/** Decimals of projected coordinates: metres, so a centimetre, finer than any geometry the hub serves. */
export const PROJECTED_DECIMALS = 2;

/** SQL: the GeoJSON (json) of `wgs84`, a geometry as published in WGS84 (SRID unset or 4326), projected to `crs`. */
function projected(wgs84: string, crs: Exclude<Crs, typeof DEFAULT_CRS>): string {
  // Options 0: no GeoJSON 2008 `crs` member; the caller named the CRS.
  return `ST_AsGeoJSON(ST_Transform(ST_SetSRID(${wgs84}, 4326), ${SRID[crs]}), ${PROJECTED_DECIMALS}, 0)::json`;
}

/**
 * SQL: the GeoJSON (json) of `expression`, an EPSG:4326 geometry, in `crs`. In EPSG:4326 it is the WGS84
 * answer at `decimals`, as before `crs` existed. Otherwise it is that same WGS84 answer, read back and
 * projected: a projection never shows more than the WGS84 answer does (rounding, simplification), and a
 * client transforming one into the other finds the same coordinates.
 */
export function geoJSONInCrs(expression: string, crs: Crs, decimals: number): string {
  const wgs84 = `ST_AsGeoJSON(${expression}, ${decimals})`;
  return crs === DEFAULT_CRS ? `${wgs84}::json` : projected(`ST_GeomFromGeoJSON(${wgs84})`, crs);
}

/** A published WGS84 geometry to serve in a CRS. */
export interface ProjectionKey {
  geometry: Geometry;
  crs: Crs;
}

/**
 * Projects geometries already published in WGS84 (rounded, simplified: exactly what the EPSG:4326 answer
 * is), one statement per CRS for the whole batch.
 */
export async function projectGeometries(knex: Knex, geometries: readonly Geometry[], crs: Crs): Promise<Geometry[]> {
  if (crs === DEFAULT_CRS || geometries.length === 0) return [...geometries];
  const { rows } = await knex.raw(
    `select ${projected('ST_GeomFromGeoJSON(g.value)', crs)} as geometry
       from json_array_elements_text(?::json) with ordinality as g(value, n) order by g.n`,
    [JSON.stringify(geometries)],
  );
  return (rows as { geometry: unknown }[]).map((row) => (typeof row.geometry === 'string' ? JSON.parse(row.geometry) : row.geometry) as Geometry);
}

/** A per-request loader of projections: every geometry of a response asked in one CRS costs one statement. */
export function createProjectionLoader(knex: Knex): DataLoader<ProjectionKey, Geometry, string> {
  return new DataLoader<ProjectionKey, Geometry, string>(
    async (keys) => {
      const results = new Map<ProjectionKey, Geometry>();
      for (const [crs, group] of groupBy(keys, (key) => key.crs)) {
        const projected = await projectGeometries(knex, group.map((key) => key.geometry), crs);
        group.forEach((key, index) => results.set(key, projected[index]!));
      }
      return keys.map((key) => results.get(key)!);
    },
    { cacheKeyFn: (key) => `${key.crs}|${JSON.stringify(key.geometry)}` },
  );
}

/**
 * A geometry published in WGS84, in the CRS asked: itself for EPSG:4326 (no statement), else through the
 * request's projection loader. `crs: null` is valid GraphQL for a nullable argument with a default: the default.
 */
export function inCrs<G extends Geometry>(
  projection: DataLoader<ProjectionKey, Geometry, string>,
  geometry: G,
  crs: Crs | null | undefined,
): G | Promise<Geometry> {
  const asked = crs ?? DEFAULT_CRS;
  return asked === DEFAULT_CRS ? geometry : projection.load({ geometry, crs: asked });
}
