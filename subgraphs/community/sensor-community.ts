import { readCsv } from '../../lib/ingest/csv.ts';
import { readJsonElements } from '../../lib/ingest/json.ts';
import { IngestFileError } from '../../lib/ingest/errors.ts';
import { outside } from '../../lib/ingest/geometry.ts';
import { syntheticFlag } from '../../lib/ingest/synthetic.ts';
import type { Parsed } from '../../lib/ingest/runner.ts';
import type { NewSensor, ReadingRow } from './datasource.ts';
import { sensorRef } from './sensor-ids.ts';

/**
 * Sensor.Community's two public shapes, read into samples and averaged into the hourly means the hub
 * stores (`community.reading`: the start of the hour, UTC):
 * - the JSON API (`data.sensor.community/static/v1/data.json`, `/static/v2/data.1h.json`): an array of
 *   `{timestamp, location{latitude, longitude, indoor}, sensor{id, sensor_type{name}}, sensordatavalues[]}`,
 *   numbers as strings;
 * - the archive CSV (`archive.sensor.community/<day>/<day>_<type>_sensor_<id>.csv`): one file per sensor and
 *   day, `;`, header `sensor_id;sensor_type;location;lat;lon;timestamp;…` then the type's own columns
 *   (P1;durP1;ratioP1;P2;… for an SDS011, temperature;humidity for a DHT22), one sample every ~2.5 min.
 * Timestamps are UTC, with or without a zone (the maintainers, opendata-stuttgart/feinstaub-api#25).
 * Left out on purpose, each counted with its line: values a sensor reports when it fails (the DS18B20's
 * -127 °C "disconnected", 85 °C power-on reset and -196.6 °F-disconnected, a PM sensor's ≥ 999.9 µg/m³),
 * indoor sensors (not outdoor exposure), sensors outside the hub's territory (never created), and samples
 * with no value the hub keeps (`nan`, empty, or only pressure). Anything else malformed is a reject.
 */

export type ValueColumn = 'pm10' | 'pm25' | 'temperature' | 'humidity';

/** Sensor.Community value names (JSON value_type, archive column) → the reading's column. */
export const VALUE_COLUMNS: Record<string, ValueColumn> = { P1: 'pm10', P2: 'pm25', temperature: 'temperature', humidity: 'humidity' };

/**
 * A sensor as a file names it. A node number (the formats' own way) reads `sc-<number>`; a file may also
 * write a sensor id as the hub serves it (`sc-…`, `cs-…`), which then reads as written with `named: true`.
 * What either means depends on who sends the file: the ingest resolves it (ingest.ts, sensor-ids.ts).
 */
export type FileSensor = Omit<NewSensor, 'measures'> & { named?: true };

/** One sample as a file gives it, validated. */
export interface Sample {
  sensor: FileSensor;
  time: Date;
  values: Partial<Record<ValueColumn, number>>;
  synthetic: boolean;
}

/** One hourly mean, ready to write. */
export interface HourlyReading {
  sensor: NewSensor & { named?: true };
  reading: ReadingRow;
  synthetic: boolean;
}

export const SKIP = {
  indoor: 'indoor sensor (location.indoor = 1): not outdoor exposure',
  indoorByName: 'indoor sensor (the archive names the file …_indoor.csv): not outdoor exposure',
  outside: "outside the hub's territory: sensor not created",
  noLocation: 'no location (lat/lon empty)',
  noValue: 'no value the hub keeps (P1, P2, temperature, humidity are nan, empty or absent)',
  ds18b20: 'DS18B20 error value (-127 °C disconnected, 85 °C power-on reset, -196.6 °F disconnected): sample left out',
  pmFault: 'PM sensor fault value (≥ 999.9 µg/m³): sample left out',
} as const;

const DS18B20_ERRORS = [-127, 85, -196.6];
/** The SDS011's measuring range ends at 999.9 µg/m³; it reports that value when it fails. */
const PM_FAULT = 999.9;

class Problem extends Error {
  constructor(readonly kind: 'reject' | 'skip', message: string) {
    super(message);
  }
}
const rejectWith = (reason: string): never => {
  throw new Problem('reject', reason);
};
const skipWith = (reason: string): never => {
  throw new Problem('skip', reason);
};

const isObject = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** Values that say "no measurement": importers meet `nan`, `NaN`, `unavailable` and empty fields (luftdatenpumpe). */
const MISSING = /^\s*(nan|unavailable|)\s*$/i;

function toNumber(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value !== 'string' || !/^\s*-?\d+(\.\d+)?([eE][-+]?\d+)?\s*$/.test(value)) return null;
  return Number(value);
}

/** `2026-02-22T00:00:44`, `2019-11-28 15:38:54` or `2016-07-14T13:02:46.949036+00:00`: UTC unless a zone says otherwise. */
export function toInstant(value: unknown): Date | null {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/.test(value)) return null;
  const text = value.replace(' ', 'T');
  const date = new Date(/(Z|[+-]\d{2}:?\d{2})$/.test(text) ? text : `${text}Z`);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** How a file names a sensor, in the reader's terms (FileSensor); null when it names none. */
function fileSensor(value: unknown): { id: string; named?: true } | null {
  const ref = sensorRef(value);
  if (ref === null) return null;
  return /^[0-9]+$/.test(ref) ? { id: `sc-${ref}` } : { id: ref, named: true };
}

// Sensor.Community publishes 3 decimals (about 100 m); the hub never stores more.
const round3 = (x: number) => Math.round(x * 1000) / 1000;

function locate(lat: number | null, lon: number | null): { lon: number; lat: number } {
  if (lat === null || lon === null || lat < -90 || lat > 90 || lon < -180 || lon > 180) return rejectWith('the location\'s latitude/longitude are missing or out of range');
  const at = { lon: round3(lon), lat: round3(lat) };
  if (outside({ type: 'Point', coordinates: [at.lon, at.lat] })) skipWith(SKIP.outside);
  return at;
}

/** One value of a sample: null when the sensor sent none; a failure value skips the sample; an impossible one rejects it. */
function measured(name: string, raw: unknown, sensorType: string): number | null {
  if (raw === null || raw === undefined || (typeof raw === 'string' && MISSING.test(raw))) return null;
  const value = toNumber(raw);
  if (value === null) return rejectWith(`${name} value ${JSON.stringify(raw)} is not a number`);
  const column = VALUE_COLUMNS[name]!;
  if (column === 'temperature' && /^DS18B20$/i.test(sensorType) && DS18B20_ERRORS.includes(value)) skipWith(SKIP.ds18b20);
  if ((column === 'pm10' || column === 'pm25') && value >= PM_FAULT) skipWith(SKIP.pmFault);
  if ((column === 'pm10' || column === 'pm25') && value < 0) rejectWith(`${name} is negative (${value})`);
  if (column === 'humidity' && (value < 0 || value > 100)) rejectWith(`humidity ${value} is outside 0–100 %`);
  if (column === 'temperature' && (value < -60 || value > 70)) rejectWith(`temperature ${value} °C is impossible`);
  return value;
}

function sampleOf(line: number, read: () => Sample): Parsed<Sample> {
  try {
    const sample = read();
    if (Object.keys(sample.values).length === 0) return { line, skip: SKIP.noValue };
    return { line, row: sample };
  } catch (error) {
    if (!(error instanceof Problem)) throw error;
    return error.kind === 'skip' ? { line, skip: error.message } : { line, reason: error.message };
  }
}

/** File-level facts a Sensor.Community file may state in a note element: its `source`, and `synthetic` (explicit, never guessed). */
export interface FileNote {
  source: string | null;
  synthetic: boolean;
}

/** One element of the JSON API's array. */
export function jsonSample(element: unknown, now: Date, note: FileNote): Sample {
  if (!isObject(element)) return rejectWith('not a JSON object');
  const sensor = element.sensor;
  const named = isObject(sensor) ? fileSensor(sensor.id) : null;
  if (named === null) return rejectWith('sensor.id must be a positive integer (the node number) or a sensor id the hub serves (sc-…, cs-…)');
  const type = isObject(sensor.sensor_type) ? sensor.sensor_type.name : undefined;
  if (typeof type !== 'string' || type.trim() === '') return rejectWith('sensor.sensor_type.name is missing');
  const time = toInstant(element.timestamp);
  if (!time) return rejectWith(`timestamp ${JSON.stringify(element.timestamp)} is not "YYYY-MM-DD hh:mm:ss"`);
  if (time.getTime() > now.getTime() + 5 * 60_000) rejectWith(`timestamp ${element.timestamp} is in the future`);
  const location = element.location;
  if (!isObject(location)) return rejectWith('location is missing');
  if (/^(1|true)$/i.test(String(location.indoor ?? '0').trim())) skipWith(SKIP.indoor);
  const at = locate(toNumber(location.latitude), toNumber(location.longitude));
  if (!Array.isArray(element.sensordatavalues) || element.sensordatavalues.length === 0) rejectWith('sensordatavalues must be a non-empty array');
  const values: Sample['values'] = {};
  for (const item of element.sensordatavalues as unknown[]) {
    if (!isObject(item) || typeof item.value_type !== 'string') return rejectWith('a sensordatavalues item has no value_type');
    if (!VALUE_COLUMNS[item.value_type]) continue; // pressure, noise…: not kept by the hub
    const value = measured(item.value_type, item.value, type);
    if (value !== null) values[VALUE_COLUMNS[item.value_type]!] = value;
  }
  return { sensor: { ...named, type: type.trim(), ...at }, time, values, synthetic: note.synthetic };
}

/**
 * The samples of a JSON API file. An element without `sensor` is a note: its `source` and `synthetic`
 * members hold for the whole file, so it must come first (rows may be written while the file is read).
 */
export async function* jsonSamples(input: AsyncIterable<string>, now: Date, note: FileNote): AsyncGenerator<Parsed<Sample>> {
  let readings = 0;
  for await (const event of readJsonElements(input)) {
    if (event.kind === 'member') throw new IngestFileError(1, 'not a JSON array: Sensor.Community serves a top-level array of readings');
    const value = event.value;
    if (isObject(value) && !('sensor' in value)) {
      if ('synthetic' in value || 'source' in value) {
        if (readings > 0) throw new IngestFileError(event.index, 'a note saying the file\'s source or synthetic must come before its readings');
        try {
          note.synthetic = syntheticFlag(value.synthetic);
        } catch (error) {
          throw new IngestFileError(event.index, (error as Error).message);
        }
        if (typeof value.source === 'string' && value.source.trim()) note.source = value.source.trim();
      }
      continue;
    }
    readings++;
    yield sampleOf(event.index, () => jsonSample(value, now, note));
  }
}

const ARCHIVE_COLUMNS = ['sensor_id', 'sensor_type', 'location', 'lat', 'lon', 'timestamp'] as const;

/**
 * The samples of an archive CSV. Its header names the values (dispatch on the header, not on the sensor
 * type); a `synthetic` column (the hub's samples add one) labels a line. The archive's own mark of an
 * indoor sensor is its file name (`…_indoor.csv`): only a hint, and the only one the CSV has, so such a
 * file's lines are skipped, counted, with that reason.
 */
export async function* archiveSamples(input: AsyncIterable<string>, now: Date, fileName: string | undefined): AsyncGenerator<Parsed<Sample>> {
  let columns: Map<string, number> | undefined;
  let values: [string, number][] = [];
  let width = 0;
  const indoor = !!fileName && /_indoor\.csv(\.gz)?$/i.test(fileName);
  for await (const { line, fields } of readCsv(input)) {
    if (!columns) {
      const names = fields.map((f) => f.trim());
      const missing = ARCHIVE_COLUMNS.filter((c) => !names.includes(c));
      if (missing.length) throw new IngestFileError(1, `bad header: missing column(s) ${missing.join(', ')} (a Sensor.Community archive file starts with ${ARCHIVE_COLUMNS.join(';')})`);
      columns = new Map(names.map((n, i) => [n, i]));
      values = names.flatMap((n, i) => (VALUE_COLUMNS[n] ? [[n, i] as [string, number]] : []));
      if (values.length === 0) throw new IngestFileError(1, `the file holds none of the values the hub keeps (${Object.keys(VALUE_COLUMNS).join(', ')})`);
      width = names.length;
      continue;
    }
    const map = columns;
    const get = (name: string) => {
      const i = map.get(name);
      return i === undefined ? undefined : fields[i]?.trim();
    };
    yield sampleOf(line, () => {
      if (indoor) skipWith(SKIP.indoorByName);
      // An SPS30 may write short lines (P1 and P2 only); a line longer than the header is broken.
      if (fields.length > width) rejectWith(`${fields.length} fields where the header has ${width}`);
      const named = fileSensor(get('sensor_id') ?? '');
      if (named === null) return rejectWith(`sensor_id "${get('sensor_id') ?? ''}" is not a positive integer (the node number) nor a sensor id the hub serves (sc-…, cs-…)`);
      const type = get('sensor_type') ?? '';
      if (type === '') rejectWith('sensor_type is empty');
      const time = toInstant(get('timestamp'));
      if (!time) return rejectWith(`timestamp "${get('timestamp') ?? ''}" is not an ISO date-time`);
      if (time.getTime() > now.getTime() + 5 * 60_000) rejectWith(`timestamp ${get('timestamp')} is in the future`);
      if (!get('lat') || !get('lon')) skipWith(SKIP.noLocation);
      const at = locate(toNumber(get('lat')), toNumber(get('lon')));
      const sample: Sample['values'] = {};
      for (const [name, i] of values) {
        const value = measured(name, fields[i], type);
        if (value !== null) sample[VALUE_COLUMNS[name]!] = value;
      }
      let synthetic = false;
      if (map.has('synthetic')) {
        try {
          synthetic = syntheticFlag(get('synthetic'));
        } catch (error) {
          rejectWith((error as Error).message);
        }
      }
      return { sensor: { ...named, type, ...at }, time, values: sample, synthetic };
    });
  }
  if (!columns) throw new IngestFileError(1, 'bad header: the file is empty');
}

const HOUR = 3_600_000;
const COLUMNS: ValueColumn[] = ['pm10', 'pm25', 'temperature', 'humidity'];
const NAME_OF: Record<ValueColumn, string> = { pm10: 'P1', pm25: 'P2', temperature: 'temperature', humidity: 'humidity' };

interface Bucket {
  line: number;
  sensor: FileSensor;
  hour: number;
  sums: Partial<Record<ValueColumn, { sum: number; n: number }>>;
  synthetic: boolean;
}

// Means keep 3 decimals: the files give 2, so a re-import computes the same value and changes nothing.
const mean = (s: { sum: number; n: number } | undefined) => (s ? Math.round((s.sum / s.n) * 1000) / 1000 : null);

function hourly(bucket: Bucket): Parsed<HourlyReading> {
  const reading: ReadingRow = { sensor_id: bucket.sensor.id, measured_at: new Date(bucket.hour).toISOString(), pm10: null, pm25: null, temperature: null, humidity: null };
  for (const c of COLUMNS) reading[c] = mean(bucket.sums[c]);
  const measures = COLUMNS.filter((c) => bucket.sums[c]).map((c) => NAME_OF[c]);
  return { line: bucket.line, row: { sensor: { ...bucket.sensor, measures }, reading, synthetic: bucket.synthetic } };
}

/**
 * Samples → hourly means per sensor, each value averaged over the samples that have it; a mean's line is
 * its first sample's. Files are in time order per sensor (the archive's are); a sample up to an hour late
 * still joins its hour, an older one is refused (its hour was already averaged). Memory holds two hours
 * per sensor, whatever the file's length. Rejects and skips pass through as they come.
 */
export async function* hourlyMeans(samples: AsyncIterable<Parsed<Sample>>): AsyncGenerator<Parsed<HourlyReading>> {
  const open = new Map<string, Map<number, Bucket>>();
  const closedBefore = new Map<string, number>();
  for await (const parsed of samples) {
    if (!('row' in parsed)) {
      yield parsed;
      continue;
    }
    const { sensor, time, values, synthetic } = parsed.row;
    const hour = Math.floor(time.getTime() / HOUR) * HOUR;
    // A node number and a written id are two names a sender may mean differently (ingest.ts): never merged.
    const key = sensor.named ? `named:${sensor.id}` : sensor.id;
    if (hour < (closedBefore.get(key) ?? -Infinity)) {
      yield { line: parsed.line, reason: `sample of ${sensor.id} at ${time.toISOString()} comes after later hours of that sensor were averaged: the file is not in time order` };
      continue;
    }
    let buckets = open.get(key);
    if (!buckets) open.set(key, (buckets = new Map()));
    let bucket = buckets.get(hour);
    if (!bucket) buckets.set(hour, (bucket = { line: parsed.line, sensor, hour, sums: {}, synthetic: false }));
    bucket.synthetic ||= synthetic;
    for (const [column, value] of Object.entries(values) as [ValueColumn, number][]) {
      const s = (bucket.sums[column] ??= { sum: 0, n: 0 });
      s.sum += value;
      s.n++;
    }
    const horizon = hour - HOUR;
    for (const [h, b] of buckets) {
      if (h >= horizon) continue;
      buckets.delete(h);
      yield hourly(b);
    }
    closedBefore.set(key, Math.max(closedBefore.get(key) ?? -Infinity, horizon));
  }
  for (const buckets of open.values()) for (const b of [...buckets.values()].sort((x, y) => x.hour - y.hour)) yield hourly(b);
}
