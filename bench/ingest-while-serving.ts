/**
 * `npm run bench:serving`: a running hub keeps answering while a large file goes in. Starts the hub as its
 * own process (`hub/index.ts`, as `npm start` does) on DATABASE_URL or on a fresh embedded folder, measures a
 * cheap query's latency for BENCH_BASELINE_SECONDS (default 15) at rest, then pushes a generated Hub'Eau
 * analyses CSV of BENCH_SERVING_MB (default 1024) to `POST /ingest/aprona` while the same query keeps being
 * sent, one at a time; prints p50/p95/p99/max both ways, the ingest's rows/s and the hub's peak RSS (VmHWM).
 * Values are synthetic (labelled so) and deleted afterwards. Loopback only.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { startHubProcess } from './hubProcess.ts';
import { ensureEmbeddedKeys } from '../lib/auth/keys.ts';
import { signToken } from '../lib/auth/sign.ts';
import { loadConfig, PROJECT_ROOT } from '../lib/config.ts';
import { pushFile } from '../scripts/ingest.ts';
import { openPostgres } from '../lib/db.ts';

const MB = Number(process.env.BENCH_SERVING_MB ?? 1024);
const BASELINE_SECONDS = Number(process.env.BENCH_BASELINE_SECONDS ?? 15);
const CHEAP = '{ territory(code: "67482") { name } }';
const FIXTURE_POINTS = ['BSSTIGAS01', 'BSSTIGAS02', 'BSSTIGAS03'];
const SAMPLES = path.join(PROJECT_ROOT, 'subgraphs', 'aprona', 'samples');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tiga-bench-serving-'));
const dataDir = path.join(dir, 'data');
// The cheap query is sent back to back from one address: the hub's per-client limits would measure themselves.
const env = { ...process.env, TIGA_DATA_DIR: process.env.DATABASE_URL ? dataDir : (process.env.TIGA_DATA_DIR ?? dataDir), HOST: '127.0.0.1', TIGA_RATE_LIMIT_PER_SECOND: '1000000', TIGA_RATE_LIMIT_BURST: '1000000' };

/**
 * Nitrate analyses for one synthetic point every 10 minutes from 1970 on, until the file reaches MB (1 GB is
 * about 784,000 rows: 15 years, never in the future, which the reader would rightly refuse).
 */
async function generate(file: string): Promise<number> {
  const [header, line] = fs.readFileSync(path.join(SAMPLES, 'hubeau-analyses.csv'), 'utf8').split('\n') as [string, string];
  const out = fs.createWriteStream(file);
  out.write(`${header}\n`);
  let bytes = 0;
  let rows = 0;
  for (let hour = 0; bytes < MB * 1024 * 1024; ) {
    let chunk = '';
    for (let i = 0; i < 1000; i++, hour++, rows++) {
      chunk += `${line.replace('2024-03-12T09:30:00Z', new Date(Date.UTC(1970, 0, 1) + hour * 600_000).toISOString().replace('.000Z', 'Z')).replace(';38.2;', `;${(hour % 500) / 10};`)}\n`;
    }
    bytes += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return rows;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const describe = (label: string, latencies: number[]) => {
  const s = [...latencies].sort((a, b) => a - b);
  return `${label}: ${s.length} queries, p50 ${quantile(s, 0.5).toFixed(1)} ms, p95 ${quantile(s, 0.95).toFixed(1)} ms, p99 ${quantile(s, 0.99).toFixed(1)} ms, max ${s.at(-1)!.toFixed(1)} ms`;
};

/** Sends CHEAP one at a time until `stop()`, recording each latency; fails on any error. */
function queryLoop(url: string) {
  const latencies: number[] = [];
  let running = true;
  const done = (async () => {
    while (running) {
      const began = performance.now();
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: CHEAP }) });
      const body = (await response.json()) as { data?: { territory?: { name: string } }; errors?: unknown };
      if (response.status !== 200 || body.errors || body.data?.territory?.name !== 'Strasbourg') throw new Error(`the cheap query failed: ${response.status} ${JSON.stringify(body).slice(0, 300)}`);
      latencies.push(performance.now() - began);
    }
  })();
  return { latencies, stop: async () => ((running = false), await done) };
}

const file = path.join(dir, 'hubeau-analyses-bench.csv');
console.error(`generating ${MB} MB…`);
const rows = await generate(file);
const { hub, url } = await startHubProcess(env);
try {
  const config = loadConfig(env);
  const keys = await ensureEmbeddedKeys(config.dataDir);
  const token = await signToken(keys, { subject: 'bench-serving', scopes: ['producer:aprona'], ttlSeconds: 3600, issuer: config.auth.issuer, audience: config.auth.audience });
  await pushFile(url, 'aprona', path.join(SAMPLES, 'hubeau-stations.json'), token);

  const rest = queryLoop(url);
  await new Promise((resolve) => setTimeout(resolve, BASELINE_SECONDS * 1000));
  await rest.stop();

  const during = queryLoop(url);
  const began = performance.now();
  const report = await pushFile(url, 'aprona', file, token);
  const seconds = (performance.now() - began) / 1000;
  await during.stop();
  const hwm = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${hub.pid}/status`, 'utf8'))?.[1];

  console.log(`database ${process.env.DATABASE_URL ? 'postgres (DATABASE_URL)' : 'embedded'}; file ${MB} MB, ${rows} rows`);
  console.log(`ingest: committed ${report.committed}, read ${report.read}, inserted ${report.inserted}, rejected ${report.rejected.length}; ${(report.read / seconds).toFixed(0)} rows/s, ${(MB / seconds).toFixed(1)} MB/s, ${seconds.toFixed(1)} s; hub peak RSS ${hwm ? (Number(hwm) / 1024).toFixed(0) : '?'} MB`);
  console.log(describe('cheap query at rest', rest.latencies));
  console.log(describe('cheap query during the ingest', during.latencies));
  if (!report.committed) process.exitCode = 1;
} finally {
  hub.kill('SIGTERM');
  if (hub.exitCode === null) await once(hub, 'exit');
  // An embedded folder goes with the temp folder; on PostgreSQL the synthetic fixture points and analyses go.
  if (process.env.DATABASE_URL) {
    const db = openPostgres(process.env.DATABASE_URL, 1);
    await db.knex('aprona.analysis').whereIn('point_id', FIXTURE_POINTS).delete();
    await db.knex('aprona.point').whereIn('id', FIXTURE_POINTS).delete();
    await db.close();
  }
  fs.rmSync(dir, { recursive: true, force: true });
}
