/**
 * `npm run bench:ogc`: how long a GIS client waits for one large page of the OGC API. Starts the hub as its own
 * process (`hub/index.ts`, its default limits, every port free) on DATABASE_URL or a fresh embedded folder
 * (seeded as the test hub is), unless BENCH_URL names a running gateway (its base URL or its /graphql URL).
 * Asks BENCH_OGC_PATH (default `/ogc/collections/air-quality-index/items?limit=1000`) once cold, then
 * BENCH_REQUESTS times (default 30) one after the other, as a client paging through does; prints the cold time,
 * then p50, p90, p99 and max of the others, with the answer's size. Exits 1 on any non-200 answer.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startHubProcess } from './hubProcess.ts';

const PATH = process.env.BENCH_OGC_PATH ?? '/ogc/collections/air-quality-index/items?limit=1000';
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 30);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tiga-bench-ogc-'));
// Every port free (0): the benchmark may run beside a hub already on the default ports.
const ports = Object.fromEntries(['GATEWAY', 'ATMO', 'ORSAL', 'ADEUS', 'COMMUNITY', 'PLATFORM', 'APRONA'].map((name) => [`${name}_PORT`, '0']));
const env = { ...ports, ...process.env, TIGA_DATA_DIR: process.env.TIGA_DATA_DIR ?? path.join(dir, 'data'), HOST: '127.0.0.1' };

const started = process.env.BENCH_URL ? undefined : await startHubProcess(env);
const base = (process.env.BENCH_URL ?? started!.url).replace(/\/graphql\/?$/, '').replace(/\/+$/, '');

/** One request, read to its end: milliseconds and bytes. */
async function timed(): Promise<{ ms: number; bytes: number; matched?: number }> {
  const began = performance.now();
  const response = await fetch(`${base}${PATH}`, { headers: { accept: 'application/geo+json' } });
  const body = await response.text();
  const ms = performance.now() - began;
  if (response.status !== 200) throw new Error(`${PATH}: HTTP ${response.status}: ${body.slice(0, 300)}`);
  return { ms, bytes: Buffer.byteLength(body), matched: JSON.parse(body).numberMatched };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

let failed = false;
try {
  const cold = await timed();
  const times: number[] = [];
  for (let i = 0; i < REQUESTS; i++) times.push((await timed()).ms);
  times.sort((a, b) => a - b);
  const ms = (n: number) => `${n.toFixed(0).padStart(6)} ms`;
  console.log(`\nGET ${PATH} on ${base} (${os.cpus().length} cores), ${(cold.bytes / 1e6).toFixed(2)} MB, numberMatched ${cold.matched}`);
  console.log(`cold (first request)  ${ms(cold.ms)}`);
  console.log(`${REQUESTS} requests: p50 ${ms(percentile(times, 50))}  p90 ${ms(percentile(times, 90))}  p99 ${ms(percentile(times, 99))}  max ${ms(times.at(-1)!)}`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  failed = true;
} finally {
  started?.hub.kill('SIGTERM');
  fs.rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
