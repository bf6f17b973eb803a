import type { Knex } from 'knex';
import type { Source } from '../../lib/ingest/source.ts';
import { hasMembers } from '../../lib/ingest/detect.ts';
import type { IngestOptions, IngestReport, Ingester } from '../../lib/ingest/types.ts';
import { runIngestion, type Parsed as RunnerParsed, type UpsertCounts } from '../../lib/ingest/runner.ts';
import { readJsonElements } from '../../lib/ingest/json.ts';
import { IngestFileError } from '../../lib/ingest/errors.ts';
import { badUserInput } from '../../lib/errors.ts';
import { citizenCsvIngester, citizenGeojsonIngester } from './citizen-datasets.ts';
import { insertPendingSensors, sensorOwners, upsertReadings, type NewSensor, type ReadingRow } from './datasource.ts';

/**
 * Sensor.Community JSON (the array `https://data.sensor.community/static/v1/data.json` serves): one
 * element per sensor and timestamp. Readings are upserted on their natural key (sensor id, timestamp);
 * a replaced reading keeps its old values in `reading_history`.
 * A sensor seen for the first time is created PENDING, whoever ingests: only a moderator makes it (and
 * its readings) open. Known sensors keep their status, location and owner.
 * Who may write a sensor's readings: the contributor who registered it (its owner), or, for a sensor of an
 * external network (no owner: Sensor.Community dumps, scheduled pulls), a holder of producer:community.
 * A file touching a sensor its sender may not write is refused whole, partial or not.
 * An element whose `_comment` mentions "synthetic" marks the file as synthetic (sample files do).
 */
const PRODUCER_NAME = 'Sensor.Community contributor (citizen)';
const BATCH = 500;
const VALUE_COLUMNS: Record<string, 'pm10' | 'pm25' | 'temperature' | 'humidity'> = {
  P1: 'pm10',
  P2: 'pm25',
  temperature: 'temperature',
  humidity: 'humidity',
};

type Parsed = { sensor: NewSensor; reading: ReadingRow } | { error: string };

/** Who sends a file: their token subject, and whether they feed the external networks' sensors. */
interface Sender {
  subject: string | null;
  network: boolean;
}

function senderOf(options: IngestOptions): Sender {
  // The CLI runs with the database's own credentials, on the producer's behalf: it is the network's feed.
  return { subject: options.actor ?? null, network: options.scopes === undefined || options.scopes.includes('producer:community') };
}

/** Why `sender` may not write the readings of sensor `id`, owned by `owner` (null: a network's); null when it may. */
function refusal(id: string, owner: string | null, sender: Sender): string | null {
  if (owner === null) {
    return sender.network ? null : `sensor ${id} belongs to another producer, an external network: only producer:community sends its readings; nothing was written`;
  }
  return owner === sender.subject ? null : `sensor ${id} belongs to another contributor: only the contributor who registered it sends its readings; nothing was written`;
}

const isObject = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

function toNumber(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value !== 'string' || !/^\s*-?\d+(\.\d+)?([eE][-+]?\d+)?\s*$/.test(value)) return null;
  return Number(value);
}

/** Sensor.Community timestamps are UTC without a zone ("2025-01-02 07:00:00"). */
function toInstant(value: unknown): Date | null {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/.test(value)) return null;
  const text = value.replace(' ', 'T');
  const date = new Date(/(Z|[+-]\d{2}:?\d{2})$/.test(text) ? text : `${text}Z`);
  return Number.isNaN(date.getTime()) ? null : date;
}

export function parseSensorCommunity(element: unknown, now: Date): Parsed {
  if (!isObject(element)) return { error: 'not a JSON object' };
  const sensor = element.sensor;
  if (!isObject(sensor) || !Number.isInteger(sensor.id) || sensor.id <= 0) return { error: 'sensor.id must be a positive integer' };
  const type = isObject(sensor.sensor_type) ? sensor.sensor_type.name : undefined;
  if (typeof type !== 'string' || type.trim() === '') return { error: 'sensor.sensor_type.name is missing' };
  const time = toInstant(element.timestamp);
  if (!time) return { error: `timestamp ${JSON.stringify(element.timestamp)} is not "YYYY-MM-DD hh:mm:ss"` };
  if (time.getTime() > now.getTime() + 5 * 60_000) return { error: `timestamp ${element.timestamp} is in the future` };
  const location = element.location;
  const lat = isObject(location) ? toNumber(location.latitude) : null;
  const lon = isObject(location) ? toNumber(location.longitude) : null;
  if (lat === null || lon === null || lat < -90 || lat > 90 || lon < -180 || lon > 180) {
    return { error: 'location.latitude/longitude are missing or out of range' };
  }
  if (!Array.isArray(element.sensordatavalues) || element.sensordatavalues.length === 0) {
    return { error: 'sensordatavalues must be a non-empty array' };
  }
  const reading: ReadingRow = {
    sensor_id: `sc-${sensor.id}`,
    measured_at: time.toISOString(),
    pm10: null,
    pm25: null,
    temperature: null,
    humidity: null,
  };
  const measures: string[] = [];
  for (const item of element.sensordatavalues as unknown[]) {
    if (!isObject(item) || typeof item.value_type !== 'string') return { error: 'a sensordatavalues item has no value_type' };
    const column = VALUE_COLUMNS[item.value_type];
    if (!column) continue; // pressure, noise…: not kept by the hub
    const value = toNumber(item.value);
    if (value === null) return { error: `${item.value_type} value ${JSON.stringify(item.value)} is not a number` };
    if ((column === 'pm10' || column === 'pm25') && value < 0) return { error: `${item.value_type} is negative (${value})` };
    if (column === 'humidity' && (value < 0 || value > 100)) return { error: `humidity ${value} is outside 0–100 %` };
    if (column === 'temperature' && (value < -60 || value > 70)) return { error: `temperature ${value} °C is impossible` };
    reading[column] = value;
    measures.push(item.value_type);
  }
  if (measures.length === 0) return { error: 'no P1, P2, temperature or humidity value' };
  // Sensor.Community publishes 3 decimals (about 100 m); the hub never stores more.
  const round3 = (x: number) => Math.round(x * 1000) / 1000;
  return { sensor: { id: reading.sensor_id, type: type.trim(), lon: round3(lon), lat: round3(lat), measures }, reading };
}

async function writeBatch(
  trx: Knex.Transaction,
  batch: Valid[],
  provenance: { source: string; synthetic: boolean; actor: string },
  sender: Sender,
): Promise<UpsertCounts> {
  const sensors = new Map<string, NewSensor>();
  for (const row of batch) if (!sensors.has(row.sensor.id)) sensors.set(row.sensor.id, row.sensor);
  await insertPendingSensors(
    trx,
    [...sensors.values()],
    { producerKind: 'CITIZEN', producerName: PRODUCER_NAME, licence: 'ODBL', source: provenance.source, synthetic: provenance.synthetic, owner: sender.network ? null : sender.subject },
    { by: provenance.actor, reason: 'ingested from Sensor.Community JSON' },
  );
  // The reader checked every sensor; a concurrent upload may have registered a new one since.
  for (const [id, owner] of await sensorOwners(trx, [...sensors.keys()])) {
    const reason = refusal(id, owner, sender);
    if (reason) throw badUserInput(reason, { sensor: id });
  }
  return upsertReadings(trx, batch.map((row) => row.reading), provenance);
}

type Valid = Extract<Parsed, { reading: ReadingRow }>;

async function* elements(input: AsyncIterable<string>, provenance: { source: string; synthetic: boolean }, now: Date): AsyncGenerator<RunnerParsed<Valid>> {
  for await (const event of readJsonElements(input)) {
    if (event.kind === 'member') throw new IngestFileError(1, 'not a JSON array: Sensor.Community serves a top-level array of readings');
    const value = event.value;
    if (isObject(value) && typeof value._comment === 'string' && !('sensor' in value)) {
      // A file-level note, not a reading; the samples say here that they are synthetic.
      if (/synthetic/i.test(value._comment)) Object.assign(provenance, { source: value._comment, synthetic: true });
      continue;
    }
    const parsed = parseSensorCommunity(value, now);
    yield 'error' in parsed ? { line: event.index, reason: parsed.error } : { line: event.index, row: parsed };
  }
}

/**
 * The elements of `rows` whose sensors `sender` may write, looked up BATCH elements at a time. The first
 * element touching someone else's sensor refuses the whole file: an IngestFileError is the runner's way to
 * refuse a file whole, `partial` or not (sensors this file creates are the sender's).
 */
async function* owned(trx: Knex, rows: AsyncIterable<RunnerParsed<Valid>>, sender: Sender): AsyncGenerator<RunnerParsed<Valid>> {
  if (!sender.network && sender.subject === null) throw new IngestFileError(1, 'readings come from an identified contributor or from producer:community');
  const owners = new Map<string, string | null>();
  let pending: RunnerParsed<Valid>[] = [];
  async function* release(): AsyncGenerator<RunnerParsed<Valid>> {
    const unknown = [...new Set(pending.flatMap((p) => ('row' in p ? [p.row.sensor.id] : [])))].filter((id) => !owners.has(id));
    const known = await sensorOwners(trx, unknown);
    for (const id of unknown) owners.set(id, known.has(id) ? known.get(id)! : sender.network ? null : sender.subject);
    for (const parsed of pending) {
      const reason = 'row' in parsed ? refusal(parsed.row.sensor.id, owners.get(parsed.row.sensor.id) ?? null, sender) : null;
      if (reason) throw new IngestFileError(parsed.line, reason);
      yield parsed;
    }
    pending = [];
  }
  for await (const parsed of rows) {
    pending.push(parsed);
    if (pending.length >= BATCH) yield* release();
  }
  yield* release();
}

function ingestSensorCommunity(knex: Knex, source: Source, options: IngestOptions): Promise<IngestReport> {
  const provenance = { source: options.source ?? 'Sensor.Community JSON', synthetic: false, actor: options.actor ?? 'ingest' };
  const sender = senderOf(options);
  const now = new Date();
  return runIngestion<Valid>(knex, {
    producer: 'community',
    format: 'sensor-community-json',
    encoding: source.encoding,
    options,
    batchSize: BATCH,
    rows: (trx) => owned(trx, elements(source.text(), provenance, now), sender),
    key: (row) => `${row.reading.sensor_id}|${row.reading.measured_at}`,
    write: (trx, batch) => writeBatch(trx, batch, provenance, sender),
  });
}

export const sensorCommunityIngester: Ingester = {
  producer: 'community',
  format: 'sensor-community-json',
  description: 'Sensor.Community JSON, as data.sensor.community serves it (an array of readings with sensordatavalues)',
  nameHint: /\.json$/i,
  detect: (s) => (hasMembers(s, 'sensordatavalues', 'sensor') ? 3 : 0),
  ingest: ingestSensorCommunity,
};

export const ingesters: Ingester[] = [sensorCommunityIngester, citizenCsvIngester, citizenGeojsonIngester];
