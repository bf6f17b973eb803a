import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { PROJECT_ROOT } from '../lib/config.ts';
import { GATEWAY_MIX, OPEN_HEALTH, RESTRICTED_HEALTH, SUBGRAPH_MIXES } from './queries.ts';
import { ensureEmbeddedKeys } from '../lib/auth/keys.ts';
import { signToken } from '../lib/auth/sign.ts';
import { envPrefix } from '../lib/config.ts';
import { PRODUCERS } from '../subgraphs/registry.ts';

/**
 * `npm run bench`: starts the hub in a child process (embedded database in a temporary folder, or
 * DATABASE_URL), then loads it from this process with autocannon: the gateway with a mix of the contract
 * queries, then each subgraph directly with the part of the mix it serves. Prints req/s and latencies.
 * BENCH_URL=http://host:4000/graphql benchmarks an already running gateway instead (subgraphs and token
 * scenarios skipped).
 * @default 10 s per scenario (BENCH_SECONDS), 16 connections (BENCH_CONNECTIONS)
 */
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 16);
const basePort = Number(process.env.BENCH_PORT ?? 4100);

// TIGA_DATA_DIR: an embedded folder to bench (refused while another process holds it); default a fresh one.
const dataDir = process.env.TIGA_DATA_DIR || fs.mkdtempSync(path.join(os.tmpdir(), 'tiga-bench-'));
/** Each subgraph on basePort + its offset in the registry (gateway on basePort). */
const ports = Object.fromEntries(PRODUCERS.map((producer, i) => [producer.name, basePort + 1 + i]));

function startHub(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'hub', 'index.ts')], {
    env: {
      ...process.env,
      TIGA_DATA_DIR: dataDir,
      GATEWAY_PORT: String(basePort),
      // This benchmark measures the hub's capacity from one client: its load shedding would measure the limit.
      // `npm run bench:abuse` measures the hub with its default limits.
      TIGA_RATE_LIMIT_PER_SECOND: '1000000',
      TIGA_RATE_LIMIT_BURST: '1000000',
      TIGA_MAX_CONCURRENT_PER_CLIENT: '1000',
      TIGA_EXPENSIVE_SLOTS: '1000',
      TIGA_EXPENSIVE_PER_CLIENT: '1000',
      TIGA_COST_PER_MINUTE: '1000000000000',
      ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [`${envPrefix(name)}_PORT`, String(port)])),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      process.stdout.write(`  hub | ${chunk}`);
      if (chunk.toString().includes('ready in')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`hub exited with ${code} before it was ready`)));
  });
}

/** Answers that carried GraphQL errors, by first error: a 200 with `errors` is a failure too. */
const graphqlErrors = new Map<string, number>();
let failed = 0;

async function run(title: string, url: string, bodies: string[], headers: Record<string, string> = {}) {
  let withErrors = 0;
  const onResponse = (_status: number, body: string) => {
    if (!body.includes('"errors"')) return;
    withErrors++;
    const first = (JSON.parse(body) as { errors?: { message?: string; extensions?: { code?: string } }[] }).errors?.[0];
    const key = `${title}: ${first?.extensions?.code ?? '?'} ${first?.message ?? ''}`.slice(0, 200);
    graphqlErrors.set(key, (graphqlErrors.get(key) ?? 0) + 1);
  };
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    requests: bodies.map((body) => ({ method: 'POST', path: new URL(url).pathname, headers: { 'content-type': 'application/json', ...headers }, body, onResponse })),
  });
  const errors = result.errors + result.non2xx + withErrors;
  failed += errors;
  console.log(
    `${title.padEnd(34)} ${result.requests.average.toFixed(0).padStart(7)} req/s   p50 ${String(result.latency.p50).padStart(4)} ms   p99 ${String(result.latency.p99).padStart(5)} ms   errors ${errors}`,
  );
}

const external = process.env.BENCH_URL;
const hub = external ? undefined : await startHub();
try {
  const gatewayUrl = external ?? `http://127.0.0.1:${basePort}/graphql`;
  console.log(`\n${connections} connections, ${seconds} s per scenario, ${os.cpus().length} cores\n`);
  await run('gateway — contract mix', gatewayUrl, GATEWAY_MIX);
  if (!external) {
    // Authorization overhead: the same open query anonymous and with a token, then a restricted (audited) read.
    const keys = await ensureEmbeddedKeys(dataDir);
    const token = await signToken(keys, { subject: 'bench', scopes: ['orsal:restricted'], ttlSeconds: 3600, issuer: 'tiga-hub', audience: 'tiga-hub' });
    const researcher = { authorization: `Bearer ${token}` };
    await run('gateway — open query, anonymous', gatewayUrl, [OPEN_HEALTH]);
    await run('gateway — open query, researcher token', gatewayUrl, [OPEN_HEALTH], researcher);
    await run('gateway — restricted read, audited', gatewayUrl, [RESTRICTED_HEALTH], researcher);
    for (const [name, bodies] of Object.entries(SUBGRAPH_MIXES)) {
      await run(`subgraph ${name} — direct`, `http://127.0.0.1:${ports[name]}/graphql`, bodies);
    }
  }
} finally {
  hub?.kill('SIGTERM');
}
// A benchmark whose answers were errors measured the wrong thing: say which, and fail.
if (failed) {
  for (const [error, count] of graphqlErrors) console.error(`  ${count} × ${error}`);
  console.error(`\n${failed} answers were errors (transport, non-2xx or GraphQL errors): the figures above are not valid`);
  process.exitCode = 1;
}
