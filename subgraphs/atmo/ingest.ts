import type { Knex } from 'knex';
import type { Ingester, IngestOptions } from '../../lib/ingest/types.ts';
import { readCsv, readHeader } from '../../lib/ingest/csv.ts';
import { readJsonElements } from '../../lib/ingest/json.ts';
import { hasColumns, hasMembers } from '../../lib/ingest/detect.ts';
import { IngestFileError, reject } from '../../lib/ingest/errors.ts';
import { TERRITORY_CODE_PATTERNS } from '../../lib/territory-codes.ts';
import { check, isSynthetic, parseInteger, parseNumber, runIngestion, todayUtc, upsertCounting, type Parsed } from '../../lib/ingest/runner.ts';

const SUB_INDICES = ['code_no2', 'code_so2', 'code_o3', 'code_pm10', 'code_pm25'] as const;
const INDEX_COLUMNS = ['date_ech', 'code_zone', 'lib_zone', 'type_zone', 'code_qual', ...SUB_INDICES] as const;
const { COMMUNE, EPCI: SIREN } = TERRITORY_CODE_PATTERNS;
const POLLUTANTS: Record<string, string> = { NO2: 'NO2', SO2: 'SO2', O3: 'O3', PM10: 'PM10', PM25: 'PM25', 'PM2.5': 'PM25', 'PM2,5': 'PM25' };
const UNITS = new Set(['µg/m³', 'µg/m3', 'ug/m3', 'ug/m³', 'μg/m³', 'μg/m3']);
/** Clock skew tolerated on a measurement's time before it counts as "in the future". */
const FUTURE_SLACK_MS = 5 * 60_000;

interface IndexClass {
  label: string;
  color: string;
}

interface DailyIndexRow {
  date_ech: string;
  code_zone: string;
  lib_zone: string;
  type_zone: string;
  code_qual: number;
  code_no2: number;
  code_so2: number;
  code_o3: number;
  code_pm10: number;
  code_pm25: number;
  source: string;
  synthetic: boolean;
}

const fold = (text: string) => text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').trim().toLowerCase();

/** The day an ATMO date names: `2024-01-15`, `2024/01/15`, or an ISO instant / `2024-01-15 00:00:00+01`. */
function parseDay(text: string): string {
  const match = /^(\d{4})[-/](\d{2})[-/](\d{2})([T ].*)?$/.exec(text.trim());
  if (!match) return reject(`date_ech is not a date: "${text}"`);
  const day = `${match[1]}-${match[2]}-${match[3]}`;
  if (Number.isNaN(Date.parse(`${day}T00:00:00Z`)) || new Date(`${day}T00:00:00Z`).toISOString().slice(0, 10) !== day) reject(`date_ech is not a valid date: "${text}"`);
  return day;
}

/** Tomorrow (UTC): ATMO publishes the forecast for J+1, so a later date_ech is "in the future". */
const latestDay = () => new Date(Date.parse(`${todayUtc()}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

/**
 * Validates one daily-index record of the national format. Zones: any well-formed code is accepted
 * (ATMO defines its zones); a COMMUNE zone must be an INSEE code, an EPCI zone a SIREN.
 */
function dailyIndex(get: (column: string) => string | undefined, classes: Map<number, IndexClass>, fallbackSource: string, maxDay: string): DailyIndexRow {
  const date = parseDay(get('date_ech') ?? '');
  if (date > maxDay) reject(`date_ech ${date} is in the future (latest accepted: ${maxDay}, the J+1 forecast)`);
  const type = (get('type_zone') ?? '').trim().toUpperCase();
  if (type !== 'COMMUNE' && type !== 'EPCI') reject(`type_zone must be COMMUNE or EPCI, not "${get('type_zone')}"`);
  const zone = (get('code_zone') ?? '').trim();
  if (!(type === 'COMMUNE' ? COMMUNE : SIREN).test(zone)) reject(`code_zone "${zone}" is not a ${type === 'COMMUNE' ? '5-character INSEE commune code' : '9-digit EPCI SIREN'}`);
  const lib = (get('lib_zone') ?? '').trim();
  if (!lib) reject('lib_zone is empty');
  const codes = {} as Record<(typeof SUB_INDICES)[number] | 'code_qual', number>;
  for (const column of ['code_qual', ...SUB_INDICES] as const) {
    const value = parseInteger(get(column), column);
    if (value < 1 || value > 6) reject(`${column} = ${value} is outside 1–6`);
    codes[column] = value;
  }
  const max = Math.max(...SUB_INDICES.map((c) => codes[c]));
  if (codes.code_qual !== max) reject(`code_qual = ${codes.code_qual} but the highest sub-index is ${max}`);
  const cls = classes.get(codes.code_qual)!;
  const label = get('lib_qual');
  if (label && fold(label) !== fold(cls.label)) reject(`lib_qual "${label}" does not match code_qual ${codes.code_qual} ("${cls.label}")`);
  const color = get('coul_qual');
  if (color && color.trim().toUpperCase() !== cls.color) reject(`coul_qual "${color}" does not match code_qual ${codes.code_qual} (${cls.color})`);
  const source = get('source')?.trim() || fallbackSource;
  return { date_ech: date, code_zone: zone, lib_zone: lib, type_zone: type, ...codes, source, synthetic: isSynthetic(source) };
}

async function loadClasses(trx: Knex): Promise<Map<number, IndexClass>> {
  const rows = (await trx('atmo.index_class').select('code', 'label', 'color')) as ({ code: number } & IndexClass)[];
  return new Map(rows.map((r) => [Number(r.code), { label: r.label, color: r.color }]));
}

const writeDaily = (trx: Knex.Transaction, batch: DailyIndexRow[]) =>
  upsertCounting(trx, 'atmo.daily_index', ['code_zone', 'date_ech'], ['lib_zone', 'type_zone', 'code_qual', ...SUB_INDICES, 'source', 'synthetic'], batch as unknown as Record<string, unknown>[]);

function runDaily(knex: Knex, format: string, encoding: string, options: IngestOptions, rows: (trx: Knex) => AsyncIterable<Parsed<DailyIndexRow>>) {
  return runIngestion(knex, { producer: 'atmo', format, encoding, options, rows, key: (r) => `${r.code_zone}|${r.date_ech}`, write: writeDaily });
}

const sourceOf = (options: IngestOptions) => options.source ?? 'ATMO Grand Est';

export const dailyIndexCsv: Ingester = {
  producer: 'atmo',
  format: 'indice-csv',
  description: 'indice ATMO, national open-data CSV (date_ech, code_zone, code_qual…)',
  nameHint: /indice.*\.csv$/i,
  detect: (s) => (hasColumns(s, 'date_ech', 'code_zone', 'code_qual') ? 3 : 0),
  ingest: (knex, source, options) =>
    runDaily(knex, 'indice-csv', source.encoding, options, async function* (trx) {
      const classes = await loadClasses(trx);
      const maxDay = latestDay();
      let columns: Map<string, number> | undefined;
      for await (const { line, fields } of readCsv(source.text())) {
        if (!columns) {
          columns = readHeader(fields, INDEX_COLUMNS, ['lib_qual', 'coul_qual', 'source']);
          continue;
        }
        const map = columns;
        yield check(line, () => {
          if (fields.length < Math.max(...map.values()) + 1) reject(`expected ${map.size} fields, found ${fields.length} (truncated line?)`);
          return dailyIndex((c) => { const i = map.get(c); return i === undefined ? undefined : fields[i]; }, classes, sourceOf(options), maxDay);
        });
      }
      if (!columns) throw new IngestFileError(1, 'bad header: the file is empty');
    }),
};

/** Reads GeoJSON features' properties; `crs`, metadata and geometry are not needed for the daily index. */
async function* featureProperties(input: AsyncIterable<string>): AsyncGenerator<{ line: number; properties: Record<string, unknown> | null }> {
  for await (const event of readJsonElements(input)) {
    if (event.kind !== 'element') continue;
    const feature = event.value as { type?: unknown; properties?: unknown } | null;
    const ok = feature && typeof feature === 'object' && feature.type === 'Feature' && feature.properties && typeof feature.properties === 'object';
    yield { line: event.index, properties: ok ? (feature.properties as Record<string, unknown>) : null };
  }
}

export const dailyIndexGeoJson: Ingester = {
  producer: 'atmo',
  format: 'indice-geojson',
  description: 'indice ATMO, national open-data GeoJSON (features with date_ech, code_zone, code_qual…)',
  nameHint: /indice.*\.(geo)?json$/i,
  detect: (s) => (hasMembers(s, 'properties', 'date_ech', 'code_qual') ? 3 : 0),
  ingest: (knex, source, options) =>
    runDaily(knex, 'indice-geojson', source.encoding, options, async function* (trx) {
      const classes = await loadClasses(trx);
      const maxDay = latestDay();
      for await (const { line, properties } of featureProperties(source.text())) {
        if (!properties) {
          yield { line, reason: 'not a GeoJSON Feature with properties' };
          continue;
        }
        yield check(line, () =>
          dailyIndex((c) => (properties[c] === undefined || properties[c] === null ? undefined : String(properties[c])), classes, sourceOf(options), maxDay),
        );
      }
    }),
};

interface MeasurementRow {
  station_code: string;
  pollutant: string;
  measured_at: string;
  value: number;
  unit: string;
  validated: boolean;
  source: string;
  synthetic: boolean;
}

const MEASUREMENT_COLUMNS = ['station_code', 'pollutant', 'measured_at', 'value', 'unit', 'validity'] as const;

function parseValidity(text: string): boolean {
  const value = text.trim().toLowerCase();
  if (['1', 'true', 'valid', 'v', 'oui', 'yes'].includes(value)) return true;
  if (['0', 'false', 'invalid', 'n', 'non', 'no'].includes(value)) return false;
  return reject(`validity must be 1/0 (or true/false), not "${text}"`);
}

/** Hourly station measurements: station_code, pollutant, measured_at (ISO 8601 with offset), value, unit, validity[, source]. */
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
      key: (r) => `${r.station_code}|${r.pollutant}|${r.measured_at}`,
      write: (trx, batch) =>
        upsertCounting(trx, 'atmo.measurement', ['station_code', 'pollutant', 'measured_at'], ['value', 'unit', 'validated', 'source', 'synthetic'], batch as unknown as Record<string, unknown>[]),
      rows: async function* (trx) {
        const stations = new Set(((await trx('atmo.station').select('code')) as { code: string }[]).map((s) => s.code));
        const now = Date.now();
        let columns: Map<string, number> | undefined;
        for await (const { line, fields } of readCsv(source.text())) {
          if (!columns) {
            columns = readHeader(fields, MEASUREMENT_COLUMNS, ['source']);
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
            const source = get('source')?.trim() || sourceOf(options);
            return { station_code: station, pollutant, measured_at: new Date(time).toISOString(), value, unit: 'µg/m³', validated: parseValidity(get('validity')!), source, synthetic: isSynthetic(source) };
          });
        }
        if (!columns) throw new IngestFileError(1, 'bad header: the file is empty');
      },
    }),
};

export const ingesters: Ingester[] = [dailyIndexCsv, dailyIndexGeoJson, measurementsCsv];
