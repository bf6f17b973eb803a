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

/** Upserts readings on (sensor id, hour) and counts what changed. */
export function upsertReadings(trx: Knex.Transaction, readings: ReadingRow[], origin: { source: string; synthetic: boolean }): Promise<UpsertCounts> {
  const rows = readings.map((reading) => ({ ...reading, source: origin.source, synthetic: origin.synthetic }));
  // Source and synthetic follow the values: a re-import under another file name changes nothing.
  return upsertCounting(trx, 'community.reading', ['sensor_id', 'measured_at'], ['pm10', 'pm25', 'temperature', 'humidity'], rows);
}
