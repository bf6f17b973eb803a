import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../lib/db.ts';
import { pullOnce, readSources, type PullSource } from '../../lib/ingest/pull.ts';
import { aprona } from '../../subgraphs/aprona/index.ts';
import { pushFile } from '../../scripts/ingest.ts';
import { bearer } from '../support/auth.ts';
import { gatewayQuery, testHub } from '../support/hub.ts';

/**
 * A producer feeds a running hub without stopping it: by pushing its files to `POST /ingest/<producer>`
 * (streamed through the gateway, any size, gzip accepted), or by letting the hub pull what it publishes on
 * the web, on a schedule, with conditional requests. Every run is in the ingest history.
 */
const SAMPLES = path.resolve(import.meta.dirname, '../../subgraphs/aprona/samples');
const FIXTURE_POINTS = ['BSSTIGAS01', 'BSSTIGAS02', 'BSSTIGAS03'];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tiga-push-'));

async function cleanUp(db: Database) {
  await db.knex('aprona.analysis').whereIn('point_id', FIXTURE_POINTS).delete();
  await db.knex('aprona.point').whereIn('id', FIXTURE_POINTS).delete();
  await db.knex('aprona.parameter').where('code', '1301').delete();
}

describe('a producer pushes its files to a running hub', () => {
  let gatewayUrl: string;
  let db: Database;
  let producer: Record<string, string>;

  beforeAll(async () => {
    const hub = await testHub();
    gatewayUrl = hub.gatewayUrl;
    db = hub.subgraph('aprona').db;
    producer = await bearer(['producer:aprona'], 'aprona-push');
  });
  afterAll(async () => cleanUp(db));

  const push = (file: Buffer | string, query = '', headers: Record<string, string> = {}) =>
    fetch(new URL(`/ingest/aprona${query}`, gatewayUrl), { method: 'POST', body: new Uint8Array(typeof file === 'string' ? fs.readFileSync(file) : file), headers: { ...producer, ...headers } });

  it('streams a file through the gateway to APRONA and answers the report; the values are served at once', async () => {
    const response = await push(path.join(SAMPLES, 'hubeau-stations.json'), '?name=hubeau-stations.json');
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ producer: 'aprona', format: 'hubeau-stations-json', encoding: 'utf-8', committed: true, read: 3, rejected: [], skipped: [] });
    const gz = await push(gzipSync(fs.readFileSync(path.join(SAMPLES, 'hubeau-analyses.csv'))), '', { 'content-encoding': 'identity' });
    expect(await gz.json()).toMatchObject({ format: 'hubeau-analyses-csv', committed: true, read: 8 });
    const { data } = await gatewayQuery('{ groundwaterPoint(id: "BSSTIGAS01") { name analyses(parameter: "1340", from: "2024-01-01", to: "2024-12-31") { edges { node { value unit } } } } }');
    expect(data.groundwaterPoint).toEqual({ name: 'Piézomètre Krutenau (fixture)', analyses: { edges: [{ node: { value: 38.2, unit: 'mg(NO3)/L' } }] } });
  });

  it('takes a file larger than the 5 MB a mutation accepts, as it comes', async () => {
    const header = fs.readFileSync(path.join(SAMPLES, 'hubeau-analyses.csv'), 'utf8').split('\n')[0]!;
    const line = fs.readFileSync(path.join(SAMPLES, 'hubeau-analyses.csv'), 'utf8').split('\n')[1]!;
    const lines = [header];
    // One analysis per hour of 2023 for 1340, each line ~1.4 kB: about 12 MB.
    for (let h = 0; h < 8760; h++) lines.push(line.replace('2024-03-12T09:30:00Z', new Date(Date.UTC(2023, 0, 1) + h * 3_600_000).toISOString().replace('.000Z', 'Z')));
    const file = path.join(tmp, 'hubeau-analyses-big.csv');
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    expect(fs.statSync(file).size).toBeGreaterThan(5 * 1024 * 1024);
    const report = await pushFile(gatewayUrl, 'aprona', file, producer.authorization!.slice('Bearer '.length));
    expect(report).toMatchObject({ committed: true, read: 8760, inserted: 8760, rejected: [] });
    await db.knex('aprona.analysis').where('point_id', 'BSSTIGAS01').whereBetween('sampled_at', ['2023-01-01', '2024-01-01']).delete();
  });

  it('refuses a caller without the producer scope, and a producer the hub does not have, before reading anything', async () => {
    const other = await fetch(new URL('/ingest/aprona', gatewayUrl), { method: 'POST', body: 'x', headers: await bearer(['producer:atmo'], 'atmo-feed') });
    expect(other.status).toBe(403);
    expect((await other.json()).errors[0]).toMatchObject({ extensions: { code: 'FORBIDDEN' }, message: expect.stringContaining('"producer:aprona"') });
    const anonymous = await fetch(new URL('/ingest/aprona', gatewayUrl), { method: 'POST', body: 'x' });
    expect(anonymous.status).toBe(401);
    const unknown = await fetch(new URL('/ingest/nobody', gatewayUrl), { method: 'POST', body: 'x', headers: producer });
    expect(unknown.status).toBe(404);
  });

  it('refuses a file no format recognises, naming the formats it reads, and writes nothing', async () => {
    const response = await push(Buffer.from('a;b;c\n1;2;3\n'));
    expect(response.status).toBe(422);
    const report = await response.json();
    expect(report).toMatchObject({ committed: false, rejected: [{ line: 1, reason: expect.stringMatching(/matches none of the formats read here: hubeau-stations-json .*hubeau-analyses-csv/) }] });
  });

  it('refuses a Latin-1 file that does not say so, naming the line of its first bad byte; declared, it goes in with its accents', async () => {
    const utf8 = fs.readFileSync(path.join(SAMPLES, 'hubeau-stations.csv'), 'utf8');
    const latin1 = Buffer.from(utf8.replace('Piézomètre Krutenau', 'Piézomètre Krutenau (latin-1)'), 'latin1');
    const refused = await push(latin1);
    expect(refused.status).toBe(422);
    expect((await refused.json()).rejected[0]).toMatchObject({ line: 2, reason: expect.stringMatching(/not valid UTF-8.*--encoding windows-1252/) });
    const declared = await push(latin1, '?encoding=windows-1252');
    expect(await declared.json()).toMatchObject({ encoding: 'windows-1252', committed: true });
    const { data } = await gatewayQuery('{ groundwaterPoint(id: "BSSTIGAS01") { name } }');
    expect(data.groundwaterPoint.name).toBe('Piézomètre Krutenau (latin-1) (fixture)');
    expect(JSON.stringify(data)).not.toContain('\uFFFD');
  });

  it("keeps every run in the producer's ingest history, which only that producer (or an auditor) reads", async () => {
    const query = '{ ingestRuns(producer: "aprona", first: 20) { edges { node { producer channel source format status read inserted rejected } } } }';
    const own = await gatewayQuery(query, undefined, producer);
    expect(own.errors).toBeUndefined();
    const runs = own.data.ingestRuns.edges.map((e: { node: unknown }) => e.node);
    expect(runs).toContainEqual({ producer: 'aprona', channel: 'PUSH', source: 'hubeau-stations.json', format: 'hubeau-stations-json', status: 'COMMITTED', read: 3, inserted: expect.any(Number), rejected: 0 });
    expect(runs.some((r: { status: string }) => r.status === 'REFUSED')).toBe(true);
    const stranger = await gatewayQuery(query, undefined, await bearer(['producer:atmo'], 'atmo-feed'));
    expect(stranger.data.ingestRuns.edges).toEqual([]);
    const anonymous = await gatewayQuery(query);
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('the hub pulls what a producer publishes on the web, on a schedule', () => {
  let db: Database;
  let server: http.Server;
  let url: string;
  let body = fs.readFileSync(path.join(SAMPLES, 'hubeau-stations.json'));
  let etag = '"v1"';
  const requests: { ifNoneMatch?: string }[] = [];

  beforeAll(async () => {
    db = (await testHub()).subgraph('aprona').db;
    // A producer's web server: conditional requests answered as the HTTP standard says.
    server = http.createServer((req, res) => {
      requests.push({ ifNoneMatch: req.headers['if-none-match'] });
      if (req.url === '/broken') return void res.writeHead(500).end('oops');
      if (req.headers['if-none-match'] === etag) return void res.writeHead(304).end();
      res.writeHead(200, { etag, 'content-type': 'application/json' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.close();
    await cleanUp(db);
  });

  const source = (overrides: Partial<PullSource> = {}): PullSource => ({ producer: 'aprona', name: 'hubeau-bas-rhin', url: `${url}/stations`, everyMinutes: 60, ...overrides });

  it('reads a declared list of sources, refusing an invalid one with its problems', () => {
    const file = path.join(tmp, 'sources.yaml');
    fs.writeFileSync(file, `sources:\n  - producer: aprona\n    name: hubeau-bas-rhin\n    url: ${url}/stations\n    everyMinutes: 60\n`);
    expect(readSources(file)).toEqual([source()]);
    fs.writeFileSync(file, 'sources:\n  - producer: aprona\n    url: ftp://x\n');
    expect(() => readSources(file)).toThrow(/name|everyMinutes|url/);
  });

  it('ingests new content, asks again with its ETag and reads nothing while it is unchanged, then takes a change', async () => {
    expect(await pullOnce(db, aprona, source())).toMatchObject({ status: 'committed', report: { read: 3, rejected: [] } });
    expect(await pullOnce(db, aprona, source())).toEqual({ status: 'unchanged' });
    expect(requests.at(-1)).toEqual({ ifNoneMatch: '"v1"' });
    body = Buffer.from(body.toString('utf8').replace('Piézomètre Krutenau (fixture)', 'Piézomètre Krutenau, renommé (fixture)'));
    etag = '"v2"';
    expect(await pullOnce(db, aprona, source())).toMatchObject({ status: 'committed', report: { updated: 1, unchanged: 2 } });
    const { data } = await gatewayQuery('{ groundwaterPoint(id: "BSSTIGAS01") { name } }');
    expect(data.groundwaterPoint.name).toBe('Piézomètre Krutenau, renommé (fixture)');
  });

  it('records a failed pull, with the cause, and goes on', async () => {
    expect(await pullOnce(db, aprona, source({ name: 'broken', url: `${url}/broken` }))).toEqual({ status: 'failed', error: 'the source answered HTTP 500' });
    const { data } = await gatewayQuery('{ ingestRuns(producer: "aprona", first: 5) { edges { node { channel source url status error } } } }', undefined, await bearer(['producer:aprona'], 'aprona-feed'));
    expect(data.ingestRuns.edges.map((e: { node: unknown }) => e.node).slice(0, 2)).toEqual([
      { channel: 'PULL', source: 'broken', url: `${url}/broken`, status: 'FAILED', error: 'the source answered HTTP 500' },
      { channel: 'PULL', source: 'hubeau-bas-rhin', url: `${url}/stations`, status: 'COMMITTED', error: null },
    ]);
  });
});
