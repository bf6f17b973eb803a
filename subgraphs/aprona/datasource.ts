import type { Knex } from 'knex';
import type { Point } from 'geojson';
import { areaCondition, type AreaRepresentation } from '../../lib/geo.ts';
import { upsertCounting, type UpsertCounts } from '../../lib/ingest/runner.ts';

/** A territory as APRONA receives it from the gateway: its code only. */
export interface TerritoryKey {
  code: string;
}

export interface PointRow {
  id: string;
  bss_code: string | null;
  name: string | null;
  location: Point;
  commune_code: string | null;
  aquifer_code: string | null;
  aquifer_name: string | null;
  coordinate_precision: number | null;
  source: string;
  synthetic: boolean;
}

export interface ParameterRow {
  code: string;
  name: string;
  kind: 'NITRATE' | 'PESTICIDE' | 'PESTICIDE_TOTAL' | 'OTHER';
  unit: string;
  drinking_water_limit: number | null;
  limit_basis: string | null;
}

export interface AnalysisRow {
  point_id: string;
  parameter_code: string;
  /** ISO 8601 instant, UTC. */
  sampled_at: string;
  result: number | null;
  unit: string;
  remark_code: number;
  quantification_limit: number | null;
  detection_limit: number | null;
  qualification_code: string | null;
  status_code: string | null;
  source: string;
  synthetic: boolean;
}

/** Keyset position in a point's analyses: the (sampled_at, parameter_code) of the last row seen. */
export type AnalysisCursor = [sampledAt: string, parameter: string];

/** One page of one point's analyses. */
export interface AnalysisPageQuery {
  point: string;
  parameter: string | null;
  from: string;
  to: string;
  /** The page size plus one, to know whether another page follows. */
  limit: number;
  after: AnalysisCursor | undefined;
  includeUnvalidated: boolean;
}

/** The most points one list returns. */
export const MAX_POINTS = 1000;

/** Checked analyses: qualified correct (SANDRE 414 code 1) and controlled (SANDRE 416 codes 2–4). */
const VALIDATED = "a.qualification_code = '1' and a.status_code in ('2', '3', '4')";

const json = <T>(value: unknown): T => (typeof value === 'string' ? JSON.parse(value) : value) as T;

function pointSelect(knex: Knex) {
  return knex('aprona.point as p').select(
    'p.id', 'p.bss_code', 'p.name', 'p.commune_code', 'p.aquifer_code', 'p.aquifer_name', 'p.coordinate_precision', 'p.source', 'p.synthetic',
    knex.raw('ST_AsGeoJSON(p.geom, 6)::json as location'),
  );
}

const toPoint = (row: PointRow): PointRow => ({ ...row, location: json<Point>(row.location) });

export async function pointsByIds(knex: Knex, ids: readonly string[]): Promise<PointRow[]> {
  return (await pointSelect(knex).whereIn('p.id', ids as string[])).map(toPoint);
}

export async function allPoints(knex: Knex): Promise<PointRow[]> {
  return (await pointSelect(knex).orderBy('p.id').limit(MAX_POINTS)).map(toPoint);
}

export async function pointsOfCommunes(knex: Knex, codes: readonly string[]): Promise<PointRow[]> {
  return (await pointSelect(knex).whereIn('p.commune_code', codes as string[]).orderBy('p.id')).map(toPoint);
}

/** Points inside each area, one statement for all areas; `area_index` points into `areas`. */
export async function pointsInAreas(knex: Knex, areas: readonly AreaRepresentation[]): Promise<(PointRow & { area_index: number })[]> {
  const [first, ...rest] = areas.map((area, index) => pointSelect(knex).select(knex.raw('?::int as area_index', [index])).where(areaCondition(knex, 'p.geom', area)));
  if (!first) return [];
  const rows = (await (rest.length ? first.unionAll(rest, true) : first)) as (PointRow & { area_index: number })[];
  return rows.map((row) => ({ ...toPoint(row), area_index: Number(row.area_index) })).sort((a, b) => a.id.localeCompare(b.id));
}

export async function listParameters(knex: Knex): Promise<ParameterRow[]> {
  return knex('aprona.parameter').select('*').orderBy(knex.raw('code::int') as unknown as string);
}

const ANALYSIS_COLUMNS = [
  'a.point_id', 'a.parameter_code', 'a.sampled_at', 'a.result', 'a.unit', 'a.remark_code', 'a.quantification_limit',
  'a.detection_limit', 'a.qualification_code', 'a.status_code', 'a.source', 'a.synthetic',
];

const toAnalysis = (row: Record<string, unknown>): AnalysisRow => ({ ...(row as unknown as AnalysisRow), sampled_at: new Date(row.sampled_at as string).toISOString() });

function analysisPageSelect(knex: Knex, page: AnalysisPageQuery, index: number): Knex.QueryBuilder {
  const query = knex('aprona.analysis as a')
    .select(knex.raw('? as page_index', [index]), ...ANALYSIS_COLUMNS)
    .where('a.point_id', page.point)
    .whereBetween('a.sampled_at', [page.from, page.to])
    .orderBy([{ column: 'a.sampled_at' }, { column: 'a.parameter_code' }])
    .limit(page.limit);
  if (page.parameter) query.where('a.parameter_code', page.parameter);
  if (!page.includeUnvalidated) query.whereRaw(VALIDATED);
  if (page.after) query.whereRaw('(a.sampled_at, a.parameter_code) > (?::timestamptz, ?)', page.after);
  return query;
}

/** Pages of analyses for many points in one statement; each page keeps its own keyset, order and limit. */
export async function analysisPages(knex: Knex, pages: readonly AnalysisPageQuery[]): Promise<AnalysisRow[][]> {
  const [first, ...rest] = pages.map((page, index) => analysisPageSelect(knex, page, index));
  const result: AnalysisRow[][] = pages.map(() => []);
  if (!first) return result;
  const rows = (await (rest.length ? knex.unionAll([first, ...rest], true) : first)) as Record<string, unknown>[];
  for (const row of rows) result[Number(row.page_index)]?.push(toAnalysis(row));
  for (const page of result) page.sort((a, b) => a.sampled_at.localeCompare(b.sampled_at) || a.parameter_code.localeCompare(b.parameter_code));
  return result;
}

/**
 * For each point: the latest checked analysis of every parameter that has a limit, and every checked
 * pesticide analysis of the point's latest sample holding pesticides (to total them). Two statements.
 */
export async function latestAnalyses(knex: Knex, pointIds: readonly string[]): Promise<{ latest: AnalysisRow[]; lastPesticideSample: AnalysisRow[] }> {
  const latest = await knex
    .select(...ANALYSIS_COLUMNS)
    .from('aprona.analysis as a')
    .join('aprona.parameter as r', 'r.code', 'a.parameter_code')
    .whereIn('a.point_id', pointIds as string[])
    .whereNotNull('r.drinking_water_limit')
    .whereRaw(VALIDATED)
    .distinctOn(['a.point_id', 'a.parameter_code'])
    .orderBy([{ column: 'a.point_id' }, { column: 'a.parameter_code' }, { column: 'a.sampled_at', order: 'desc' }]);
  const lastPesticideSample = await knex
    .select(...ANALYSIS_COLUMNS)
    .from('aprona.analysis as a')
    .join('aprona.parameter as r', 'r.code', 'a.parameter_code')
    .where('r.kind', 'PESTICIDE')
    .whereRaw(VALIDATED)
    .whereIn(
      ['a.point_id', 'a.sampled_at'],
      knex('aprona.analysis as l')
        .join('aprona.parameter as q', 'q.code', 'l.parameter_code')
        .select('l.point_id', knex.raw('max(l.sampled_at)'))
        .whereIn('l.point_id', pointIds as string[])
        .where('q.kind', 'PESTICIDE')
        .whereRaw(VALIDATED.replaceAll('a.', 'l.'))
        .groupBy('l.point_id'),
    );
  return { latest: latest.map(toAnalysis), lastPesticideSample: lastPesticideSample.map(toAnalysis) };
}

/** The ids of every point and the parameter catalogue, which an analyses file is checked against. */
export async function allPointIds(knex: Knex): Promise<{ points: Set<string>; parameters: Map<string, ParameterRow> }> {
  const points: { id: string }[] = await knex('aprona.point').select('id');
  const parameters: ParameterRow[] = await knex('aprona.parameter').select('*');
  return { points: new Set(points.map((row) => row.id)), parameters: new Map(parameters.map((p) => [p.code, p])) };
}

/** Adds parameters the catalogue does not hold; an existing entry (and its limit) is never changed by a file. */
export async function upsertParameters(trx: Knex.Transaction, rows: ParameterRow[]): Promise<void> {
  await trx('aprona.parameter').insert(rows).onConflict('code').ignore();
}

/** The writable shape of a point: its location as lon/lat. */
export interface PointWrite extends Omit<PointRow, 'location'> {
  lon: number;
  lat: number;
}

export function upsertPoints(trx: Knex.Transaction, rows: PointWrite[]): Promise<UpsertCounts> {
  return upsertCounting(
    trx,
    'aprona.point',
    ['id'],
    ['bss_code', 'name', 'geom', 'commune_code', 'aquifer_code', 'aquifer_name', 'coordinate_precision', 'source', 'synthetic'],
    rows.map(({ lon, lat, ...row }) => ({ ...row, geom: trx.raw('ST_SetSRID(ST_MakePoint(?, ?), 4326)', [lon, lat]) })),
  );
}

export function upsertAnalyses(trx: Knex.Transaction, rows: AnalysisRow[]): Promise<UpsertCounts> {
  return upsertCounting(
    trx,
    'aprona.analysis',
    ['point_id', 'parameter_code', 'sampled_at'],
    ['result', 'unit', 'remark_code', 'quantification_limit', 'detection_limit', 'qualification_code', 'status_code', 'source', 'synthetic'],
    rows as unknown as Record<string, unknown>[],
  );
}
