import type { Knex } from 'knex';
import { IngestFileError, reject } from './errors.ts';
import { readJsonElements, type JsonEvent } from './json.ts';
import { reprojected, sridOfGeoJsonCrs, type HasGeometry } from './geometry.ts';
import type { Parsed } from './runner.ts';

/**
 * GeoJSON FeatureCollections in any coordinate system PostGIS knows: the `crs` member (2008 spec, as GDAL,
 * QGIS and the Eurométropole's exports still write it) names it and must come before `features`; every
 * geometry is checked here, reprojected by PostGIS and must land in the hub's territory (geometry.ts).
 */

const isPosition = (p: unknown): p is number[] => Array.isArray(p) && p.length >= 2 && p.length <= 4 && p.every((n) => typeof n === 'number' && Number.isFinite(n));

function positions(value: unknown, what: string, minimum: number): number[][] {
  if (!Array.isArray(value) || value.length < minimum) return reject(`${what} needs at least ${minimum} positions`);
  if (!value.every(isPosition)) return reject(`${what} has a position that is not [x, y] numbers`);
  return value;
}

function ring(value: unknown): void {
  const r = positions(value, 'a polygon ring', 4);
  const [first, last] = [r[0]!, r.at(-1)!];
  if (first[0] !== last[0] || first[1] !== last[1]) reject('a polygon ring is not closed (its last position differs from its first)');
}

function polygon(value: unknown): void {
  if (!Array.isArray(value) || value.length === 0) reject('a polygon has no ring');
  (value as unknown[]).forEach(ring);
}

const nonEmpty = (value: unknown, what: string): unknown[] => (Array.isArray(value) && value.length > 0 ? value : reject(`${what} has no coordinates`));

/**
 * A GeoJSON geometry whose structure PostGIS will read (RFC 7946 §3.1), or a reject naming what is wrong:
 * a malformed geometry refuses its row, never the database statement that reprojects a batch. Returned in
 * two dimensions: the hub's geometry columns are 2D, so a height (or measure) a file carries is dropped.
 */
export function checkGeometry(geometry: unknown): { type: string } {
  return flat(validGeometry(geometry));
}

function flat(geometry: { type: string; coordinates?: unknown; geometries?: unknown }): { type: string } {
  const xy = (value: unknown): unknown => (isPosition(value) ? [value[0], value[1]] : (value as unknown[]).map(xy));
  if (geometry.type === 'GeometryCollection') return { type: geometry.type, geometries: (geometry.geometries as { type: string }[]).map(flat) } as { type: string };
  return { type: geometry.type, coordinates: xy(geometry.coordinates) } as { type: string };
}

function validGeometry(geometry: unknown): { type: string } {
  const g = geometry as { type?: unknown; coordinates?: unknown; geometries?: unknown } | null;
  if (!g || typeof g !== 'object' || typeof g.type !== 'string') return reject('the feature has no geometry');
  switch (g.type) {
    case 'Point':
      if (!isPosition(g.coordinates)) reject('a Point\'s coordinates are not [x, y] numbers');
      break;
    case 'MultiPoint':
      positions(g.coordinates, 'a MultiPoint', 1);
      break;
    case 'LineString':
      positions(g.coordinates, 'a LineString', 2);
      break;
    case 'MultiLineString':
      nonEmpty(g.coordinates, 'a MultiLineString').forEach((line) => positions(line, 'a LineString', 2));
      break;
    case 'Polygon':
      polygon(g.coordinates);
      break;
    case 'MultiPolygon':
      nonEmpty(g.coordinates, 'a MultiPolygon').forEach(polygon);
      break;
    case 'GeometryCollection':
      nonEmpty(g.geometries, 'a GeometryCollection').forEach(validGeometry);
      break;
    default:
      reject(`"${g.type}" is not a GeoJSON geometry type`);
  }
  return g as { type: string };
}

export interface FeatureCollectionOptions<T extends HasGeometry> {
  /** Validates one feature (its 1-based number is the line a reject names); the row's geometry is GeoJSON text as in the file. */
  parse(feature: unknown, index: number): Parsed<T>;
  /** Another top-level member (`name`, `_comment`, `synthetic`…), before or after `features`. */
  member?(name: string, value: unknown, beforeFeatures: boolean): void;
  /** What a geometry outside the territory does (geometry.ts). @default refuse */
  outsideTerritory?: 'refuse' | 'skip';
}

/**
 * The rows of a GeoJSON FeatureCollection streamed from `text`, reprojected to WGS84 from its `crs` (WGS84
 * when absent) and checked against the territory. Re-runnable: it reads `text` afresh and writes nothing.
 */
export async function* featureCollectionRows<T extends HasGeometry>(db: Knex, text: AsyncIterable<string>, options: FeatureCollectionOptions<T>): AsyncGenerator<Parsed<T>> {
  const events = readJsonElements(text)[Symbol.asyncIterator]();
  let srid = 4326;
  let first: Extract<JsonEvent, { kind: 'element' }> | undefined;
  for (let next = await events.next(); !next.done; next = await events.next()) {
    const event = next.value;
    if (event.kind === 'element') {
      first = event;
      break;
    }
    if (event.name === 'crs') srid = sridOfGeoJsonCrs(event.value);
    else if (event.name === 'type' && event.value !== 'FeatureCollection') throw new IngestFileError(1, `not a FeatureCollection (type "${String(event.value)}")`);
    else options.member?.(event.name, event.value, true);
  }
  async function* rows(): AsyncGenerator<Parsed<T>> {
    if (!first) return;
    yield options.parse(first.value, first.index);
    for (let next = await events.next(); !next.done; next = await events.next()) {
      const event = next.value;
      if (event.kind === 'element') yield options.parse(event.value, event.index);
      else if (event.name === 'crs') throw new IngestFileError(1, 'the "crs" member must come before "features" (as GDAL and QGIS write it): the features were read in another coordinate system');
      else options.member?.(event.name, event.value, false);
    }
  }
  yield* reprojected(db, rows(), { srid, outsideTerritory: options.outsideTerritory ?? 'refuse' });
}
