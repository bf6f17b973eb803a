import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { Database } from '../../lib/db.ts';
import { ingestFile } from '../../scripts/ingest.ts';
import { SKIP } from '../../subgraphs/community/sensor-community.ts';
import { bearer } from '../support/auth.ts';
import { gatewayQuery, testHub } from '../support/hub.ts';

/**
 * The Sensor.Community feed (producer:community) sends the network's own files to the hub — the archive's
 * CSV (one sample every ~2.5 min) and the API's JSON dump — by the CLI and by `POST /ingest/community`.
 * The hub keeps hourly means per sensor, leaves out what a failing sensor reports, indoor sensors and
 * sensors abroad, counts each with its line and reason, and refuses nothing for them.
 */
const SAMPLES = path.resolve(import.meta.dirname, '../../subgraphs/community/samples');
const SDS011 = path.join(SAMPLES, '2025-01-02_sds011.csv');
const DHT22 = path.join(SAMPLES, '2025-01-02_dht22_sensor_981002.csv');
const DUMP = path.join(SAMPLES, 'sensor-community-dump.json');
const OURS = ['sc-981001', 'sc-981002', 'sc-981003', 'sc-981011', 'sc-981012', 'sc-981013', 'sc-981014', 'sc-981015'];

const READINGS = `query ($id: ID!, $day: String!) { sensor(id: $id) { id sensorType measures location provenance { source synthetic validationStatus }
  readings(from: $day, to: $day) { edges { node { time pm10 pm25 temperature humidity } } } } }`;
const MODERATE = 'mutation ($ids: [ID!]!) { moderateSensors(ids: $ids, decision: VALIDATED) }';

type Means = Record<string, Record<string, Partial<Record<'pm10' | 'pm25' | 'temperature' | 'humidity', number>>>>;

/**
 * What the archive file says, averaged by hand: per sensor and UTC hour, each value over the samples that
 * have one (`nan` and empty ignored); a sample with a PM value of 999.9 or more is a failure, left out.
 */
function archiveMeans(file: string): Means {
  const [header, ...lines] = fs.readFileSync(file, 'utf8').trim().split('\n');
  const names = header!.split(';');
  const sums: Record<string, Record<string, Record<string, number[]>>> = {};
  for (const line of lines) {
    const f = Object.fromEntries(line.split(';').map((v, i) => [names[i]!, v]));
    if (Number(f.lat) > 49) continue; // the Berlin node
    const values = { pm10: f.P1, pm25: f.P2, temperature: f.temperature, humidity: f.humidity };
    if ([values.pm10, values.pm25].some((v) => v && Number(v) >= 999.9)) continue;
    const hour = `${f.timestamp!.slice(0, 13)}:00:00.000Z`;
    for (const [column, text] of Object.entries(values)) {
      if (text === undefined || text === '' || text === 'nan') continue;
      ((sums[`sc-${f.sensor_id}`] ??= {})[hour] ??= {})[column] = [...(sums[`sc-${f.sensor_id}`]![hour]![column] ?? []), Number(text)];
    }
  }
  return Object.fromEntries(
    Object.entries(sums).map(([sensor, hours]) => [sensor, Object.fromEntries(Object.entries(hours).map(([hour, cols]) => [hour, Object.fromEntries(Object.entries(cols).map(([c, v]) => [c, v.reduce((a, b) => a + b, 0) / v.length]))]))]),
  );
}

describe("community: the Sensor.Community feed sends the network's archive CSV and JSON dumps", () => {
  let db: Database;
  let gatewayUrl: string;
  let feed: Record<string, string>;
  let moderator: Record<string, string>;

  const push = async (file: string, headers: Record<string, string>) => {
    const response = await fetch(new URL(`/ingest/community?name=${encodeURIComponent(path.basename(file))}`, gatewayUrl), { method: 'POST', body: new Uint8Array(fs.readFileSync(file)), headers });
    return { status: response.status, report: await response.json() };
  };
  const readBack = async (id: string, day: string) => {
    const { data, errors } = await gatewayQuery(READINGS, { id, day });
    expect(errors).toBeUndefined();
    return data.sensor;
  };

  beforeAll(async () => {
    const hub = await testHub();
    gatewayUrl = hub.gatewayUrl;
    db = hub.subgraph('community').db;
    await db.knex('community.sensor').whereIn('id', OURS).delete();
    feed = await bearer(['producer:community'], 'sc-feed');
    moderator = await bearer(['community:moderate'], 'moderator-sc-files');
  });
  afterAll(async () => {
    await db?.knex('community.sensor').whereIn('id', OURS).delete();
  });

  it('an archive CSV becomes hourly means; a nan is ignored, a 999.9 failure and a Berlin node are left out, each counted with its lines', async () => {
    const cli = await ingestFile(db, 'community', SDS011);
    expect(cli).toMatchObject({ format: 'sensor-community-archive-csv', committed: true, read: 8, inserted: 2, updated: 0, rejected: [] });
    expect(cli.skipped).toEqual(
      expect.arrayContaining([
        { reason: SKIP.outside, count: 4, lines: [4, 15, 30, 41] },
        { reason: SKIP.noValue, count: 1, lines: [21] },
        { reason: SKIP.pmFault, count: 1, lines: [35] },
      ]),
    );
    expect(cli.skipped).toHaveLength(3);

    const pushed = await push(SDS011, feed);
    expect(pushed.status).toBe(200);
    expect(pushed.report).toMatchObject({ format: 'sensor-community-archive-csv', committed: true, read: 8, inserted: 0, updated: 0, unchanged: 2, rejected: [] });
    expect(pushed.report.skipped).toEqual(cli.skipped);

    expect(await db.knex('community.sensor').where('id', 'sc-981003').first()).toBeUndefined();
    expect(await db.knex('community.sensor').where('id', 'sc-981001').first()).toMatchObject({ status: 'PENDING', owner_subject: null });
  });

  it("the DHT22's file: a zoned timestamp, a nan humidity and an empty sample; the moderated node serves the file's hourly means", async () => {
    const cli = await ingestFile(db, 'community', DHT22);
    expect(cli).toMatchObject({ format: 'sensor-community-archive-csv', committed: true, read: 3, inserted: 2, rejected: [], skipped: [{ reason: SKIP.noValue, count: 1, lines: [22] }] });
    const pushed = await push(DHT22, feed);
    expect(pushed.report).toMatchObject({ committed: true, read: 3, unchanged: 2, rejected: [] });

    const { data } = await gatewayQuery(MODERATE, { ids: ['sc-981001', 'sc-981002'] }, moderator);
    expect(data.moderateSensors).toBe(2);
    const expected = { ...archiveMeans(SDS011), ...archiveMeans(DHT22) };
    for (const [id, measures] of [['sc-981001', ['P1', 'P2']], ['sc-981002', ['temperature', 'humidity']]] as const) {
      const sensor = await readBack(id, '2025-01-02');
      expect(sensor).toMatchObject({ measures, provenance: { synthetic: true, validationStatus: 'VALIDATED' } });
      expect(sensor.location.coordinates[0]).toBeCloseTo(7.746, 6);
      expect(sensor.location.coordinates[1]).toBeCloseTo(48.583, 6);
      const hours = expected[id]!;
      expect(sensor.readings.edges.map((e: { node: { time: string } }) => e.node.time)).toEqual(Object.keys(hours).sort());
      for (const { node } of sensor.readings.edges) {
        for (const column of ['pm10', 'pm25', 'temperature', 'humidity'] as const) {
          const mean = hours[node.time]![column];
          if (mean === undefined) expect(node[column]).toBeNull();
          else expect(node[column]).toBeCloseTo(mean, 3);
        }
      }
    }
  });

  it('a JSON dump with a DS18B20 reading -127 °C and 85 °C, an indoor sensor and a Berlin sensor is taken whole; those are counted, never created', async () => {
    const cli = await ingestFile(db, 'community', DUMP);
    expect(cli).toMatchObject({ format: 'sensor-community-json', committed: true, read: 7, inserted: 3, rejected: [] });
    expect(cli.skipped).toEqual(
      expect.arrayContaining([
        { reason: SKIP.ds18b20, count: 2, lines: [6, 7] },
        { reason: SKIP.indoor, count: 1, lines: [9] },
        { reason: SKIP.outside, count: 1, lines: [10] },
      ]),
    );
    const pushed = await push(DUMP, feed);
    expect(pushed.report).toMatchObject({ format: 'sensor-community-json', committed: true, read: 7, unchanged: 3, rejected: [] });
    expect(await db.knex('community.sensor').whereIn('id', ['sc-981013', 'sc-981014']).select('id')).toEqual([]);

    await gatewayQuery(MODERATE, { ids: ['sc-981011', 'sc-981012', 'sc-981015'] }, moderator);
    // The dump's 5-minute samples, averaged by hand: the hour 10:00 UTC of 2025-01-03.
    const hour = '2025-01-03T10:00:00.000Z';
    const node = async (id: string) => (await readBack(id, '2025-01-03')).readings.edges.map((e: { node: unknown }) => e.node);
    expect(await node('sc-981011')).toEqual([{ time: hour, pm10: expect.closeTo((18.4 + 19.6 + 20.1) / 3, 3), pm25: expect.closeTo((11.2 + 12.8) / 2, 3), temperature: null, humidity: null }]);
    expect(await node('sc-981012')).toEqual([{ time: hour, pm10: null, pm25: null, temperature: expect.closeTo((3.5 + 3.7) / 2, 3), humidity: null }]);
    expect(await node('sc-981015')).toEqual([{ time: hour, pm10: null, pm25: null, temperature: 4.1, humidity: null }]);
    expect((await readBack('sc-981012', '2025-01-03')).provenance).toMatchObject({ source: 'TIGA synthetic fixture (not real Sensor.Community data)', synthetic: true });
  });

  it("a contributor pushing the network's archive only reaches sensors of their own; naming the network's id is refused whole, with the line and the reason", async () => {
    const before = await db.knex('community.reading').whereIn('sensor_id', OURS).orderBy(['sensor_id', 'measured_at']).select('*');
    const citizen = await bearer(['community:contribute'], 'citizen-sc-files');
    try {
      // The archive names its node by number: from a contributor, that number names a sensor of their own.
      const own = await push(SDS011, citizen);
      expect(own.status).toBe(200);
      expect(own.report).toMatchObject({ committed: true, inserted: 2, rejected: [] });
      const mine = await db.knex('community.sensor').where('owner_subject', 'citizen-sc-files').select('id', 'local_id', 'status');
      expect(mine).toEqual([{ id: expect.stringMatching(/^cs-[a-z2-7]{12}$/), local_id: '981001', status: 'PENDING' }]);

      // Written as the hub serves it, the network's id is refused, whatever the network holds.
      const named = path.join(os.tmpdir(), `tiga-named-${process.pid}.csv`);
      fs.writeFileSync(named, fs.readFileSync(SDS011, 'utf8').replace(/^981001;/gm, 'sc-981001;'));
      try {
        const refused = await push(named, citizen);
        expect(refused.status).toBe(422);
        expect(refused.report).toMatchObject({ committed: false, inserted: 0, rejected: [{ line: 2, reason: expect.stringMatching(/sensor "sc-981001" is not one of yours/) }] });
      } finally {
        fs.rmSync(named, { force: true });
      }
      expect(await db.knex('community.reading').whereIn('sensor_id', OURS).orderBy(['sensor_id', 'measured_at']).select('*')).toEqual(before);
    } finally {
      await db.knex('community.sensor').where('owner_subject', 'citizen-sc-files').delete();
    }
  });
});
