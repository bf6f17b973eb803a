import type { Knex } from 'knex';
import type { Ingester } from '../../../lib/ingest/types.ts';
import { readCsv } from '../../../lib/ingest/csv.ts';
import { hasColumns } from '../../../lib/ingest/detect.ts';
import { IngestFileError, reject } from '../../../lib/ingest/errors.ts';
import { syntheticFlag } from '../../../lib/ingest/synthetic.ts';
import { check, parseNumber, runIngestion, type UpsertCounts } from '../../../lib/ingest/runner.ts';
import { columnsOf, sourceOf, upsertWhere } from './common.ts';

/** The pollutants the hub serves (the indice ATMO's five), by the names producers write them. */
export const POLLUTANTS: Record<string, string> = { NO2: 'NO2', SO2: 'SO2', O3: 'O3', PM10: 'PM10', PM25: 'PM25', 'PM2.5': 'PM25', 'PM2,5': 'PM25' };
const UNITS = new Set(['µg/m³', 'µg/m3', 'ug/m3', 'ug/m³', 'μg/m³', 'μg/m3']);
/** Clock skew tolerated on a measurement's time before it counts as "in the future". */
export const FUTURE_SLACK_MS = 5 * 60_000;

export interface MeasurementRow {
  station_code: string;
  pollutant: string;
  measured_at: string;
  value: number;
  unit: string;
  validated: boolean;
  /** True for a validated hourly mean, false for a raw one, null when the file does not say. */
  verified: boolean | null;
  quality_code: string | null;
  source: string;
  synthetic: boolean;
}

export const measurementKey = (r: MeasurementRow) => `${r.station_code}|${r.pollutant}|${r.measured_at}`;

/**
 * Upserts hourly values on (station, pollutant, hour). A validated hourly mean is never replaced by a value
 * that is not one (a raw mean, or a file that does not say): ATMO's verification only goes forward.
 */
export function writeMeasurements(trx: Knex.Transaction, batch: MeasurementRow[]): Promise<UpsertCounts> {
  return upsertWhere(
    trx,
    'atmo.measurement',
    ['station_code', 'pollutant', 'measured_at'],
    ['value', 'unit', 'validated', 'verified', 'quality_code', 'source', 'synthetic'],
    batch as unknown as Record<string, unknown>[],
    'measurement.verified is not true or excluded.verified is true',
  );
}

const COLUMNS = ['station_code', 'pollutant', 'measured_at', 'value', 'unit', 'validity'] as const;

function parseValidity(text: string): boolean {
  const value = text.trim().toLowerCase();
  if (['1', 'true', 'valid', 'v', 'oui', 'yes'].includes(value)) return true;
  if (['0', 'false', 'invalid', 'n', 'non', 'no'].includes(value)) return false;
  return reject(`validity must be 1/0 (or true/false), not "${text}"`);
}

/** Hourly station measurements: station_code, pollutant, measured_at (ISO 8601 with offset), value, unit, validity[, source, synthetic]. */
export const measurementsCsv: Ingester = {
  producer: 'atmo',
  format: 'measurements-csv',
  description: 'hourly station measurements, CSV (station_code, pollutant, measured_at, value, unit, validity)',
  nameHint: /mesure|measurement/i,
  detect: (s) => (hasColumns(s, 'station_code', 'pollutant', 'measured_at', 'value') ? 3 : 0),
  ingest: (knex, source, options) =>
    runIngestion<MeasurementRow>(knex, {
      producer: 'atmo',
      format: 'measurements-csv',
      encoding: source.encoding,
      options,
      key: measurementKey,
      write: writeMeasurements,
      rows: async function* (trx) {
        const stations = new Set(((await trx('atmo.station').select('code')) as { code: string }[]).map((s) => s.code));
        const now = Date.now();
        let columns: Map<string, number> | undefined;
        for await (const { line, fields } of readCsv(source.text())) {
          if (!columns) {
            columns = columnsOf(fields, COLUMNS, ['source', 'synthetic'], 'the measurements CSV');
            continue;
          }
          const map = columns;
          const get = (c: string) => { const i = map.get(c); return i === undefined ? undefined : fields[i]; };
          yield check(line, () => {
            if (fields.length < Math.max(...map.values()) + 1) reject(`expected ${map.size} fields, found ${fields.length} (truncated line?)`);
            const station = get('station_code')!.trim();
            if (!stations.has(station)) reject(`unknown station "${station}"`);
            const pollutant = POLLUTANTS[get('pollutant')!.trim().toUpperCase()] ?? reject(`unknown pollutant "${get('pollutant')}" (NO2, SO2, O3, PM10, PM25)`);
            const time = get('measured_at')!.trim();
            if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(time) || Number.isNaN(Date.parse(time)))
              reject(`measured_at is not an ISO 8601 time with a UTC offset: "${time}"`);
            if (Date.parse(time) > now + FUTURE_SLACK_MS) reject(`measured_at ${time} is in the future`);
            const value = parseNumber(get('value'), 'value')!;
            if (value < 0) reject(`negative concentration ${value}`);
            const unit = get('unit')!.trim();
            if (!UNITS.has(unit)) reject(`unknown unit "${unit}" (expected µg/m³)`);
            return {
              station_code: station,
              pollutant,
              measured_at: new Date(time).toISOString(),
              value,
              unit: 'µg/m³',
              validated: parseValidity(get('validity')!),
              verified: null,
              quality_code: null,
              source: get('source')?.trim() || sourceOf(options),
              synthetic: syntheticFlag(get('synthetic')),
            };
          });
        }
        if (!columns) throw new IngestFileError(1, 'bad header: the file is empty');
      },
    }),
};
