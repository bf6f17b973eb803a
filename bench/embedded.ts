/**
 * `npm run bench:embedded`: the embedded hub as `npm start` runs it (one process, PGlite in a fresh folder, the
 * shipped defaults), under the peer benchmark's mix (bench/peers/mix.ts: fresh variables on every request, 1,000
 * virtual clients through a trusted-proxy X-Forwarded-For). Prints req/s, p50/p99, the hub's CPU ms per request
 * and the gateway's cache hit rates, per round.
 *
 *   BENCH_EMBEDDED_ROOT   another checkout whose `hub/index.ts` to start (its own node_modules), to compare a
 *                         commit with this one under the very same mix and measurement. @default this checkout
 *   BENCH_EMBEDDED_ENV    KEY=VALUE,… on top of the defaults, for a diagnosis (e.g. TIGA_IN_PROCESS=false)
 * @default BENCH_PEERS_SECONDS 20, BENCH_PEERS_ROUNDS 3, BENCH_PEERS_CONNECTIONS 10, BENCH_PEERS_WARMUP_SECONDS 5, BENCH_PEERS_SEED 13
 * Loopback only; the folder is removed at the end.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { envPrefix, PROJECT_ROOT } from '../lib/config.ts';
import { PRODUCER_NAMES } from '../subgraphs/registry.ts';
import { createMix, readMixSpace } from './peers/mix.ts';
import { load } from './peers/load.ts';
import { cacheDelta, cpuMs, hitRates, readCaches } from './peers/measure.ts';
import { numberFrom } from './peers/numberFrom.ts';

const SECONDS = numberFrom('BENCH_PEERS_SECONDS', 20);
const ROUNDS = numberFrom('BENCH_PEERS_ROUNDS', 3);
const CONNECTIONS = numberFrom('BENCH_PEERS_CONNECTIONS', 10);
const WARMUP = numberFrom('BENCH_PEERS_WARMUP_SECONDS', 5, 0);
const SEED = numberFrom('BENCH_PEERS_SEED', 13, 0);
const CLIENTS = 1000;
const root = path.resolve(process.env.BENCH_EMBEDDED_ROOT || PROJECT_ROOT);
const overrides = Object.fromEntries(
  (process.env.BENCH_EMBEDDED_ENV ?? '')
    .split(',')
    .map((pair) => pair.trim())
    .filter(Boolean)
    .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
);

const clientAddress = (n: number) => `127.${1 + ((n >> 16) & 0x7f)}.${(n >> 8) & 0xff}.${n & 0xff}`;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tiga-bench-embedded-'));
const hub = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'hub', 'index.ts')], {
  cwd: root,
  env: {
    ...process.env,
    DATABASE_URL: '',
    TIGA_DATA_DIR: dataDir,
    TIGA_SHARED_DATA: path.resolve(PROJECT_ROOT, process.env.TIGA_SHARED_DATA || '../shared/data'),
    // Any free ports: the gateway says where it listens.
    GATEWAY_PORT: '0',
    ...Object.fromEntries(PRODUCER_NAMES.map((name) => [`${envPrefix(name)}_PORT`, '0'])),
    TIGA_TRUSTED_PROXIES: '127.0.0.1',
    APOLLO_TELEMETRY_DISABLED: 'true',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    ...overrides,
  },
  stdio: ['ignore', 'pipe', 'ignore'],
});
const stop = () => hub.exitCode === null && hub.signalCode === null && hub.kill('SIGKILL');
process.on('exit', () => {
  stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

const began = Date.now();
let output = '';
const url = await new Promise<string>((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error('the hub was not ready within 10 minutes')), 600_000);
  hub.stdout!.on('data', (chunk: Buffer) => {
    output += chunk;
    const match = /ready in \d+ ms .* — (\S+)/.exec(output) ?? /gateway on (http:\/\/\S+)/.exec(output);
    if (match) (clearTimeout(timer), resolve(match[1]!.replace(/\/graphql$/, '') + '/graphql'));
  });
  hub.once('exit', (code) => reject(new Error(`the hub exited (${code}) before it was ready:\n${output.slice(-2000)}`)));
});
// Let the hub finish its start (seeding, first reads) before the clock starts.
await new Promise((resolve) => setTimeout(resolve, 2000));
const metricsUrl = url.replace(/\/graphql$/, '/metrics');
console.log(`bench:embedded: ${root === PROJECT_ROOT ? 'this checkout' : root}, embedded folder ${dataDir}, ready in ${((Date.now() - began) / 1000).toFixed(0)} s; ${os.cpus().length} cores, Node.js ${process.version}${Object.keys(overrides).length ? `; NOT the defaults: ${Object.entries(overrides).map(([k, v]) => `${k}=${v}`).join(', ')}` : ''}`);

let setup = 0;
const space = await readMixSpace(async (body) => {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': `127.200.0.${setup++ % 250}` }, body: JSON.stringify(body) });
  return (await response.json()) as never;
});
const headers = (n: number) => ({ 'x-forwarded-for': clientAddress(n % CLIENTS) });
if (WARMUP) await load({ url, seconds: WARMUP, connections: CONNECTIONS, next: createMix(space, SEED + 999), headers });
const rows: { rps: number; p50: number; p99: number; cpu: number }[] = [];
let failed = 0;
for (let round = 0; round < ROUNDS; round++) {
  const cachesBefore = await readCaches([metricsUrl]);
  const cpuBefore = cpuMs([hub.pid!]);
  const result = await load({ url, seconds: SECONDS, connections: CONNECTIONS, next: createMix(space, SEED + round), headers });
  const cpu = (cpuMs([hub.pid!]) - cpuBefore) / Math.max(1, result.ok);
  const caches = cacheDelta(cachesBefore, await readCaches([metricsUrl]));
  failed += result.failed;
  rows.push({ rps: result.ok / result.seconds, p50: result.p50, p99: result.p99, cpu });
  console.log(
    `round ${round + 1}  ${(result.ok / result.seconds).toFixed(0).padStart(5)} req/s  p50 ${String(result.p50).padStart(4)} ms  p99 ${String(result.p99).padStart(5)} ms  hub ${cpu.toFixed(2)} CPU ms/req  failed ${result.failed}  caches: ${hitRates(caches)}`,
  );
  for (const [what, count] of result.failures) console.log(`  ${count} × ${what}`);
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
console.log(
  `\nmedian of ${ROUNDS} × ${SECONDS} s, ${CONNECTIONS} connections: ${median(rows.map((r) => r.rps)).toFixed(0)} req/s, p50 ${median(rows.map((r) => r.p50))} ms, p99 ${median(rows.map((r) => r.p99))} ms, hub ${median(rows.map((r) => r.cpu)).toFixed(2)} CPU ms/req`,
);
process.exit(failed ? 1 : 0);
