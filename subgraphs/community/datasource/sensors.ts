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
 * Creates the sensors never seen before, PENDING, each with its first status change; known sensors keep
 * their status and location (only a moderator changes them).
 */
export async function insertPendingSensors(
  trx: Knex.Transaction,
  sensors: NewSensor[],
  origin: { producerKind: ProducerKind; producerName: string; licence: Licence; source: string; synthetic: boolean },
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
  }));
  const created: { id: string }[] = await trx('community.sensor').insert(rows).onConflict('id').ignore().returning('id');
  if (created.length > 0) {
    const now = new Date().toISOString();
    await trx('community.status_history').insert(
      created.map(({ id }) => ({ sensor_id: id, status: 'PENDING', changed_at: now, changed_by: change.by, reason: change.reason })),
    );
  }
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
