import type { Knex } from 'knex';
import { upsertCounting, type UpsertCounts } from '../../../lib/ingest/runner.ts';
import { groupByPart, unionOfParts, type Row } from './shared.ts';

export interface ReadingRecord {
  sensorId: string;
  time: string;
  pm10: number | null;
  pm25: number | null;
  temperature: number | null;
  humidity: number | null;
}

/** One readings request: the sensors share the same window and page. `to` is exclusive. */
export interface ReadingWindow {
  from: string;
  toExclusive: string;
  limit: number;
  after: string | undefined;
  raw: boolean;
}

/** One hourly reading as an ingested file gives it, in the table's columns. */
export interface ReadingRow {
  sensor_id: string;
  measured_at: string;
  pm10: number | null;
  pm25: number | null;
  temperature: number | null;
  humidity: number | null;
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

const VALUES = ['pm10', 'pm25', 'temperature', 'humidity'] as const;

/**
 * Upserts readings on (sensor id, hour) and counts what changed. A reading whose values change is never
 * silently overwritten: its previous values, source and provenance go to `reading_history` first, with
 * who replaced them and when (the rows are locked, so a concurrent ingestion archives what it replaces).
 */
export async function upsertReadings(
  trx: Knex.Transaction,
  readings: ReadingRow[],
  origin: { source: string; synthetic: boolean; actor: string },
): Promise<UpsertCounts> {
  if (readings.length === 0) return { inserted: 0, updated: 0, unchanged: 0 };
  const incoming = JSON.stringify(readings.map((r) => ({ sensor_id: r.sensor_id, measured_at: r.measured_at, pm10: r.pm10, pm25: r.pm25, temperature: r.temperature, humidity: r.humidity })));
  const values = (alias: string) => VALUES.map((c) => `${alias}.${c}`).join(', ');
  await trx.raw(
    `insert into community.reading_history (sensor_id, measured_at, ${VALUES.join(', ')}, source, synthetic, replaced_at, replaced_by)
     select r.sensor_id, r.measured_at, ${values('r')}, r.source, r.synthetic, ?::timestamptz, ?
     from community.reading r
     join jsonb_to_recordset(?::jsonb) as i(sensor_id text, measured_at timestamptz, pm10 double precision, pm25 double precision, temperature double precision, humidity double precision)
       on r.sensor_id = i.sensor_id and r.measured_at = i.measured_at
     where (${values('r')}) is distinct from (${values('i')})
     for update of r`,
    [new Date().toISOString(), origin.actor, incoming],
  );
  const rows = readings.map((reading) => ({ ...reading, source: origin.source, synthetic: origin.synthetic }));
  // Source and synthetic follow the values: a re-import under another file name changes nothing.
  return upsertCounting(trx, 'community.reading', ['sensor_id', 'measured_at'], [...VALUES], rows);
}
