import type { Knex } from 'knex';
import type { Ingester } from '../../../lib/ingest/types.ts';
import { readCsv } from '../../../lib/ingest/csv.ts';
import { hasColumns } from '../../../lib/ingest/detect.ts';
import { IngestFileError, reject } from '../../../lib/ingest/errors.ts';
import { syntheticFlag } from '../../../lib/ingest/synthetic.ts';
import { checkTimeZone, instantOf, isRealWallTime } from '../../../lib/ingest/timezone.ts';
import { check, parseNumber, runIngestion, type Parsed } from '../../../lib/ingest/runner.ts';
import { columnsOf, fold, textOf } from './common.ts';
import { FUTURE_SLACK_MS, POLLUTANTS, measurementKey, writeMeasurements, type MeasurementRow } from './measurements.ts';

/*
 * The national hourly files of the LCSQA (Geod'air "E2", FR_E2_YYYY-MM-DD.csv: `;`, UTF-8 with BOM, every
 * French region's stations). Rows of stations the hub does not hold are left out and counted: a national
 * file is mostly stations elsewhere. Times are UTC for metropolitan France (Geod'air's export dictionary,
 * see subgraphs/atmo/samples/README.md) unless the producer says otherwise with `--timezone`.
 */

const REQUIRED = ['Date de début', 'Date de fin', 'code site', 'Polluant', 'type de valeur', 'valeur', 'unité de mesure', 'validité'] as const;
const OPTIONAL = ['Organisme', 'nom site', 'code qualité', 'valeur brute', 'synthetic'] as const;
/** EEA observationvalidity: 1 valid, 2 and 3 valid below the detection limit, 4 valid ozone (CCQM.O3.2019); -1 and -99 not valid. */
const VALIDITY: Record<string, boolean> = { '1': true, '2': true, '3': true, '4': true, '-1': false, '-99': false };
/** `type de valeur`, accents folded: a validated or a raw hourly mean. */
const VALUE_TYPES: Record<string, boolean> = { 'moyenne horaire validee': true, 'moyenne horaire brute': false };
const MICROGRAMS = new Set(['µg-m3', 'µg/m3', 'µg/m³', 'μg-m3', 'μg/m3', 'μg/m³', 'ug-m3', 'ug/m3']);
const MILLIGRAMS = new Set(['mg-m3', 'mg/m3', 'mg/m³']);
const TIME = /^(\d{4})[/-](\d{2})[/-](\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/;
const HOUR_MS = 3_600_000;
/** Raw rows are checked against validated ones already stored, this many at a time. */
const LOOKUP_BATCH = 500;

const SKIP_VALIDATED_IN_FILE = 'a validated hourly mean of the same hour is in the file: the raw mean is left out';
const SKIP_VALIDATED_STORED = 'a validated hourly mean of this hour is already stored: the raw mean does not replace it';

function parseTime(text: string | undefined, column: string, zone: string): number {
  const match = TIME.exec(text ?? '');
  if (!match) return reject(`${column} is not a date and time written YYYY/MM/DD hh:mm:ss: "${text ?? ''}"`);
  const wall = { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]), hour: Number(match[4]), minute: Number(match[5]), second: Number(match[6] ?? 0) };
  if (!isRealWallTime(wall)) reject(`${column} is not a valid date and time: "${text}"`);
  return instantOf(wall, zone) ?? reject(`${column} "${text}" does not exist in ${zone} (clocks go forward then)`);
}

type E2Parsed = Parsed<MeasurementRow>;

/**
 * Turns raw means whose hour already has a validated mean (earlier in the file, or stored) into counted
 * skips; the database's own rule (writeMeasurements) holds too, this only makes the report say it.
 */
async function* keepValidated(db: Knex, rows: AsyncIterable<E2Parsed>): AsyncGenerator<E2Parsed> {
  const validatedInFile = new Set<string>();
  let pending: E2Parsed[] = [];
  const release = async function* () {
    const raw = pending.filter((p): p is { line: number; row: MeasurementRow } => 'row' in p && p.row.verified !== true);
    const stored = new Set<string>();
    if (raw.length) {
      const found = (await db('atmo.measurement')
        .where('verified', true)
        .whereIn(['station_code', 'pollutant', 'measured_at'], raw.map((p) => [p.row.station_code, p.row.pollutant, p.row.measured_at]))
        .select('station_code', 'pollutant', 'measured_at')) as { station_code: string; pollutant: string; measured_at: Date | string }[];
      for (const f of found) stored.add(`${f.station_code}|${f.pollutant}|${new Date(f.measured_at).toISOString()}`);
    }
    for (const parsed of pending) {
      if ('row' in parsed && parsed.row.verified !== true) {
        const key = measurementKey(parsed.row);
        if (validatedInFile.has(key)) yield { line: parsed.line, skip: SKIP_VALIDATED_IN_FILE };
        else if (stored.has(key)) yield { line: parsed.line, skip: SKIP_VALIDATED_STORED };
        else yield parsed;
      } else yield parsed;
    }
    pending = [];
  };
  for await (const parsed of rows) {
    if ('row' in parsed && parsed.row.verified === true) validatedInFile.add(measurementKey(parsed.row));
    pending.push(parsed);
    if (pending.length >= LOOKUP_BATCH) yield* release();
  }
  yield* release();
}

export const lcsqaE2Csv: Ingester = {
  producer: 'atmo',
  format: 'lcsqa-e2-csv',
  description: "LCSQA/Geod'air E2 national hourly file (FR_E2_YYYY-MM-DD.csv, ;-separated, 23 French columns)",
  nameHint: /FR_E2_\d{4}-\d{2}-\d{2}/i,
  detect: (s) => (hasColumns(s, 'Date de début', 'Date de fin', 'code site', 'Polluant', 'validité') ? 3 : 0),
  ingest: (knex, source, options) =>
    runIngestion<MeasurementRow>(knex, {
      producer: 'atmo',
      format: 'lcsqa-e2-csv',
      encoding: source.encoding,
      options,
      key: measurementKey,
      write: writeMeasurements,
      rows: (db) => keepValidated(db, e2Rows(db, source.text(), options.timezone)),
    }),
};

async function* e2Rows(db: Knex, text: AsyncIterable<string>, timezone: string | undefined): AsyncGenerator<E2Parsed> {
  const zone = timezone ? checkTimeZone(timezone) : 'UTC';
  const stations = new Set(((await db('atmo.station').select('code')) as { code: string }[]).map((s) => s.code));
  const now = Date.now();
  let columns: Map<string, number> | undefined;
  for await (const { line, fields } of readCsv(text)) {
    if (!columns) {
      columns = columnsOf(fields, REQUIRED, OPTIONAL, 'the LCSQA E2 file');
      continue;
    }
    const map = columns;
    const width = Math.max(...map.values()) + 1;
    const get = (c: string) => { const i = map.get(c); return i === undefined ? undefined : textOf(fields[i]); };
    const station = get('code site') ?? '';
    if (fields.length >= width && !stations.has(station)) {
      yield { line, skip: 'station not held by the hub (outside the territory, or not registered from the LCSQA station list)' };
      continue;
    }
    const label = get('Polluant') ?? '';
    const pollutant = POLLUTANTS[label.toUpperCase()];
    if (fields.length >= width && !pollutant) {
      yield { line, skip: `pollutant "${label}" is not one the hub serves (NO2, O3, PM10, PM2.5, SO2)` };
      continue;
    }
    if (fields.length >= width && get('valeur') === undefined) {
      yield { line, skip: 'no value for this hour (empty "valeur"): nothing is stored, never 0' };
      continue;
    }
    yield check(line, () => {
      if (fields.length < width) reject(`expected ${map.size} fields, found ${fields.length} (truncated line?)`);
      const type = get('type de valeur') ?? '';
      const verified = VALUE_TYPES[fold(type)];
      if (verified === undefined) reject(`type de valeur "${type}" is not an hourly mean (moyenne horaire brute or moyenne horaire validée)`);
      const start = parseTime(get('Date de début'), 'Date de début', zone);
      const end = parseTime(get('Date de fin'), 'Date de fin', zone);
      if (end - start !== HOUR_MS) reject(`Date de début ${get('Date de début')} and Date de fin ${get('Date de fin')} are not one hour apart (${zone})`);
      if (start > now + FUTURE_SLACK_MS) reject(`Date de début ${get('Date de début')} (${zone}) is in the future`);
      const unit = get('unité de mesure') ?? '';
      if (MILLIGRAMS.has(unit)) reject(`unit "${unit}" for ${label}: the hub serves ${label} in µg/m³ (mg/m³ is CO's unit)`);
      if (!MICROGRAMS.has(unit)) reject(`unknown unit "${unit}" (expected µg-m3)`);
      const validity = get('validité') ?? '';
      const validated = VALIDITY[validity];
      if (validated === undefined) reject(`validité "${validity}" is not an EEA observationvalidity code (1, 2, 3, 4 valid; -1, -99 not valid)`);
      const organisme = get('Organisme');
      return {
        station_code: station,
        pollutant: pollutant!,
        measured_at: new Date(start).toISOString(),
        value: parseNumber(get('valeur'), 'valeur')!,
        unit: 'µg/m³',
        validated: validated!,
        verified: verified!,
        quality_code: get('code qualité') ?? null,
        source: `${organisme ? `${organisme}, ` : ''}LCSQA/Geod'air E2`,
        synthetic: syntheticFlag(get('synthetic')),
      };
    });
  }
  if (!columns) throw new IngestFileError(1, 'bad header: the file is empty');
}
