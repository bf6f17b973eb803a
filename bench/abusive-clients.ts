/**
 * `npm run bench:abuse`: the hub under a crowd. Starts the hub as its own process (`hub/index.ts`, its default
 * limits) on DATABASE_URL or a fresh embedded folder; BENCH_ABUSERS (default 50) anonymous clients, each from
 * its own loopback address (127.0.1.1, 127.0.1.2, …, as distinct machines would be), send the most expensive
 * queries the hub accepts, BENCH_ABUSER_INFLIGHT (default 8) at a time each, for BENCH_ABUSE_SECONDS (default
 * 60), retrying BENCH_ABUSER_BACKOFF_MS (default 200) after a 429 whatever its Retry-After says; meanwhile one well-behaved client on 127.0.2.1 sends a cheap query every 100 ms. Prints the
 * well-behaved client's p50/p99, what the abusers got (answers, 429s, errors) and the hub's RSS.
 * Loopback only; every request bounded by the run's duration.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { startHubProcess } from './hubProcess.ts';

const ABUSERS = Number(process.env.BENCH_ABUSERS ?? 50);
const INFLIGHT = Number(process.env.BENCH_ABUSER_INFLIGHT ?? 8);
const SECONDS = Number(process.env.BENCH_ABUSE_SECONDS ?? 60);
/** How long an abuser's lane waits after a 429 before it hammers again (it ignores Retry-After). */
const BACKOFF_MS = Number(process.env.BENCH_ABUSER_BACKOFF_MS ?? 200);
const CHEAP = '{ territory(code: "67482") { name } }';
/** What an abuser sends: a year of daily indices for every commune, the area join, and health for all. */
const EXPENSIVE = [
  '{ territories(kind: COMMUNE) { code airQuality(from: "2024-01-01", to: "2024-12-31") { date index } } }',
  '{ area(select: { bbox: [7.4, 48.4, 8.0, 48.9] }) { territories { code } airStations { id } sensors { id } } }',
  '{ territories(kind: IRIS) { code name health { indicator period value } } }',
];

/** The well-behaved client (plain JavaScript, run as a worker): a cheap query every 100 ms until the deadline. */
const POLITE_CLIENT = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const agent = new http.Agent({ keepAlive: true, localAddress: workerData.from });
const body = JSON.stringify({ query: workerData.query });
const post = () => new Promise((resolve) => {
  const request = http.request(workerData.url, { method: 'POST', agent, timeout: 30000, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (response) => {
    let text = '';
    response.setEncoding('utf8');
    response.on('data', (chunk) => (text += chunk));
    response.on('end', () => resolve({ status: response.statusCode, body: text }));
    response.on('error', () => resolve({ status: 0, body: '' }));
  });
  request.on('timeout', () => request.destroy(new Error('timeout')));
  request.on('error', () => resolve({ status: 0, body: '' }));
  request.end(body);
});
(async () => {
  const latencies = [];
  let errors = 0, first = '';
  while (Date.now() < workerData.deadline) {
    const began = performance.now();
    const answer = await post();
    latencies.push(performance.now() - began);
    if (answer.status !== 200 || !answer.body.includes('"Strasbourg"')) { errors++; first ||= answer.status + ' ' + answer.body.slice(0, 300); }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  agent.destroy();
  parentPort.postMessage({ latencies, errors, first });
})();
`;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tiga-bench-abuse-'));
const env = { ...process.env, TIGA_DATA_DIR: process.env.TIGA_DATA_DIR ?? path.join(dir, 'data'), HOST: '127.0.0.1' };

interface Answer {
  status: number;
  body: string;
}

const agentFor = new Map<string, http.Agent>();
function post(url: string, from: string, query: string): Promise<Answer> {
  const body = JSON.stringify({ query });
  let agent = agentFor.get(from);
  if (!agent) agentFor.set(from, (agent = new http.Agent({ keepAlive: true, localAddress: from })));
  return new Promise((resolve) => {
    const request = http.request(url, { method: 'POST', agent, timeout: 30_000, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
      response.on('error', () => resolve({ status: 0, body: '' }));
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', () => resolve({ status: 0, body: '' }));
    request.end(body);
  });
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const rssOf = (pid: number, field: 'VmRSS' | 'VmHWM') => !Number.isFinite(pid) ? 0 : Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

// BENCH_URL: an already running gateway instead (e.g. `npm run gateway` in front of a hub's subgraphs, as
// docker-compose.yml deploys it); BENCH_PID: the process whose RSS to report.
const external = process.env.BENCH_URL;
const { hub, url } = external ? { hub: undefined, url: external } : await startHubProcess(env);
const measured = Number(process.env.BENCH_PID ?? hub?.pid);
try {
  const rssAtRest = rssOf(measured, 'VmRSS');
  const deadline = Date.now() + SECONDS * 1000;
  const abusers = { ok: 0, limited: 0, refused: 0, failed: 0 };
  const refusals = new Map<string, number>();
  const crowd = Array.from({ length: ABUSERS }, (_, i) => `127.0.1.${i + 1}`).flatMap((address) =>
    Array.from({ length: INFLIGHT }, async (_, lane) => {
      for (let n = lane; Date.now() < deadline; n++) {
        const answer = await post(url, address, EXPENSIVE[n % EXPENSIVE.length]!);
        if (answer.status === 429) {
          abusers.limited++;
          // A crowd that ignores Retry-After: it waits only a little, then hammers again.
          await new Promise((resolve) => setTimeout(resolve, BACKOFF_MS));
        } else if (answer.status === 200 && !answer.body.includes('"errors"')) abusers.ok++;
        else if (answer.status === 200 || answer.status === 400) {
          abusers.refused++;
          const code = /"code":"([A-Z_]+)"/.exec(answer.body)?.[1] ?? '?';
          refusals.set(code, (refusals.get(code) ?? 0) + 1);
        }
        else abusers.failed++;
      }
    }),
  );
  // The well-behaved client runs on its own thread: on the abusers' event loop its timings would measure
  // this benchmark's own queueing (2,000 refusals a second to read), not the hub's answer to another machine.
  const polite = new Worker(POLITE_CLIENT, { eval: true, workerData: { url, deadline, query: CHEAP, from: '127.0.2.1' } });
  const politeDone = new Promise<{ latencies: number[]; errors: number; first: string }>((resolve, reject) => {
    polite.once('message', resolve);
    polite.once('error', reject);
  });
  let peakRss = rssAtRest;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssOf(measured, 'VmRSS'))), 100);
  const [, politeResult] = await Promise.all([Promise.all(crowd), politeDone]);
  clearInterval(sampler);
  await polite.terminate();
  const latencies = politeResult.latencies;
  const wellBehaved = { errors: politeResult.errors, first: politeResult.first };
  const sorted = latencies.sort((a, b) => a - b);
  console.log(`${external ? `gateway ${external}` : `database ${process.env.DATABASE_URL ? 'postgres (DATABASE_URL)' : 'embedded'}`}; ${ABUSERS} abusive clients × ${INFLIGHT} in flight, ${BACKOFF_MS} ms after a 429, ${SECONDS} s, ${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(1)}`);
  console.log(`well-behaved client (127.0.2.1, cheap query every 100 ms): ${sorted.length} queries, p50 ${quantile(sorted, 0.5).toFixed(1)} ms, p99 ${quantile(sorted, 0.99).toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms, errors ${wellBehaved.errors}`);
  console.log(`abusers: ${abusers.ok} answered, ${abusers.limited} got 429, ${abusers.refused} answered with a GraphQL error (${[...refusals].map(([code, n]) => `${code} ${n}`).join(', ') || 'none'}), ${abusers.failed} failed or timed out`);
  console.log(`${external ? `process ${measured}` : 'hub'} RSS: ${rssAtRest.toFixed(0)} MB at rest, ${peakRss.toFixed(0)} MB peak sampled, ${rssOf(measured, 'VmHWM').toFixed(0)} MB high-water mark`);
  if (wellBehaved.errors) {
    console.log(`the well-behaved client's first error: ${wellBehaved.first}`);
    process.exitCode = 1;
  }
} finally {
  for (const agent of agentFor.values()) agent.destroy();
  if (hub) {
    hub.kill('SIGTERM');
    if (hub.exitCode === null) await once(hub, 'exit');
  }
  fs.rmSync(dir, { recursive: true, force: true });
}
