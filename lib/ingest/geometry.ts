import type { Knex } from 'knex';
import { IngestFileError } from './errors.ts';
import type { Parsed } from './runner.ts';

/**
 * Geometries of producers' files reprojected by PostGIS itself (`ST_Transform`, which the embedded build runs
 * too): any coordinate system PostGIS knows, from a GeoJSON `crs` member or a shapefile's `.prj`. Then every
 * geometry must land in the hub's territory, with a margin: a file whose coordinate system is mislabelled
 * (CC48 read as Lambert-93 lands 1,000 km away) is refused, never stored wrong.
 */

/** lon/lat box of the hub's territory (the Eurométropole and the Pays de Saverne) with about 15 km of margin. */
export interface Extent {
  minLon: number;
  minLat: number;
  maxLon: number;
  maxLat: number;
}

export const TERRITORY_EXTENT: Extent = { minLon: 7.0, minLat: 48.3, maxLon: 8.2, maxLat: 49.0 };

/** The EPSG code a GeoJSON `crs` member names (2008 spec: `EPSG:2154`, `urn:ogc:def:crs:EPSG::3948`, CRS84), or 4326 when absent. */
export function sridOfGeoJsonCrs(crs: unknown): number {
  if (crs === undefined || crs === null) return 4326;
  const name = (crs as { properties?: { name?: unknown } }).properties?.name;
  if (typeof name !== 'string') throw new IngestFileError(1, `the "crs" member is not a named coordinate system: ${JSON.stringify(crs).slice(0, 120)}`);
  if (/CRS:?84$/i.test(name)) return 4326;
  const match = /EPSG:{1,2}(\d+)$/i.exec(name) ?? /EPSG\/\d+\/(\d+)$/i.exec(name);
  if (!match) throw new IngestFileError(1, `the "crs" member names "${name}", which is not an EPSG code`);
  return Number(match[1]);
}

/** True when PostGIS knows the coordinate system (its spatial_ref_sys). */
export async function knownSrid(db: Knex, srid: number): Promise<boolean> {
  const row = await db('spatial_ref_sys').where('srid', srid).first('srid');
  return row !== undefined;
}

export async function checkSrid(db: Knex, srid: number): Promise<void> {
  if (!(await knownSrid(db, srid))) throw new IngestFileError(1, `EPSG:${srid} is not a coordinate system PostGIS knows`);
}

const squash = (name: string) => name.toLowerCase().replace(/v1\b/g, '').replace(/[^a-z0-9]/g, '');

/**
 * The EPSG code of a shapefile's `.prj` (ESRI WKT): its AUTHORITY when it names one, otherwise the
 * PostGIS coordinate system of the same name ("RGF93_Lambert_93" is "RGF93 v1 / Lambert-93").
 */
export async function sridOfPrj(db: Knex, wkt: string): Promise<number> {
  const authority = /AUTHORITY\["EPSG",\s*"?(\d+)"?\]\s*\]\s*$/i.exec(wkt.trim());
  if (authority) return Number(authority[1]);
  const name = /^\s*(?:PROJCS|GEOGCS|PROJCRS|GEOGCRS)\["([^"]+)"/i.exec(wkt)?.[1];
  if (!name) throw new IngestFileError(1, 'the .prj file holds no coordinate system name');
  const rows: { srid: number; name: string }[] = await db('spatial_ref_sys').where('auth_name', 'EPSG').select('srid', db.raw(`split_part(srtext, '"', 2) as name`));
  const found = rows.filter((r) => squash(r.name) === squash(name));
  if (found.length !== 1) throw new IngestFileError(1, `the .prj names "${name}", which ${found.length ? 'is ambiguous' : 'matches no coordinate system PostGIS knows'}: give the EPSG code`);
  return found[0]!.srid;
}

function positions(geometry: { type?: string; coordinates?: unknown; geometries?: unknown[] }): number[][] {
  if (geometry.type === 'GeometryCollection') return (geometry.geometries ?? []).flatMap((g) => positions(g as never));
  const out: number[][] = [];
  const walk = (value: unknown) => {
    if (Array.isArray(value) && typeof value[0] === 'number') out.push(value as number[]);
    else if (Array.isArray(value)) value.forEach(walk);
  };
  walk(geometry.coordinates);
  return out;
}

/** The first position of `geometry` outside `extent`, if any. */
export function outside(geometry: object, extent: Extent = TERRITORY_EXTENT): number[] | undefined {
  return positions(geometry as never).find(([lon, lat]) => !(lon! >= extent.minLon && lon! <= extent.maxLon && lat! >= extent.minLat && lat! <= extent.maxLat));
}

export interface HasGeometry {
  /** GeoJSON geometry text, in `srid`; replaced by its WGS84 form. */
  geometry: string;
}

export interface ReprojectOptions {
  srid: number;
  /**
   * What a geometry outside the territory does: `refuse` the file (a layer of the territory: a wrong crs),
   * or `skip` the row with a counted reason (a national file, a network spanning Europe).
   * @default refuse
   */
  outsideTerritory?: 'refuse' | 'skip';
  extent?: Extent;
}

/**
 * Reprojects the geometries of `rows` to WGS84 (EPSG:4326) with PostGIS, 200 at a time, and checks them
 * against the territory. Read-only: it runs while a file is read, before anything is written.
 */
export async function* reprojected<T extends HasGeometry>(db: Knex, rows: AsyncIterable<Parsed<T>>, options: ReprojectOptions): AsyncGenerator<Parsed<T>> {
  if (options.srid !== 4326) await checkSrid(db, options.srid);
  let pending: Parsed<T>[] = [];
  const release = async function* (): AsyncGenerator<Parsed<T>> {
    const withRows = pending.filter((p): p is { line: number; row: T } => 'row' in p);
    let transformed = new Map<number, string>();
    if (withRows.length && options.srid !== 4326) {
      const { rows: out } = (await db.raw(
        `select x.i, ST_AsGeoJSON(ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON(x.g), ?), 4326), 7) as g
         from jsonb_to_recordset(?::jsonb) as x(i int, g text)`,
        [options.srid, JSON.stringify(withRows.map((p, i) => ({ i, g: p.row.geometry })))],
      )) as { rows: { i: number; g: string }[] };
      transformed = new Map(out.map((r) => [Number(r.i), r.g]));
    }
    let i = 0;
    for (const parsed of pending) {
      if (!('row' in parsed)) {
        yield parsed;
        continue;
      }
      const geometry = transformed.get(i++) ?? parsed.row.geometry;
      const away = outside(JSON.parse(geometry) as object, options.extent);
      if (away) {
        const where = `(${away.map((x) => x.toFixed(4)).join(', ')})`;
        if (options.outsideTerritory === 'skip') {
          yield { line: parsed.line, skip: 'outside the hub\'s territory' };
          continue;
        }
        throw new IngestFileError(parsed.line, `lands at ${where} in WGS84, outside the hub's territory: is the file's coordinate system (EPSG:${options.srid}) right?`);
      }
      yield { line: parsed.line, row: { ...parsed.row, geometry } };
    }
    pending = [];
  };
  for await (const parsed of rows) {
    pending.push(parsed);
    if (pending.length >= 200) yield* release();
  }
  yield* release();
}
