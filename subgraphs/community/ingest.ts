import type { Knex } from 'knex';
import type { Source } from '../../lib/ingest/source.ts';
import { hasColumns, hasMembers } from '../../lib/ingest/detect.ts';
import type { IngestOptions, IngestReport, Ingester } from '../../lib/ingest/types.ts';
import { runIngestion, type Parsed, type UpsertCounts } from '../../lib/ingest/runner.ts';
import { IngestFileError } from '../../lib/ingest/errors.ts';
import { badUserInput } from '../../lib/errors.ts';
import { citizenCsvIngester, citizenGeojsonIngester, citizenShapefileIngester } from './citizen-datasets.ts';
import { insertPendingSensors, ownSensorIds, ownedSensorIds, sensorOwners, upsertReadings, type NewSensor } from './datasource.ts';
import { CONTRIBUTOR_ID, NETWORK_ID, heldByContributor, newContributorSensorId, notYours } from './sensor-ids.ts';
import { archiveSamples, hourlyMeans, jsonSamples, type FileNote, type HourlyReading, type Sample } from './sensor-community.ts';

/**
 * Sensor.Community files — the JSON its API serves and its archive CSV — as hourly means per sensor
 * (sensor-community.ts reads and averages them). Readings are upserted on their natural key (sensor id,
 * start of the hour); a replaced reading keeps its old values in `reading_history`.
 * A sensor seen for the first time is created PENDING, whoever ingests: only a moderator makes it (and
 * its readings) open. Known sensors keep their status, location and owner. Indoor sensors and sensors
 * outside the hub's territory are skipped, counted, and never created.
 * Who writes which sensor (sensor-ids.ts): the network's `sc-<node>` sensors come from producer:community
 * only (its dumps, scheduled pulls, the operator's CLI); a node number in a contributor's file is that
 * contributor's own number, a sensor of theirs served as `cs-…`, so no contributor ever occupies the
 * network's ids nor another contributor's. A contributor's file naming a sensor that is not theirs (an
 * `sc-` id, someone else's or an unknown `cs-` id) is refused whole, `partial` or not, with one message
 * whatever the reason. A network file meeting a sensor a contributor holds (an `sc-` id registered before
 * ids were reserved, or a `cs-` id) skips that sensor's rows, counted with their lines, and takes the rest.
 * Whether values are synthetic is said by the file (a note element `{"synthetic": true}` first in the JSON
 * array, a `synthetic` column in CSV), never guessed.
 */
const PRODUCER_NAME = 'Sensor.Community contributor (citizen)';
const BATCH = 500;

/** Who sends a file: the network's feed, or a contributor (their token subject). */
type Sender = { network: true; subject: string | null } | { network: false; subject: string };

function senderOf(options: IngestOptions): Sender | null {
  // The CLI runs with the database's own credentials, on the producer's behalf: it is the network's feed.
  if (options.scopes === undefined || options.scopes.includes('producer:community')) return { network: true, subject: options.actor ?? null };
  return options.actor ? { network: false, subject: options.actor } : null;
}

/** A contributor's own number for the sensor a row names, when the file names it by number (sensor-community.ts). */
const localIdOf = (row: HourlyReading): string | null => (row.sensor.named ? null : row.sensor.id.slice(3));

/** A row whose sensor is the one `id` names. */
const toSensor = (row: HourlyReading, id: string): HourlyReading => ({ ...row, sensor: { ...row.sensor, id }, reading: { ...row.reading, sensor_id: id } });

/**
 * Resolves each row's sensor for `sender`, looking the sensors up BATCH rows at a time. The network's rows
 * for a sensor a contributor holds are skipped with the reason; a contributor's row naming a sensor not
 * theirs refuses the whole file: an IngestFileError is the runner's way to refuse a file whole, `partial`
 * or not. Rows by node number from a contributor keep their number, resolved when written (writeBatch).
 */
async function* owned(db: Knex, rows: AsyncIterable<Parsed<HourlyReading>>, from: Sender | null): AsyncGenerator<Parsed<HourlyReading>> {
  if (!from) throw new IngestFileError(1, 'readings come from an identified contributor or from producer:community');
  const sender = from;
  let pending: Parsed<HourlyReading>[] = [];
  async function* release(): AsyncGenerator<Parsed<HourlyReading>> {
    const ids = [...new Set(pending.flatMap((p) => ('row' in p && (sender.network || p.row.sensor.named) ? [p.row.sensor.id] : [])))];
    const networkIds = ids.filter((id) => NETWORK_ID.test(id));
    // The network's own ids held by a contributor; a contributor's own ids among those their file names.
    const held = sender.network ? new Set([...(await sensorOwners(db, networkIds))].filter(([, owner]) => owner !== null).map(([id]) => id)) : new Set<string>();
    const mine = sender.network ? new Set<string>() : await ownedSensorIds(db, sender.subject, ids.filter((id) => CONTRIBUTOR_ID.test(id)));
    for (const parsed of pending) {
      if (!('row' in parsed)) {
        yield parsed;
        continue;
      }
      const { id, named } = parsed.row.sensor;
      if (sender.network) {
        if (!NETWORK_ID.test(id) || held.has(id)) yield { line: parsed.line, skip: heldByContributor(id) };
        else yield parsed;
      } else if (named && !mine.has(id)) {
        throw new IngestFileError(parsed.line, notYours(id));
      } else yield parsed;
    }
    pending = [];
  }
  for await (const parsed of rows) {
    pending.push(parsed);
    if (pending.length >= BATCH) yield* release();
  }
  yield* release();
}

/** Writes one batch: new sensors PENDING (the network's, or the sender's own), then their readings, by provenance. */
async function writeBatch(trx: Knex.Transaction, batch: HourlyReading[], provenance: { source: string; actor: string; reason: string }, sender: Sender | null): Promise<UpsertCounts> {
  if (!sender) throw new Error('an ingest without a sender reached the writes');
  const counts: UpsertCounts = { inserted: 0, updated: 0, unchanged: 0 };
  const change = { by: provenance.actor, reason: provenance.reason };
  for (const synthetic of [false, true]) {
    let rows = batch.filter((row) => row.synthetic === synthetic);
    if (rows.length === 0) continue;
    const origin = { producerKind: 'CITIZEN', producerName: PRODUCER_NAME, licence: 'ODBL', source: provenance.source, synthetic } as const;
    if (sender.network) {
      const sensors = new Map<string, NewSensor>();
      for (const row of rows) if (!sensors.has(row.sensor.id)) sensors.set(row.sensor.id, row.sensor);
      await insertPendingSensors(trx, [...sensors.values()], origin, change);
      // The reader checked every sensor; a moderator's release or a concurrent file may have changed one since.
      for (const [id, owner] of await sensorOwners(trx, [...sensors.keys()])) {
        if (owner !== null) throw badUserInput(heldByContributor(id), { sensor: id });
      }
    } else {
      const locals = new Map<string, Omit<NewSensor, 'id'>>();
      for (const row of rows) {
        const local = localIdOf(row);
        if (local !== null && !locals.has(local)) locals.set(local, row.sensor);
      }
      const ids = await ownSensorIds(trx, sender.subject, [...locals].map(([localId, sensor]) => ({ localId, sensor })), origin, change, newContributorSensorId);
      // A file may name one sensor by its number and by its cs- id: the later row of an hour wins, as in a file.
      const byHour = new Map<string, HourlyReading>();
      for (const row of rows) {
        const local = localIdOf(row);
        const resolved = local === null ? row : toSensor(row, ids.get(local)!);
        const key = `${resolved.reading.sensor_id}|${resolved.reading.measured_at}`;
        byHour.delete(key);
        byHour.set(key, resolved);
      }
      rows = [...byHour.values()];
      // The reader checked the ids the file wrote; one may have been moved since (releaseSensorId).
      const named = [...new Set(rows.filter((row) => row.sensor.named).map((row) => row.sensor.id))];
      const mine = await ownedSensorIds(trx, sender.subject, named);
      const other = named.find((id) => !mine.has(id));
      if (other) throw badUserInput(notYours(other), { sensor: other });
    }
    const written = await upsertReadings(trx, rows.map((row) => row.reading), { source: provenance.source, synthetic, actor: provenance.actor });
    counts.inserted += written.inserted;
    counts.updated += written.updated;
    counts.unchanged += written.unchanged;
  }
  return counts;
}

/** One Sensor.Community format: its samples, averaged per hour, owned, written. */
function sensorIngest(format: string, label: string, samples: (source: Source, note: FileNote, now: Date) => AsyncIterable<Parsed<Sample>>) {
  return (knex: Knex, source: Source, options: IngestOptions): Promise<IngestReport> => {
    const note: FileNote = { source: null, synthetic: false };
    const sender = senderOf(options);
    const now = new Date();
    return runIngestion<HourlyReading>(knex, {
      producer: 'community',
      format,
      encoding: source.encoding,
      options,
      batchSize: BATCH,
      rows: (trx) => owned(trx, hourlyMeans(samples(source, note, now)), sender),
      key: (row) => `${row.reading.sensor_id}|${row.reading.measured_at}`,
      write: (trx, batch) =>
        writeBatch(trx, batch, { source: note.source ?? options.source ?? label, actor: options.actor ?? 'ingest', reason: `ingested from ${label}` }, sender),
    });
  };
}

export const sensorCommunityIngester: Ingester = {
  producer: 'community',
  format: 'sensor-community-json',
  description: 'Sensor.Community JSON, as data.sensor.community serves it (an array of readings with sensordatavalues), averaged per hour',
  nameHint: /\.json$/i,
  detect: (s) => (hasMembers(s, 'sensordatavalues', 'sensor') ? 3 : 0),
  ingest: sensorIngest('sensor-community-json', 'Sensor.Community JSON', (source, note, now) => jsonSamples(source.text(), now, note)),
};

export const sensorArchiveIngester: Ingester = {
  producer: 'community',
  format: 'sensor-community-archive-csv',
  description: 'Sensor.Community archive CSV (archive.sensor.community: sensor_id;sensor_type;location;lat;lon;timestamp;…), averaged per hour',
  nameHint: /_sensor_\d+(_indoor)?\.csv(\.gz)?$/i,
  detect: (s) => (hasColumns(s, 'sensor_id', 'sensor_type', 'location', 'lat', 'lon', 'timestamp') ? 3 : 0),
  ingest: sensorIngest('sensor-community-archive-csv', 'Sensor.Community archive CSV', (source, _note, now) => archiveSamples(source.text(), now, source.fileName)),
};

export const ingesters: Ingester[] = [sensorCommunityIngester, sensorArchiveIngester, citizenCsvIngester, citizenGeojsonIngester, citizenShapefileIngester];
