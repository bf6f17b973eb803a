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

// ---------------------------------------------------------------------------------------------------
// Contributions (moderated datasets) and sensor quality.

export interface ContributionRecord {
  id: string;
  title: string;
  description: string;
  licence: Licence;
  producerKind: ProducerKind;
  contact: string;
  contributor: string;
  status: ValidationStatus;
  submittedAt: string;
  source: string;
  synthetic: boolean;
}

export interface StatusChangeRecord {
  contributionId: string;
  from: ValidationStatus | null;
  to: ValidationStatus;
  at: string;
  by: string;
  reason: string | null;
}

export interface FeatureRecord {
  contributionId: string;
  featureNo: number;
  geometry: unknown;
  properties: Record<string, unknown>;
}

export interface QualityRecord {
  sensorId: string;
  score: number;
  flags: { code: string; description: string; count: number }[];
  method: string;
  referenceStation: string | null;
  bias: number | null;
  correlation: number | null;
  comparedHours: number;
  computedAt: string;
}

const CONTRIBUTION_COLUMNS = ['id', 'title', 'description', 'licence', 'producer_kind', 'contact', 'contributor', 'status', 'submitted_at', 'source', 'synthetic'];

function toContribution(row: Row): ContributionRecord {
  return {
    id: String(row.id),
    title: row.title,
    description: row.description,
    licence: row.licence,
    producerKind: row.producer_kind,
    contact: row.contact,
    contributor: row.contributor,
    status: row.status,
    submittedAt: new Date(row.submitted_at).toISOString(),
    source: row.source,
    synthetic: row.synthetic,
  };
}

const isId = (id: string) => /^[1-9][0-9]{0,17}$/.test(id);

export async function contributionsByIds(knex: Knex, ids: readonly string[]): Promise<(ContributionRecord | null)[]> {
  const valid = ids.filter(isId);
  const rows: Row[] = valid.length === 0 ? [] : await knex.select(CONTRIBUTION_COLUMNS).from('community.contribution').whereIn('id', valid);
  const byId = new Map(rows.map((row) => [String(row.id), toContribution(row)]));
  return ids.map((id) => byId.get(id) ?? null);
}

/** Lists: `validated` (newest first), `pending` (oldest first) or one contributor's own (newest first). */
export async function contributionList(knex: Knex, which: { kind: 'validated' | 'pending' } | { kind: 'own'; contributor: string }): Promise<ContributionRecord[]> {
  const query = knex.select(CONTRIBUTION_COLUMNS).from('community.contribution').limit(1000);
  if (which.kind === 'own') query.where('contributor', which.contributor).orderBy('id', 'desc');
  else if (which.kind === 'validated') query.where('status', 'VALIDATED').orderBy('id', 'desc');
  else query.where('status', 'PENDING').orderBy('id', 'asc');
  return (await query).map(toContribution);
}

export async function historiesByContribution(knex: Knex, ids: readonly string[]): Promise<StatusChangeRecord[][]> {
  const rows: Row[] = await knex
    .select('contribution_id', 'from_status', 'to_status', 'changed_at', 'changed_by', 'reason')
    .from('community.contribution_history')
    .whereIn('contribution_id', ids.filter(isId))
    .orderBy(['contribution_id', 'changed_at', 'id']);
  const groups = new Map(ids.map((id) => [id, [] as StatusChangeRecord[]]));
  for (const row of rows) {
    groups.get(String(row.contribution_id))?.push({
      contributionId: String(row.contribution_id),
      from: row.from_status,
      to: row.to_status,
      at: new Date(row.changed_at).toISOString(),
      by: row.changed_by,
      reason: row.reason,
    });
  }
  return ids.map((id) => groups.get(id) ?? []);
}

export async function featuresByContribution(knex: Knex, ids: readonly string[]): Promise<FeatureRecord[][]> {
  const rows: Row[] = await knex
    .select('contribution_id', 'feature_no', 'properties', knex.raw('ST_AsGeoJSON(geom)::json as geometry'))
    .from('community.contribution_feature')
    .whereIn('contribution_id', ids.filter(isId))
    .orderBy(['contribution_id', 'feature_no']);
  const groups = new Map(ids.map((id) => [id, [] as FeatureRecord[]]));
  for (const row of rows) {
    groups.get(String(row.contribution_id))?.push({
      contributionId: String(row.contribution_id),
      featureNo: row.feature_no,
      geometry: typeof row.geometry === 'string' ? JSON.parse(row.geometry) : row.geometry,
      properties: typeof row.properties === 'string' ? JSON.parse(row.properties) : row.properties,
    });
  }
  return ids.map((id) => groups.get(id) ?? []);
}

export interface NewContribution {
  title: string;
  description: string;
  licence: Licence;
  producerKind: ProducerKind;
  contact: string;
}

export async function insertContribution(knex: Knex, input: NewContribution, contributor: string, source: string, synthetic = false): Promise<string> {
  return knex.transaction(async (trx) => {
    const now = new Date().toISOString();
    const [row] = await trx('community.contribution')
      .insert({
        title: input.title,
        description: input.description,
        licence: input.licence,
        producer_kind: input.producerKind,
        contact: input.contact,
        contributor,
        status: 'PENDING',
        submitted_at: now,
        source,
        synthetic,
      })
      .returning('id');
    const id = String((row as Row).id);
    await trx('community.contribution_history').insert({ contribution_id: id, from_status: null, to_status: 'PENDING', changed_at: now, changed_by: contributor, reason: 'submitted' });
    return id;
  });
}

/** Locks the contribution row so that concurrent moderation or additions serialise. */
export async function lockContribution(trx: Knex.Transaction, id: string): Promise<ContributionRecord | null> {
  if (!isId(id)) return null;
  const row = await trx.select(CONTRIBUTION_COLUMNS).from('community.contribution').where('id', id).forUpdate().first();
  return row ? toContribution(row) : null;
}

export async function appendFeatures(trx: Knex.Transaction, id: string, features: { geometry: unknown; properties: Record<string, unknown> }[]): Promise<void> {
  const last = await trx('community.contribution_feature').where('contribution_id', id).max<{ max: number | null }[]>('feature_no as max');
  const start = Number(last[0]?.max ?? 0);
  const rows = features.map((f, i) => ({
    contribution_id: id,
    feature_no: start + i + 1,
    geom: trx.raw('ST_SetSRID(ST_GeomFromGeoJSON(?), 4326)', [JSON.stringify(f.geometry)]),
    properties: JSON.stringify(f.properties),
  }));
  await trx.batchInsert('community.contribution_feature', rows, 1000);
}

export async function setContributionStatus(trx: Knex.Transaction, id: string, from: ValidationStatus, to: ValidationStatus, by: string, reason: string | null): Promise<void> {
  const now = new Date().toISOString();
  await trx('community.contribution').where('id', id).update({ status: to });
  await trx('community.contribution_history').insert({ contribution_id: id, from_status: from, to_status: to, changed_at: now, changed_by: by, reason });
}

/** Moderates a sensor; returns its previous status, or null when the id is unknown. */
export async function setSensorStatus(knex: Knex, id: string, to: ValidationStatus, by: string, reason: string | null, allowed: (from: ValidationStatus) => boolean): Promise<ValidationStatus | null | 'refused'> {
  return knex.transaction(async (trx) => {
    const row = await trx.select('status').from('community.sensor').where('id', id).forUpdate().first();
    if (!row) return null;
    if (!allowed(row.status)) return 'refused';
    await trx('community.sensor').where('id', id).update({ status: to });
    await trx('community.status_history').insert({ sensor_id: id, status: to, changed_at: new Date().toISOString(), changed_by: by, reason });
    return row.status as ValidationStatus;
  });
}

export async function qualityBySensor(knex: Knex, ids: readonly string[]): Promise<(QualityRecord | null)[]> {
  const rows: Row[] = await knex.select('*').from('community.sensor_quality').whereIn('sensor_id', ids as string[]);
  const byId = new Map(
    rows.map((row) => [
      row.sensor_id as string,
      {
        sensorId: row.sensor_id,
        score: row.score,
        flags: typeof row.flags === 'string' ? JSON.parse(row.flags) : row.flags,
        method: row.method,
        referenceStation: row.reference_station,
        bias: row.bias,
        correlation: row.correlation,
        comparedHours: row.compared_hours,
        computedAt: new Date(row.computed_at).toISOString(),
      } satisfies QualityRecord,
    ]),
  );
  return ids.map((id) => byId.get(id) ?? null);
}

/** Every sensor's location and its PM2.5/humidity hourly series (the QC job's input), one statement. */
export async function sensorsForQuality(knex: Knex): Promise<{ id: string; lon: number; lat: number }[]> {
  const rows: Row[] = await knex.select('id', knex.raw('ST_X(geom) as lon, ST_Y(geom) as lat')).from('community.sensor').orderBy('id');
  return rows.map((r) => ({ id: r.id, lon: Number(r.lon), lat: Number(r.lat) }));
}

export async function qualitySeries(knex: Knex, sensorId: string): Promise<{ time: string; pm25: number | null; pm10: number | null; humidity: number | null }[]> {
  const rows: Row[] = await knex.select('measured_at', 'pm25', 'pm10', 'humidity').from('community.reading').where('sensor_id', sensorId).orderBy('measured_at');
  return rows.map((r) => ({ time: new Date(r.measured_at).toISOString(), pm25: r.pm25, pm10: r.pm10, humidity: r.humidity }));
}

export async function saveQuality(knex: Knex, records: QualityRecord[]): Promise<void> {
  await knex.transaction(async (trx) => {
    for (const q of records) {
      const row = {
        sensor_id: q.sensorId,
        score: q.score,
        flags: JSON.stringify(q.flags),
        method: q.method,
        reference_station: q.referenceStation,
        bias: q.bias,
        correlation: q.correlation,
        compared_hours: q.comparedHours,
        computed_at: q.computedAt,
      };
      await trx('community.sensor_quality').insert(row).onConflict('sensor_id').merge();
    }
  });
}

// ---------------------------------------------------------------------------------------------------
// Transparency indicators, decision processes and dataset requests.

export interface IndicatorRecord {
  id: string;
  name: string;
  definition: string;
  method: string;
  unit: string;
  periodicity: string;
  ownerService: string;
  source: string;
  synthetic: boolean;
}

export interface DecisionProcessRecord {
  id: string;
  title: string;
  summary: string;
  source: string;
  synthetic: boolean;
}

export interface DatasetRequestRecord {
  id: string;
  title: string;
  description: string;
  requestedBy: string;
  status: string;
  statusReason: string | null;
  createdAt: string;
  votes: number;
  synthetic: boolean;
}

export async function indicators(knex: Knex): Promise<IndicatorRecord[]> {
  const rows: Row[] = await knex.select('*').from('community.transparency_indicator').orderBy('id');
  return rows.map((r) => ({ id: r.id, name: r.name, definition: r.definition, method: r.method, unit: r.unit, periodicity: r.periodicity, ownerService: r.owner_service, source: r.source, synthetic: r.synthetic }));
}

export async function indicatorValues(knex: Knex, ids: readonly string[]): Promise<{ period: string; value: number }[][]> {
  const rows: Row[] = await knex
    .select('indicator_id', knex.raw("to_char(period_start, 'YYYY-MM-DD') as period"), 'value')
    .from('community.transparency_value')
    .whereIn('indicator_id', ids as string[])
    .orderBy(['indicator_id', 'period_start']);
  const groups = new Map(ids.map((id) => [id, [] as { period: string; value: number }[]]));
  for (const r of rows) groups.get(r.indicator_id)?.push({ period: r.period, value: r.value });
  return ids.map((id) => groups.get(id) ?? []);
}

export async function decisionProcesses(knex: Knex, ids?: readonly string[]): Promise<DecisionProcessRecord[]> {
  const query = knex.select('*').from('community.decision_process').orderBy('id');
  if (ids) query.whereIn('id', ids as string[]);
  return (await query).map((r: Row) => ({ id: r.id, title: r.title, summary: r.summary, source: r.source, synthetic: r.synthetic }));
}

export async function decisionSteps(knex: Knex, ids: readonly string[]): Promise<{ step: number; title: string; explanation: string; who: string; typicalDuration: string | null }[][]> {
  const rows: Row[] = await knex.select('*').from('community.decision_step').whereIn('process_id', ids as string[]).orderBy(['process_id', 'step_no']);
  const groups = new Map(ids.map((id) => [id, [] as any[]]));
  for (const r of rows) groups.get(r.process_id)?.push({ step: r.step_no, title: r.title, explanation: r.explanation, who: r.who, typicalDuration: r.typical_duration });
  return ids.map((id) => groups.get(id) ?? []);
}

function requestsQuery(knex: Knex): Knex.QueryBuilder {
  return knex
    .select('q.*', knex.raw('(select count(*) from community.dataset_request_vote v where v.request_id = q.id)::int as votes'))
    .from('community.dataset_request as q');
}

function toRequest(r: Row): DatasetRequestRecord {
  return { id: String(r.id), title: r.title, description: r.description, requestedBy: r.requested_by, status: r.status, statusReason: r.status_reason, createdAt: new Date(r.created_at).toISOString(), votes: Number(r.votes), synthetic: r.synthetic };
}

/** Every request, most voted first (ties: oldest first). */
export async function datasetRequests(knex: Knex): Promise<DatasetRequestRecord[]> {
  const rows: Row[] = await knex.select('*').from(requestsQuery(knex).as('x')).orderBy([{ column: 'votes', order: 'desc' }, { column: 'id', order: 'asc' }]).limit(1000);
  return rows.map(toRequest);
}

export async function datasetRequest(knex: Knex, id: string): Promise<DatasetRequestRecord | null> {
  if (!isId(id)) return null;
  const row = await requestsQuery(knex).where('q.id', id).first();
  return row ? toRequest(row) : null;
}

export async function insertDatasetRequest(knex: Knex, title: string, description: string, by: string): Promise<string> {
  return knex.transaction(async (trx) => {
    const [row] = await trx('community.dataset_request').insert({ title, description, requested_by: by, status: 'RECEIVED', created_at: new Date().toISOString(), source: 'request through the TIGA API', synthetic: false }).returning('id');
    return String((row as Row).id);
  });
}

/** One vote per user and request: a second vote changes nothing. */
export async function insertVote(knex: Knex, id: string, voter: string): Promise<void> {
  await knex.transaction(async (trx) => {
    await trx('community.dataset_request_vote').insert({ request_id: id, voter, voted_at: new Date().toISOString() }).onConflict(['request_id', 'voter']).ignore();
  });
}

export async function updateRequestStatus(knex: Knex, id: string, status: string, reason: string | null): Promise<void> {
  await knex.transaction(async (trx) => {
    await trx('community.dataset_request').where('id', id).update({ status, status_reason: reason });
  });
}
