import type { Knex } from 'knex';
import type { Point } from 'geojson';
import { areaCondition, type AreaRepresentation } from '../../lib/geo.ts';

export type Pollutant = 'NO2' | 'SO2' | 'O3' | 'PM10' | 'PM25';

/** A territory as ATMO receives it from the gateway: its code only. */
export interface TerritoryKey {
  code: string;
}
export type ZoneType = 'COMMUNE' | 'EPCI';
/** Which publication a daily index is (see migrations/003_national_feeds.ts). */
export type IndexKind = 'forecast' | 'observation' | 'undated';

export interface StationRow {
  code: string;
  name: string;
  commune_code: string;
  epci_code: string | null;
  typology: string | null;
  /** Eionet area classification of the LCSQA list (`urban`, `suburban`…); null until the list is ingested. */
  area_classification: string | null;
  /** YYYY-MM-DD, from the LCSQA list. */
  activity_begin: string | null;
  activity_end: string | null;
  source: string;
  synthetic: boolean;
  location: Point;
}

/** A daily index row in the national open-data shape, with its class label and colour. */
export interface DailyIndexRow {
  date_ech: string;
  code_zone: string;
  lib_zone: string;
  type_zone: ZoneType;
  kind: IndexKind;
  /** Day of diffusion in Europe/Paris (YYYY-MM-DD); null for undated rows. */
  date_dif: string | null;
  /** Last update, an instant; null when the file gave none. */
  date_maj: Date | string | null;
  code_qual: number;
  lib_qual: string;
  coul_qual: string;
  code_no2: number;
  code_so2: number;
  code_o3: number;
  code_pm10: number;
  code_pm25: number;
  source: string;
  synthetic: boolean;
}

/** Codes of zones that share one date range and one choice of publication. */
export interface DailyIndexGroup {
  codes: string[];
  from: string;
  to: string;
  /** Only forecasts, or only observations; null: one row per day, the best publication (see dailyIndices). */
  kind: 'forecast' | 'observation' | null;
}

export interface MeasurementRow {
  pollutant: Pollutant;
  /** ISO 8601 instant, UTC. */
  time: string;
  value: number;
  unit: string;
  validated: boolean;
  /** True for a validated hourly mean, false for a raw one, null when the source did not say. */
  verified: boolean | null;
  /** `code qualité` as the LCSQA E2 file published it. */
  quality_code: string | null;
  source: string;
  synthetic: boolean;
}

/** Keyset position in a station's measurement list: the (time, pollutant) of the last row seen. */
export type MeasurementCursor = [time: string, pollutant: Pollutant];

/** One page of one station's measurements. */
export interface MeasurementPageQuery {
  station: string;
  pollutant: Pollutant | null;
  from: string;
  to: string;
  /** Rows to fetch (the page size plus one, to know whether another page follows). */
  limit: number;
  after: MeasurementCursor | undefined;
  includeUnvalidated: boolean;
}

const json = <T>(value: unknown): T => (typeof value === 'string' ? JSON.parse(value) : value) as T;

const STATION_COLUMNS =
  'code, name, commune_code, epci_code, typology, area_classification, activity_begin, activity_end, source, synthetic, ST_AsGeoJSON(geom, 6)::json as location';

function stationSelect(knex: Knex) {
  return knex('atmo.station').select(knex.raw(STATION_COLUMNS));
}

const toStation = (row: StationRow): StationRow => ({ ...row, location: json<Point>(row.location) });

export async function stationsByCodes(knex: Knex, codes: readonly string[]): Promise<StationRow[]> {
  const rows = await stationSelect(knex).whereIn('code', codes as string[]);
  return rows.map(toStation);
}

export async function allStations(knex: Knex): Promise<StationRow[]> {
  return (await stationSelect(knex).orderBy('code')).map(toStation);
}

/** Stations whose commune or EPCI is one of `codes`; an IRIS code matches neither. */
export async function stationsOfTerritories(knex: Knex, codes: readonly string[]): Promise<StationRow[]> {
  const rows = await stationSelect(knex)
    .whereIn('commune_code', codes as string[])
    .orWhereIn('epci_code', codes as string[])
    .orderBy('code');
  return rows.map(toStation);
}

/** The statement behind `stationsInAreas`, exported so tests can EXPLAIN it. */
export function stationsInAreasQuery(knex: Knex, areas: readonly AreaRepresentation[]): Knex.QueryBuilder | undefined {
  const selects = areas.map((area, index) =>
    stationSelect(knex).select(knex.raw('? as area_index', [index])).where(areaCondition(knex, 'geom', area)),
  );
  const [first, ...rest] = selects;
  return first && (rest.length ? first.unionAll(rest, true) : first);
}

/** Stations inside each area, in one statement for all areas; `area_index` points into `areas`. */
export async function stationsInAreas(
  knex: Knex,
  areas: readonly AreaRepresentation[],
): Promise<(StationRow & { area_index: number })[]> {
  const query = stationsInAreasQuery(knex, areas);
  if (!query) return [];
  const rows = (await query) as (StationRow & { area_index: number })[];
  return rows
    .map((row) => ({ ...toStation(row), area_index: Number(row.area_index) }))
    .sort((a, b) => a.code.localeCompare(b.code));
}

/** Publications of one day, best first: the day's own index, then one without a date of diffusion, then a forecast. */
const KIND_ORDER = "case d.kind when 'observation' then 0 when 'undated' then 1 else 2 end";

/**
 * Daily indices of many zones, one statement whatever the number of date ranges; `group_index` points
 * into `groups`. One row per zone and day: of the publications kept for a day, the best (KIND_ORDER),
 * or only those of the group's `kind`. Ordered by zone then date.
 */
export async function dailyIndices(
  knex: Knex,
  groups: readonly DailyIndexGroup[],
): Promise<(DailyIndexRow & { group_index: number })[]> {
  const selects = groups.map((group, index) => {
    const query = knex('atmo.daily_index as d')
      .join('atmo.index_class as c', 'c.code', 'd.code_qual')
      .distinctOn('d.code_zone', 'd.date_ech')
      .select(
        knex.raw('? as group_index', [index]),
        'd.date_ech', 'd.code_zone', 'd.lib_zone', 'd.type_zone', 'd.kind', 'd.date_dif', 'd.date_maj', 'd.code_qual',
        'c.label as lib_qual', 'c.color as coul_qual',
        'd.code_no2', 'd.code_so2', 'd.code_o3', 'd.code_pm10', 'd.code_pm25', 'd.source', 'd.synthetic',
      )
      .whereIn('d.code_zone', group.codes)
      .whereBetween('d.date_ech', [group.from, group.to])
      .orderBy([{ column: 'd.code_zone' }, { column: 'd.date_ech' }])
      .orderByRaw(KIND_ORDER);
    if (group.kind) query.where('d.kind', group.kind);
    return query;
  });
  const [first, ...rest] = selects;
  if (!first) return [];
  const rows = (await (rest.length ? knex.unionAll(selects, true) : first)) as (DailyIndexRow & { group_index: number })[];
  return rows
    .map((row) => ({ ...row, group_index: Number(row.group_index) }))
    .sort((a, b) => a.code_zone.localeCompare(b.code_zone) || a.date_ech.localeCompare(b.date_ech));
}

function measurementPageSelect(knex: Knex, page: MeasurementPageQuery, index: number): Knex.QueryBuilder {
  const query = knex('atmo.measurement')
    .select(knex.raw('? as page_index', [index]), 'pollutant', 'measured_at', 'value', 'unit', 'validated', 'verified', 'quality_code', 'source', 'synthetic')
    .where('station_code', page.station)
    .whereBetween('measured_at', [page.from, page.to])
    .orderBy([{ column: 'measured_at' }, { column: 'pollutant' }])
    .limit(page.limit);
  if (page.pollutant) query.where('pollutant', page.pollutant);
  if (!page.includeUnvalidated) query.where('validated', true);
  if (page.after) query.whereRaw('(measured_at, pollutant) > (?::timestamptz, ?)', page.after);
  return query;
}

/** The statement behind `measurementPages`, exported so tests can EXPLAIN it. */
export function measurementPagesQuery(knex: Knex, pages: readonly MeasurementPageQuery[]): Knex.QueryBuilder | undefined {
  const [first, ...rest] = pages.map((page, index) => measurementPageSelect(knex, page, index));
  return first && (rest.length ? knex.unionAll([first, ...rest], true) : first);
}

/**
 * Pages of hourly measurements for many stations in one statement; each page keeps its own
 * keyset, order and limit (every select is parenthesized inside the `union all`).
 */
export async function measurementPages(knex: Knex, pages: readonly MeasurementPageQuery[]): Promise<MeasurementRow[][]> {
  const query = measurementPagesQuery(knex, pages);
  const result: MeasurementRow[][] = pages.map(() => []);
  if (!query) return result;
  const rows = (await query) as (Omit<MeasurementRow, 'time'> & { page_index: number; measured_at: Date | string })[];
  for (const { page_index, measured_at, ...row } of rows) {
    result[Number(page_index)]?.push({ ...row, time: new Date(measured_at).toISOString() });
  }
  for (const page of result) page.sort((a, b) => a.time.localeCompare(b.time) || a.pollutant.localeCompare(b.pollutant));
  return result;
}
