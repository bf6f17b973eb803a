import type { Knex } from 'knex';
import type { Geometry } from 'geojson';
import { areaCondition, normalizeAreaSelector, type AreaRepresentation, type AreaSelector } from '../../lib/geo.ts';
import { geoJSONInCrs, type Crs } from '../../lib/crs.ts';
import { badUserInput, notFound } from '../../lib/errors.ts';

export type TerritoryKind = 'COMMUNE' | 'IRIS' | 'EPCI';

export interface TerritoryRow {
  code: string;
  kind: TerritoryKind;
  name: string;
  population: number | null;
  parent_code: string | null;
  approximate: boolean;
  source: string;
  area_km2: number | null;
  centre: Geometry | null;
}

export interface UrbanRow {
  territory_code: string;
  year: number;
  green_space_share: number | null;
  impervious_share: number | null;
  population_density: number | null;
  cycle_lane_density: number | null;
  tree_canopy_share: number | null;
  source: string;
  synthetic: boolean;
}

/** The most territories one list returns (the referential holds ~300). */
export const MAX_TERRITORIES = 1000;

// Geometry stays out of the default row: most queries ask for names and codes, and outlines weigh kilobytes.
const TERRITORY_COLUMNS = [
  'code',
  'kind',
  'name',
  'population',
  'parent_code',
  'approximate',
  'source',
  // Stored with the outline (migration 005): the spheroid's area in km², rounded to 0.001 km².
  'area_km2',
  'ST_AsGeoJSON(centre, 6)::json as centre',
];

const json = <T>(value: unknown): T => (typeof value === 'string' ? JSON.parse(value) : value) as T;

function territorySelect(knex: Knex) {
  return knex('adeus.territory').select(knex.raw(TERRITORY_COLUMNS.join(', ')));
}

const toTerritory = (row: TerritoryRow): TerritoryRow => ({ ...row, centre: row.centre ? json<Geometry>(row.centre) : null });

export async function territoriesByCodes(knex: Knex, codes: readonly string[]): Promise<TerritoryRow[]> {
  const rows = await territorySelect(knex).whereIn('code', codes as string[]);
  return rows.map(toTerritory);
}

export async function listTerritories(
  knex: Knex,
  filter: { kind?: TerritoryKind | null; parent?: string | null },
): Promise<TerritoryRow[]> {
  const query = territorySelect(knex).orderBy('code').limit(MAX_TERRITORIES);
  if (filter.kind) query.where('kind', filter.kind);
  if (filter.parent) query.where('parent_code', filter.parent);
  return (await query).map(toTerritory);
}

export async function childrenOf(knex: Knex, codes: readonly string[]): Promise<TerritoryRow[]> {
  const rows = await territorySelect(knex).whereIn('parent_code', codes as string[]).orderBy('code');
  return rows.map(toTerritory);
}

/**
 * Outlines of many territories at one simplification tolerance (metres, turned into degrees at 48.6° N
 * so ST_SimplifyPreserveTopology can work in EPSG:4326), in one CRS: the simplified WGS84 outline, projected.
 */
export async function geometriesByCodes(
  knex: Knex,
  codes: readonly string[],
  simplifyMeters: number,
  crs: Crs,
): Promise<{ code: string; geometry: Geometry | null }[]> {
  const degrees = simplifyMeters / 111_320 / Math.cos((48.6 * Math.PI) / 180);
  const rows = await knex('adeus.territory')
    .select('code', knex.raw(`${geoJSONInCrs('ST_Multi(ST_SimplifyPreserveTopology(geom, ?))', crs, 6)} as geometry`, [degrees]))
    .whereIn('code', codes as string[]);
  return rows.map((row: { code: string; geometry: unknown }) => ({
    code: row.code,
    geometry: row.geometry ? json<Geometry>(row.geometry) : null,
  }));
}

/** Urban indicators for many territories: one given year, or each territory's latest year. */
export async function urbanByCodes(knex: Knex, codes: readonly string[], year: number | null): Promise<UrbanRow[]> {
  const query = knex('adeus.urban_indicator').whereIn('territory_code', codes as string[]);
  if (year !== null) return query.where('year', year);
  return query.distinctOn('territory_code').orderBy([{ column: 'territory_code' }, { column: 'year', order: 'desc' }]);
}

/**
 * Resolves an area's shape. Polygons are checked by PostGIS (self-intersections, bad rings) and territories
 * must exist: both give typed errors rather than empty answers.
 */
export async function resolveAreaGeometry(knex: Knex, selector: AreaSelector): Promise<Geometry> {
  if ('territory' in selector) {
    const row = await knex('adeus.territory').select(knex.raw('ST_AsGeoJSON(geom, 6)::json as geometry')).where('code', selector.territory).first();
    if (!row) throw notFound(`no territory has the code "${selector.territory}"`, { argument: 'select.territory' });
    if (!row.geometry) throw notFound(`territory "${selector.territory}" has no outline`, { argument: 'select.territory' });
    return json<Geometry>(row.geometry);
  }
  if ('point' in selector) {
    const { rows } = await knex.raw(
      'select ST_AsGeoJSON(ST_Buffer(ST_SetSRID(ST_MakePoint(?, ?), 4326)::geography, ?, 16)::geometry, 6)::json as geometry',
      [selector.point.lon, selector.point.lat, selector.radiusMeters],
    );
    return json<Geometry>(rows[0].geometry);
  }
  if ('bbox' in selector) {
    const [minLon, minLat, maxLon, maxLat] = selector.bbox;
    const { rows } = await knex.raw('select ST_AsGeoJSON(ST_MakeEnvelope(?, ?, ?, ?, 4326), 6)::json as geometry', [minLon, minLat, maxLon, maxLat]);
    return json<Geometry>(rows[0].geometry);
  }
  const { rows } = await knex.raw(
    `select ST_IsValid(g) as valid, ST_IsValidReason(g) as reason from (select ST_SetSRID(ST_GeomFromGeoJSON(?), 4326) as g) s`,
    [JSON.stringify(selector.polygon)],
  ).catch((error: Error) => {
    throw badUserInput(`polygon is not readable GeoJSON: ${error.message}`, { reason: 'MALFORMED' });
  });
  if (!rows[0].valid) throw badUserInput(`polygon is not valid: ${rows[0].reason}`, { reason: 'INVALID_GEOMETRY' });
  return selector.polygon;
}

/**
 * Territories intersecting each area, in one statement for all areas. An area that is itself a territory
 * keeps the territories whose inner point lies in it (its IRIS, itself) and those containing its own inner
 * point (its commune, its EPCI): outlines from differently simplified sources overlap slightly along
 * borders, and bare contact is not membership. Only predicates are used (no ST_Intersection overlay):
 * they are exact and cheap, and overlays of near-coincident borders can raise GEOS topology errors.
 */
/** Where Lambert-93's scale differs from 1 by far less than {@link PLANAR_MARGIN} (France and its neighbours). */
const LAMBERT_93_DOMAIN = { lon: [-6, 11], lat: [41, 52] } as const;
/** How far a planar distance in Lambert-93 may be from the spheroid's, there, with room to spare (the scale is within 0.3 %). */
const PLANAR_MARGIN = 0.01;

/**
 * Territories within `radius` metres of a point, exactly as `ST_DWithin` on geography measures it, mostly in the
 * plane: Lambert-93 distances (indexed, migration 004) decide every territory clearly nearer or farther than the
 * radius, and the spheroid is asked only for those in the 1 % band between. Outside Lambert-93's domain, the
 * spheroid alone.
 */
function withinRadius(knex: Knex, point: { lon: number; lat: number }, radius: number): Knex.Raw {
  const spheroid = knex.raw('ST_DWithin(geom::geography, ST_SetSRID(ST_MakePoint(?, ?), 4326)::geography, ?)', [point.lon, point.lat, radius]);
  const inDomain = point.lon >= LAMBERT_93_DOMAIN.lon[0] && point.lon <= LAMBERT_93_DOMAIN.lon[1] && point.lat >= LAMBERT_93_DOMAIN.lat[0] && point.lat <= LAMBERT_93_DOMAIN.lat[1];
  if (!inDomain) return spheroid;
  // geom_l93: the outline in Lambert-93, stored and indexed (migrations 004, 005).
  const planar = (metres: number) => knex.raw('ST_DWithin(geom_l93, ST_Transform(ST_SetSRID(ST_MakePoint(?, ?), 4326), 2154), ?)', [point.lon, point.lat, metres]);
  const outer = radius * (1 + PLANAR_MARGIN) + 1;
  const inner = radius * (1 - PLANAR_MARGIN) - 1;
  return inner > 0 ? knex.raw('(? and (? or ?))', [planar(outer), planar(inner), spheroid]) : knex.raw('(? and ?)', [planar(outer), spheroid]);
}

export async function territoriesInAreas(
  knex: Knex,
  areas: readonly AreaRepresentation[],
  kind: TerritoryKind | null,
): Promise<(TerritoryRow & { area_index: number })[]> {
  const selects = areas.map((area, index) => {
    const query = territorySelect(knex).select(knex.raw('?::int as area_index', [index]));
    if (kind) query.where('kind', kind);
    if ('territory' in area.selector) {
      const shape = JSON.stringify(area.geometry);
      query.whereRaw(
        '(ST_Intersects(centre, ST_SetSRID(ST_GeomFromGeoJSON(?), 4326)) or ST_Intersects(geom, ST_PointOnSurface(ST_SetSRID(ST_GeomFromGeoJSON(?), 4326))))',
        [shape, shape],
      );
    } else {
      const selector = normalizeAreaSelector(area.selector);
      query.where('point' in selector ? withinRadius(knex, selector.point, selector.radiusMeters) : areaCondition(knex, 'geom', area));
    }
    return query;
  });
  const [first, ...rest] = selects;
  if (!first) return [];
  const rows = await (rest.length ? first.unionAll(rest, true) : first);
  return (rows as (TerritoryRow & { area_index: number })[])
    .map((row) => ({ ...toTerritory(row), area_index: Number(row.area_index) }))
    .sort((a, b) => a.code.localeCompare(b.code));
}
