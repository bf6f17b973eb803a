import type { Knex } from 'knex';
import type { Point } from 'geojson';
import { areaCondition, type AreaRepresentation } from '../../lib/geo.ts';

export type ValidationStatus = 'PENDING' | 'VALIDATED' | 'REJECTED';
export type ProducerKind = 'CITIZEN' | 'PARTNER' | 'COLLECTIVITY';
export type Licence = 'ODBL' | 'LICENCE_OUVERTE_2' | 'CC_BY_4';

export interface Provenance {
  producerKind: ProducerKind;
  producerName: string;
  licence: Licence;
  source: string;
  synthetic: boolean;
  validationStatus: ValidationStatus;
}

export interface SensorRecord {
  id: string;
  sensorType: string;
  pairedSensorType: string | null;
  location: Point;
  measures: string[];
  status: ValidationStatus;
  contributorId: number | null;
  provenance: Provenance;
}

export interface ContributorRecord {
  id: number;
  pseudonym: string;
  contactEmail: string;
}

export interface ReadingRecord {
  sensorId: string;
  time: string;
  pm10: number | null;
  pm25: number | null;
  temperature: number | null;
  humidity: number | null;
}

export interface DatasetRecord {
  id: string;
  title: string;
  description: string;
  licence: Licence;
  producer: { kind: ProducerKind; name: string };
  theme: string;
  updatedAt: string;
  landingPage: string | null;
  format: string;
  provenance: Provenance;
}

/** One readings request: the sensors share the same window and page. `to` is exclusive. */
export interface ReadingWindow {
  from: string;
  toExclusive: string;
  limit: number;
  after: string | undefined;
  raw: boolean;
}

/** A keyset page: rows after `after` in id order, `limit` of them. */
export interface PageWindow {
  limit: number;
  after: string | undefined;
}

type Row = Record<string, any>;

const SENSOR_COLUMNS = [
  's.id',
  's.sensor_type',
  's.paired_sensor_type',
  's.measures',
  's.status',
  's.contributor_id',
  's.producer_kind',
  's.producer_name',
  's.licence',
  's.source',
  's.synthetic',
];

function provenanceOf(row: Row): Provenance {
  return {
    producerKind: row.producer_kind,
    producerName: row.producer_name,
    licence: row.licence,
    source: row.source,
    synthetic: row.synthetic,
    validationStatus: row.status,
  };
}

function toSensor(row: Row): SensorRecord {
  return {
    id: row.id,
    sensorType: row.sensor_type,
    pairedSensorType: row.paired_sensor_type,
    location: { type: 'Point', coordinates: [row.lon, row.lat] },
    measures: row.measures,
    status: row.status,
    contributorId: row.contributor_id,
    provenance: provenanceOf(row),
  };
}

function toDataset(row: Row): DatasetRecord {
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    licence: row.licence,
    producer: { kind: row.producer_kind, name: row.producer_name },
    theme: row.theme,
    updatedAt: row.updated_on,
    landingPage: row.landing_page,
    format: row.format,
    provenance: provenanceOf(row),
  };
}

function validatedSensors(knex: Knex): Knex.QueryBuilder {
  return knex
    .select(SENSOR_COLUMNS)
    .select(knex.raw('ST_X(s.geom) as lon, ST_Y(s.geom) as lat'))
    .from('community.sensor as s')
    .where('s.status', 'VALIDATED');
}

/**
 * One statement for several parts: each part is tagged with its position (`part`) and wrapped in
 * parentheses, so it keeps its own `order by` and `limit`.
 */
function unionOfParts(knex: Knex, parts: Knex.QueryBuilder[]): Knex.QueryBuilder {
  const tagged = parts.map((part, index) => part.select(knex.raw('?::int as part', [index])));
  return knex.queryBuilder().unionAll(tagged, true);
}

function groupByPart<T>(rows: Row[], count: number, map: (row: Row) => T): T[][] {
  const groups = Array.from({ length: count }, () => [] as T[]);
  for (const row of rows) groups[row.part as number]?.push(map(row));
  return groups;
}

/** Validated sensors by id; missing or unvalidated ids give null. */
export async function sensorsByIds(knex: Knex, ids: readonly string[]): Promise<(SensorRecord | null)[]> {
  const rows: Row[] = await validatedSensors(knex).whereIn('s.id', ids as string[]);
  const byId = new Map(rows.map((row) => [row.id as string, toSensor(row)]));
  return ids.map((id) => byId.get(id) ?? null);
}

/** Throws BAD_USER_INPUT when the area's selector or geometry cannot make a condition (sends no SQL). */
export function assertAreaUsable(knex: Knex, area: AreaRepresentation): void {
  areaCondition(knex, 's.geom', area);
}

/** The statement behind `sensorsInAreas`, exported so tests can EXPLAIN it. */
export function sensorsInAreasQuery(knex: Knex, areas: readonly AreaRepresentation[]): Knex.QueryBuilder {
  return unionOfParts(
    knex,
    areas.map((area) => validatedSensors(knex).where(areaCondition(knex, 's.geom', area)).orderBy('s.id')),
  );
}

/** Validated sensors inside each area, in id order. */
export async function sensorsInAreas(knex: Knex, areas: readonly AreaRepresentation[]): Promise<SensorRecord[][]> {
  const rows: Row[] = await sensorsInAreasQuery(knex, areas);
  return groupByPart(rows, areas.length, toSensor);
}

/** Pages of validated sensors, one per window; `limit + 1` rows each so the caller knows if more follow. */
export async function sensorPages(knex: Knex, windows: readonly PageWindow[]): Promise<SensorRecord[][]> {
  const parts = windows.map((w) => {
    const query = validatedSensors(knex).orderBy('s.id').limit(w.limit + 1);
    return w.after === undefined ? query : query.where('s.id', '>', w.after);
  });
  return groupByPart(await unionOfParts(knex, parts), windows.length, toSensor);
}

export async function contributorsByIds(knex: Knex, ids: readonly number[]): Promise<(ContributorRecord | null)[]> {
  const rows: Row[] = await knex
    .select('id', 'pseudonym', 'contact_email')
    .from('community.contributor')
    .whereIn('id', ids as number[]);
  const byId = new Map(rows.map((r) => [r.id as number, { id: r.id, pseudonym: r.pseudonym, contactEmail: r.contact_email }]));
  return ids.map((id) => byId.get(id) ?? null);
}

/**
 * The readings of several sensors over one window: a lateral join walks the (sensor_id, measured_at)
 * primary key once per sensor and stops after `limit + 1` rows.
 */
export function readingsQuery(knex: Knex, sensorIds: readonly string[], window: ReadingWindow): Knex.QueryBuilder {
  const inner = knex
    .select('r.measured_at', 'r.pm10', 'r.pm25', 'r.temperature', 'r.humidity')
    .from('community.reading as r')
    .whereRaw('r.sensor_id = k.id')
    .where('r.measured_at', '>=', window.from)
    .where('r.measured_at', '<', window.toExclusive)
    .orderBy('r.measured_at')
    .limit(window.limit + 1);
  if (window.after !== undefined) inner.where('r.measured_at', '>', window.after);
  if (!window.raw) inner.where('r.passes_basic_checks', true);
  return knex
    .select('k.id as sensor_id', 'x.*')
    .from(knex.raw('unnest(?::text[]) as k(id) cross join lateral ? as x', [sensorIds as string[], inner]));
}

/** Readings for groups of sensors, each group with its own window, in one statement. */
export async function readingsForWindows(
  knex: Knex,
  groups: readonly { sensorIds: string[]; window: ReadingWindow }[],
): Promise<ReadingRecord[][]> {
  const parts = groups.map((g) => readingsQuery(knex, g.sensorIds, g.window));
  const rows: Row[] = await unionOfParts(knex, parts);
  return groupByPart(rows, groups.length, (row) => ({
    sensorId: row.sensor_id,
    time: new Date(row.measured_at).toISOString(),
    pm10: row.pm10,
    pm25: row.pm25,
    temperature: row.temperature,
    humidity: row.humidity,
  }));
}

const DATASET_COLUMNS = [
  'id',
  'title',
  'description',
  'theme',
  'producer_kind',
  'producer_name',
  'licence',
  'updated_on',
  'landing_page',
  'format',
  'status',
  'source',
  'synthetic',
];

export async function datasetsByIds(knex: Knex, ids: readonly string[]): Promise<(DatasetRecord | null)[]> {
  const rows: Row[] = await knex
    .select(DATASET_COLUMNS)
    .from('community.dataset')
    .where('status', 'VALIDATED')
    .whereIn('id', ids as string[]);
  const byId = new Map(rows.map((row) => [row.id as string, toDataset(row)]));
  return ids.map((id) => byId.get(id) ?? null);
}

export async function datasetPages(knex: Knex, windows: readonly PageWindow[]): Promise<DatasetRecord[][]> {
  const parts = windows.map((w) => {
    const query = knex
      .select(DATASET_COLUMNS)
      .from('community.dataset')
      .where('status', 'VALIDATED')
      .orderBy('id')
      .limit(w.limit + 1);
    return w.after === undefined ? query : query.where('id', '>', w.after);
  });
  return groupByPart(await unionOfParts(knex, parts), windows.length, toDataset);
}
