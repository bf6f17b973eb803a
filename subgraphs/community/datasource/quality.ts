import type { Knex } from 'knex';
import { parsedJson, type Row } from './shared.ts';

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

export async function qualityBySensor(knex: Knex, ids: readonly string[]): Promise<(QualityRecord | null)[]> {
  const rows: Row[] = await knex.select('*').from('community.sensor_quality').whereIn('sensor_id', ids as string[]);
  const byId = new Map(
    rows.map((row) => [
      row.sensor_id as string,
      {
        sensorId: row.sensor_id,
        score: row.score,
        flags: parsedJson(row.flags),
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

/** Every sensor's location (the QC job's input), one statement. */
export async function sensorsForQuality(knex: Knex): Promise<{ id: string; lon: number; lat: number }[]> {
  const rows: Row[] = await knex.select('id', knex.raw('ST_X(geom) as lon, ST_Y(geom) as lat')).from('community.sensor').orderBy('id');
  return rows.map((r) => ({ id: r.id, lon: Number(r.lon), lat: Number(r.lat) }));
}

/** One sensor's hourly PM and humidity series, oldest first. */
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
