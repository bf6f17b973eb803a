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

function validatedSensors(knex: Knex): Knex.QueryBuilder {
  return knex
    .select(SENSOR_COLUMNS)
    .select(knex.raw('ST_X(s.geom) as lon, ST_Y(s.geom) as lat'))
    .from('community.sensor as s')
    .where('s.status', 'VALIDATED');
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
 * Creates the sensors never seen before, PENDING, each with its first status change and its owner (the
 * contributor who registered it, or null for a sensor of an external network); known sensors keep their
 * status, location and owner (only a moderator changes the status).
 */
export async function insertPendingSensors(
  trx: Knex.Transaction,
  sensors: NewSensor[],
  origin: { producerKind: ProducerKind; producerName: string; licence: Licence; source: string; synthetic: boolean; owner: string | null },
  change: { by: string; reason: string },
): Promise<void> {
  const rows = sensors.map((s) => ({
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
    owner_subject: origin.owner,
  }));
  const created: { id: string }[] = await trx('community.sensor').insert(rows).onConflict('id').ignore().returning('id');
  if (created.length > 0) {
    const now = new Date().toISOString();
    await trx('community.status_history').insert(
      created.map(({ id }) => ({ sensor_id: id, status: 'PENDING', changed_at: now, changed_by: change.by, reason: change.reason })),
    );
  }
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

/** Sets the status of locked sensors and appends the change to each one's history. */
export async function recordSensorStatus(trx: Knex.Transaction, ids: readonly string[], to: ValidationStatus, by: string, reason: string | null): Promise<void> {
  await trx('community.sensor').whereIn('id', ids as string[]).update({ status: to });
  const now = new Date().toISOString();
  await trx('community.status_history').insert(ids.map((id) => ({ sensor_id: id, status: to, changed_at: now, changed_by: by, reason })));
}
