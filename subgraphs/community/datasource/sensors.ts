import type { Knex } from 'knex';
import type { Point } from 'geojson';
import { areaCondition, type AreaRepresentation } from '../../../lib/geo.ts';
import { groupByPart, provenanceOf, unionOfParts, type Licence, type PageWindow, type ProducerKind, type Provenance, type Row, type ValidationStatus } from './shared.ts';

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

/** A sensor whatever its status, with who holds it: for moderators and owners, never served as such. */
export interface HeldSensorRecord extends SensorRecord {
  /** The contributor who registered it (token subject, restricted); null for a network's sensor. */
  owner: string | null;
  /** The owner's own number for it; null for a network's sensor. */
  localId: string | null;
}

export interface ContributorRecord {
  id: number;
  pseudonym: string;
  contactEmail: string;
}

/** A sensor as an ingested file describes it, before anyone has moderated it. */
export interface NewSensor {
  id: string;
  type: string;
  lon: number;
  lat: number;
  measures: string[];
}

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

// Published locations have 3 decimals of WGS84 (about 100 m), so as not to point at a contributor's home.
// Ingest and seeds store no more; rounding again here keeps any row, however written, from being served finer.
const PUBLISHED_DECIMALS = 3;
const published = (degrees: number) => Math.round(degrees * 10 ** PUBLISHED_DECIMALS) / 10 ** PUBLISHED_DECIMALS;

function toSensor(row: Row): SensorRecord {
  return {
    id: row.id,
    sensorType: row.sensor_type,
    pairedSensorType: row.paired_sensor_type,
    location: { type: 'Point', coordinates: [published(row.lon), published(row.lat)] },
    measures: row.measures,
    status: row.status,
    contributorId: row.contributor_id,
    provenance: provenanceOf(row),
  };
}

function anySensors(knex: Knex): Knex.QueryBuilder {
  return knex
    .select(SENSOR_COLUMNS)
    .select(knex.raw('ST_X(s.geom) as lon, ST_Y(s.geom) as lat'))
    .from('community.sensor as s');
}

function validatedSensors(knex: Knex): Knex.QueryBuilder {
  return anySensors(knex).where('s.status', 'VALIDATED');
}

function anyHeldSensors(knex: Knex): Knex.QueryBuilder {
  return anySensors(knex).select('s.owner_subject', 's.local_id');
}

const toHeldSensor = (row: Row): HeldSensorRecord => ({ ...toSensor(row), owner: row.owner_subject, localId: row.local_id });

/** Validated sensors by id; missing or unvalidated ids give null. */
export async function sensorsByIds(knex: Knex, ids: readonly string[]): Promise<(SensorRecord | null)[]> {
  const rows: Row[] = await validatedSensors(knex).whereIn('s.id', ids as string[]);
  const byId = new Map(rows.map((row) => [row.id as string, toSensor(row)]));
  return ids.map((id) => byId.get(id) ?? null);
}

/** Sensors by id whatever their status (for moderators and owners: the caller decides what it may see). */
export async function heldSensorsByIds(knex: Knex, ids: readonly string[]): Promise<(HeldSensorRecord | null)[]> {
  const rows: Row[] = await anyHeldSensors(knex).whereIn('s.id', ids as string[]);
  const byId = new Map(rows.map((row) => [row.id as string, toHeldSensor(row)]));
  return ids.map((id) => byId.get(id) ?? null);
}

/** The sensors waiting for moderation, oldest first (at most 1,000). */
export async function pendingSensorList(knex: Knex): Promise<HeldSensorRecord[]> {
  const rows: Row[] = await anyHeldSensors(knex).where('s.status', 'PENDING').orderBy([{ column: 's.registered_at' }, { column: 's.id' }]).limit(1000);
  return rows.map(toHeldSensor);
}

/** One contributor's own sensors whatever their status, newest first (at most 1,000). */
export async function ownSensorList(knex: Knex, owner: string): Promise<HeldSensorRecord[]> {
  const rows: Row[] = await anyHeldSensors(knex).where('s.owner_subject', owner).orderBy([{ column: 's.registered_at', order: 'desc' }, { column: 's.id' }]).limit(1000);
  return rows.map(toHeldSensor);
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

/** Where new sensors come from: their open provenance, and the history entry their creation starts with. */
export interface SensorOrigin {
  producerKind: ProducerKind;
  producerName: string;
  licence: Licence;
  source: string;
  synthetic: boolean;
}

function sensorRow(trx: Knex.Transaction, s: NewSensor, origin: SensorOrigin) {
  return {
    id: s.id,
    sensor_type: s.type,
    measures: s.measures,
    geom: trx.raw('ST_SetSRID(ST_MakePoint(?, ?), 4326)', [s.lon, s.lat]),
    status: 'PENDING',
    producer_kind: origin.producerKind,
    producer_name: origin.producerName,
    licence: origin.licence,
    source: origin.source,
    synthetic: origin.synthetic,
  };
}

async function recordCreated(trx: Knex.Transaction, created: { id: string }[], change: { by: string; reason: string }): Promise<void> {
  if (created.length === 0) return;
  const now = new Date().toISOString();
  await trx('community.status_history').insert(created.map(({ id }) => ({ sensor_id: id, status: 'PENDING', changed_at: now, changed_by: change.by, reason: change.reason })));
}

/**
 * Creates the network's sensors never seen before (no owner), PENDING, each with its first status change;
 * known sensors keep their status, location and owner (only a moderator changes the status).
 */
export async function insertPendingSensors(trx: Knex.Transaction, sensors: NewSensor[], origin: SensorOrigin, change: { by: string; reason: string }): Promise<void> {
  if (sensors.length === 0) return;
  const created: { id: string }[] = await trx('community.sensor').insert(sensors.map((s) => sensorRow(trx, s, origin))).onConflict('id').ignore().returning('id');
  await recordCreated(trx, created, change);
}

/**
 * The ids of `owner`'s sensors by their local ids, creating the ones never seen before: PENDING, under an id
 * `newId` draws (sensor-ids.ts), each with its first status change. Known sensors keep their status,
 * location and id.
 */
export async function ownSensorIds(
  trx: Knex.Transaction,
  owner: string,
  sensors: { localId: string; sensor: Omit<NewSensor, 'id'> }[],
  origin: SensorOrigin,
  change: { by: string; reason: string },
  newId: () => string,
): Promise<Map<string, string>> {
  if (sensors.length === 0) return new Map();
  const rows = sensors.map(({ localId, sensor }) => ({ ...sensorRow(trx, { ...sensor, id: newId() }, origin), owner_subject: owner, local_id: localId }));
  const created: { id: string }[] = await trx('community.sensor').insert(rows).onConflict(['owner_subject', 'local_id']).ignore().returning('id');
  await recordCreated(trx, created, change);
  const known: Row[] = await trx.select('id', 'local_id').from('community.sensor').where('owner_subject', owner).whereIn('local_id', sensors.map((s) => s.localId));
  return new Map(known.map((row) => [row.local_id as string, row.id as string]));
}

/** Which of `ids` are `owner`'s own sensors. */
export async function ownedSensorIds(trx: Knex, owner: string, ids: readonly string[]): Promise<Set<string>> {
  const rows: Row[] = ids.length === 0 ? [] : await trx.select('id').from('community.sensor').where('owner_subject', owner).whereIn('id', ids as string[]);
  return new Set(rows.map((row) => row.id as string));
}

/** The owners of the known sensors among `ids` (null: an external network's sensor); unknown ids are absent. */
export async function sensorOwners(trx: Knex, ids: readonly string[]): Promise<Map<string, string | null>> {
  const rows: Row[] = ids.length === 0 ? [] : await trx.select('id', 'owner_subject').from('community.sensor').whereIn('id', ids as string[]);
  return new Map(rows.map((row) => [row.id as string, row.owner_subject as string | null]));
}

/** A sensor as moderation sees it. */
export interface SensorToModerate {
  id: string;
  status: ValidationStatus;
  owner: string | null;
}

/** Locks the sensors among `ids` (in id order, so that concurrent moderations serialise without deadlock). */
export async function lockSensors(trx: Knex.Transaction, ids: readonly string[]): Promise<SensorToModerate[]> {
  const rows: Row[] = await trx.select('id', 'status', 'owner_subject').from('community.sensor').whereIn('id', ids as string[]).orderBy('id').forUpdate();
  return rows.map((row) => ({ id: row.id, status: row.status, owner: row.owner_subject }));
}

/**
 * Moves a sensor and everything that hangs on it (readings, their history, its status history, its quality)
 * to the id `to`, which must be free; `from` no longer exists afterwards.
 */
export async function moveSensor(trx: Knex.Transaction, from: string, to: string): Promise<void> {
  // Every column but the id and its holder (unique per owner: set once the old row is gone).
  const held = ['id', 'owner_subject', 'local_id'];
  const columns: string[] = (
    (await trx.raw(`select column_name from information_schema.columns where table_schema = 'community' and table_name = 'sensor' and is_generated = 'NEVER' order by ordinal_position`)).rows as { column_name: string }[]
  )
    .map((c) => c.column_name)
    .filter((c) => !held.includes(c));
  const list = columns.map((c) => trx.client.wrapIdentifier(c)).join(', ');
  const holder = await trx('community.sensor').where('id', from).first('owner_subject', 'local_id');
  await trx.raw(`insert into community.sensor (id, ${list}) select ?, ${list} from community.sensor where id = ?`, [to, from]);
  for (const table of ['community.reading', 'community.reading_history', 'community.status_history', 'community.sensor_quality']) {
    await trx(table).where('sensor_id', from).update({ sensor_id: to });
  }
  await trx('community.sensor').where('id', from).delete();
  await trx('community.sensor').where('id', to).update({ owner_subject: holder.owner_subject, local_id: holder.local_id });
}

/** Sets the status of locked sensors and appends the change to each one's history. */
export async function recordSensorStatus(trx: Knex.Transaction, ids: readonly string[], to: ValidationStatus, by: string, reason: string | null): Promise<void> {
  await trx('community.sensor').whereIn('id', ids as string[]).update({ status: to });
  const now = new Date().toISOString();
  await trx('community.status_history').insert(ids.map((id) => ({ sensor_id: id, status: to, changed_at: now, changed_by: by, reason })));
}
