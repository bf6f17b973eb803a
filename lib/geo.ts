import type { Geometry, Polygon, MultiPolygon, Position } from 'geojson';
import type { Knex } from 'knex';
import { GraphQLScalarType, Kind, type ValueNode } from 'graphql';
import { badUserInput } from './errors.ts';
import { isTerritoryCode } from './territory-codes.ts';

/** Largest radius around a point, in metres: the whole territory fits in 50 km of Strasbourg. */
export const MAX_RADIUS_METERS = 50_000;
/** Largest width or height of a bbox or polygon, in degrees (the territory is ~0.8° wide). */
export const MAX_EXTENT_DEGREES = 2;
/** Most vertices a polygon may have. */
export const MAX_VERTICES = 10_000;

/**
 * Which part of the map an `Area` covers: exactly one of these members. It is the Area entity's key,
 * so every subgraph receives it and answers from its own tables.
 */
export type AreaSelector =
  | { point: { lon: number; lat: number }; radiusMeters: number }
  | { bbox: [number, number, number, number] }
  | { polygon: Polygon | MultiPolygon }
  | { territory: string };

/** The key plus the shape ADEUS resolved for it, as another subgraph receives it through `@requires`. */
export interface AreaRepresentation {
  selector: AreaSelector;
  geometry: Geometry;
}

function literalToJs(ast: ValueNode): unknown {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return ast.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value);
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return ast.values.map(literalToJs);
    case Kind.OBJECT:
      return Object.fromEntries(ast.fields.map((field) => [field.name.value, literalToJs(field.value)]));
    default:
      throw badUserInput('variables are not allowed inside a GeoJSON literal');
  }
}

function jsonScalar(name: string, description: string, check: (value: unknown) => void) {
  return new GraphQLScalarType({
    name,
    description,
    serialize: (value) => value,
    parseValue: (value) => {
      check(value);
      return value;
    },
    parseLiteral: (ast) => {
      const value = literalToJs(ast);
      check(value);
      return value;
    },
  });
}

function assertGeoJSONGeometry(value: unknown): void {
  if (typeof value !== 'object' || value === null || typeof (value as { type?: unknown }).type !== 'string') {
    throw badUserInput('a GeoJSON geometry is an object with a "type" member (RFC 7946)');
  }
}

/**
 * A GeoJSON geometry object: RFC 7946 (WGS84 longitude/latitude) as input; as output, in the CRS of its
 * field's `crs` argument (lib/crs.ts), WGS84 longitude/latitude by default.
 */
export const GeoJSONScalar = jsonScalar(
  'GeoJSON',
  'A GeoJSON geometry object: WGS84 (EPSG:4326) longitude/latitude as input; as output, in the CRS its field\'s `crs` argument asks for (WGS84 longitude/latitude by default).',
  assertGeoJSONGeometry,
);

/** The Area key: a normalized AreaInput, as JSON. */
export const AreaSelectorScalar = jsonScalar(
  'AreaSelector',
  'The normalized selection an Area stands for: {point, radiusMeters} | {bbox} | {polygon} | {territory}.',
  (value) => void normalizeAreaSelector(value),
);

const finite = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n);

function assertLonLat([lon, lat]: Position, where: string): void {
  if (!finite(lon) || !finite(lat) || lon < -180 || lon > 180 || lat < -90 || lat > 90) {
    throw badUserInput(`${where}: [${lon}, ${lat}] is not a WGS84 longitude/latitude`, { reason: 'OUT_OF_RANGE' });
  }
}

function assertExtent(positions: Position[], where: string): void {
  const lons = positions.map((p) => p[0] as number);
  const lats = positions.map((p) => p[1] as number);
  const width = Math.max(...lons) - Math.min(...lons);
  const height = Math.max(...lats) - Math.min(...lats);
  if (width > MAX_EXTENT_DEGREES || height > MAX_EXTENT_DEGREES) {
    throw badUserInput(
      `${where} spans ${width.toFixed(2)}° × ${height.toFixed(2)}°; the limit is ${MAX_EXTENT_DEGREES}° in each direction`,
      { reason: 'TOO_LARGE' },
    );
  }
}

function ringsOf(polygon: Polygon | MultiPolygon): Position[][] {
  return polygon.type === 'Polygon' ? polygon.coordinates : polygon.coordinates.flat();
}

function assertPolygon(value: unknown): asserts value is Polygon | MultiPolygon {
  assertGeoJSONGeometry(value);
  const geometry = value as Geometry;
  if (geometry.type !== 'Polygon' && geometry.type !== 'MultiPolygon') {
    throw badUserInput(`polygon must be a GeoJSON Polygon or MultiPolygon, got ${geometry.type}`, { reason: 'WRONG_TYPE' });
  }
  const valid = Array.isArray(geometry.coordinates) && geometry.coordinates.length > 0;
  const rings = valid ? ringsOf(geometry) : [];
  if (!valid || !rings.every((ring) => Array.isArray(ring) && ring.every((p) => Array.isArray(p) && p.length >= 2))) {
    throw badUserInput('polygon coordinates must be arrays of [lon, lat] rings', { reason: 'MALFORMED' });
  }
  const positions = rings.flat();
  if (positions.length > MAX_VERTICES) {
    throw badUserInput(`polygon has ${positions.length} vertices; the limit is ${MAX_VERTICES}`, { reason: 'TOO_LARGE' });
  }
  rings.forEach((ring, index) => {
    const first = ring[0];
    const last = ring.at(-1);
    if (ring.length < 4 || !first || !last || first[0] !== last[0] || first[1] !== last[1]) {
      throw badUserInput(`polygon ring ${index} must be closed and have at least 4 positions`, { reason: 'MALFORMED' });
    }
  });
  positions.forEach((p) => assertLonLat(p, 'polygon'));
  assertExtent(positions, 'polygon');
}

/**
 * Validates an AreaInput (or an Area key received from another subgraph) and returns its normalized form.
 * PostGIS validity (self-intersections) is checked by ADEUS when it resolves the area.
 */
export function normalizeAreaSelector(input: unknown): AreaSelector {
  if (typeof input !== 'object' || input === null) throw badUserInput('select must be an object');
  const { point, radiusMeters, bbox, polygon, territory } = input as Record<string, unknown>;
  const given = [point, bbox, polygon, territory].filter((v) => v !== undefined && v !== null).length;
  if (given !== 1) {
    throw badUserInput('select exactly one of: point (with radiusMeters), bbox, polygon, territory', { reason: 'AMBIGUOUS' });
  }
  if (point) {
    const { lon, lat } = point as { lon: unknown; lat: unknown };
    assertLonLat([lon as number, lat as number], 'point');
    if (!finite(radiusMeters) || radiusMeters <= 0 || radiusMeters > MAX_RADIUS_METERS) {
      throw badUserInput(`radiusMeters must be a number of metres in ]0, ${MAX_RADIUS_METERS}]`, { reason: 'OUT_OF_RANGE' });
    }
    return { point: { lon: lon as number, lat: lat as number }, radiusMeters };
  }
  if (radiusMeters !== undefined && radiusMeters !== null) {
    throw badUserInput('radiusMeters goes with point only', { reason: 'AMBIGUOUS' });
  }
  if (bbox) {
    if (!Array.isArray(bbox) || bbox.length !== 4 || !bbox.every(finite)) {
      throw badUserInput('bbox is [minLon, minLat, maxLon, maxLat]', { reason: 'MALFORMED' });
    }
    const [minLon, minLat, maxLon, maxLat] = bbox as [number, number, number, number];
    assertLonLat([minLon, minLat], 'bbox');
    assertLonLat([maxLon, maxLat], 'bbox');
    if (minLon >= maxLon || minLat >= maxLat) {
      throw badUserInput('bbox minimum must be below its maximum: [minLon, minLat, maxLon, maxLat]', { reason: 'MALFORMED' });
    }
    assertExtent([[minLon, minLat], [maxLon, maxLat]], 'bbox');
    return { bbox: [minLon, minLat, maxLon, maxLat] };
  }
  if (polygon) {
    assertPolygon(polygon);
    return { polygon };
  }
  if (typeof territory !== 'string' || !isTerritoryCode(territory)) {
    throw badUserInput('territory is an INSEE commune code, an IRIS code or an EPCI SIREN', { reason: 'MALFORMED' });
  }
  return { territory };
}

/**
 * The SQL condition "`column` (a geometry in EPSG:4326) lies in the area".
 * A point + radius is measured on the spheroid (ST_DWithin on geography, served by a GiST index on
 * `(column::geography)`); every other shape intersects the geometry ADEUS resolved (GiST index on `column`).
 */
export function areaCondition(knex: Knex, column: string, area: AreaRepresentation): Knex.Raw {
  const selector = normalizeAreaSelector(area.selector);
  if ('point' in selector) {
    return knex.raw('ST_DWithin(??::geography, ST_SetSRID(ST_MakePoint(?, ?), 4326)::geography, ?)', [
      column,
      selector.point.lon,
      selector.point.lat,
      selector.radiusMeters,
    ]);
  }
  assertGeoJSONGeometry(area.geometry);
  return knex.raw('ST_Intersects(??, ST_MakeValid(ST_SetSRID(ST_GeomFromGeoJSON(?), 4326)))', [
    column,
    JSON.stringify(area.geometry),
  ]);
}

/** A stable text form of a selector, for DataLoader keys and logs. */
export function selectorKey(selector: AreaSelector): string {
  return JSON.stringify(selector);
}
