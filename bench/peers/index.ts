/**
 * `npm run bench:peers`: the hub's subgraphs behind its own gateway and behind its peers — stock
 * @apollo/gateway (its defaults, and with a keep-alive fetcher), Hive Gateway (its defaults, and with its Rust
 * query planner) — every one a process of its own in front of the SAME six subgraph processes, on PostgreSQL.
 *
 * 1. DATABASE_URL (required; e.g. postgres://postgres@127.0.0.1:5432/tiga_peers, a database of its own): made
 *    with PostGIS when missing, then `scripts/seed.ts` (`npm run seed`), which seeds it when empty.
 * 2. The subgraphs and our gateway exactly as docker-compose.yml declares them (command and environment:
 *    NODE_ENV=production, logs, metrics, rate limits, cost model — the product's defaults), localised to
 *    loopback ports; the shared JWKS made as the compose `keys` step makes it. Our gateway is told one thing
 *    more: TIGA_TRUSTED_PROXIES=127.0.0.1, the load generator standing for a reverse proxy in front of
 *    BENCH_PEERS_CLIENTS clients (X-Forwarded-For cycles through them; see `clientAddress`), so its
 *    per-client rate limits meet a crowd, as in production, not one client.
 * 3. The mix (./mix.ts) read from the hub (codes, history, outline); its cost under the hub's cost model printed.
 * 4. Answers compared first: BENCH_PEERS_CHECK requests of the mix, each sent to every gateway; every answer
 *    must equal ours (keys sorted) and ours must have no error, or the benchmark stops.
 * 5. Load: autocannon, BENCH_PEERS_CONNECTIONS connections, fresh variables per request; a warm-up of
 *    BENCH_PEERS_WARMUP_SECONDS per gateway, then BENCH_PEERS_ROUNDS rounds of BENCH_PEERS_SECONDS per
 *    gateway, the order reversed every other round. CPU from /proc/<pid>/stat (utime + stime) of the gateway's
 *    process (and any child) and of the six subgraph processes, over each gateway's own window.
 * 6. A Markdown table: req/s (median of rounds), p50/p99 (medians), CPU ms per answered request, failures; the
 *    caches' hit rates (`tiga_*cache*` counters of /metrics, where served); ours against the best peer.
 * Every process is preloaded with test/support/outbound-watch.mjs: one that tries to reach beyond loopback fails the run.
 *
 * @default BENCH_PEERS_SECONDS 20, BENCH_PEERS_ROUNDS 3, BENCH_PEERS_CONNECTIONS 10, BENCH_PEERS_WARMUP_SECONDS 5,
 *   BENCH_PEERS_CHECK 50, BENCH_PEERS_CLIENTS 1000, BENCH_PEERS_SEED 13,
 *   BENCH_PEERS_GATEWAYS tiga,apollo,apollo-keepalive,hive,hive-router (a comma list: `tiga` always runs; `tiga-b` see below),
 *   BENCH_PEERS_ONLY unset (a comma list of the mix's operations, e.g. `area`: only those are sent — a diagnosis, not the mix),
 *   BENCH_PEERS_TIGA_ENV none (KEY=VALUE,… for our gateway, a diagnosis: its row then says it is not the defaults),
 *   BENCH_PEERS_B_ROOT this checkout, BENCH_PEERS_B_ENV none: with `tiga-b` in BENCH_PEERS_GATEWAYS, our gateway runs a second
 *     time, from that checkout (with its own node_modules) and/or with those settings, in front of the same subgraphs —
 *     a same-run A/B of two builds or settings of ours (row "B", and a "B / ours" line; it is no peer),
 *   BENCH_PEERS_KEEP_LOGS unset (set: the processes' logs stay in the temporary folder printed at the start)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../../lib/config.ts';
import { SUPERGRAPH_PATH } from '../../lib/paths.ts';
import { ensureEmbeddedKeys } from '../../lib/auth/keys.ts';
import { createMix, operationsFromEnv, readMixSpace, type MixRequest } from './mix.ts';
import { describeMixCost } from './mixCost.ts';
import { canonical, firstDifference } from './compare.ts';
import { GATEWAY_IDS, peerSupergraph, startGateway, type Gateway, type GatewayId } from './gateways.ts';
import { composeServices, ensureDatabase, outboundAttempts, start, stopAll, tail, waitUntil, answers, type Running } from './stack.ts';
import { load } from './load.ts';
import { cacheDelta, cpuMs, cpuMsOfCommand, readCaches } from './measure.ts';
import { report, summarise, type Measurement } from './report.ts';
import { numberFrom } from './numberFrom.ts';

const SECONDS = numberFrom('BENCH_PEERS_SECONDS', 20);
const ROUNDS = numberFrom('BENCH_PEERS_ROUNDS', 3);
const CONNECTIONS = numberFrom('BENCH_PEERS_CONNECTIONS', 10);
const WARMUP = numberFrom('BENCH_PEERS_WARMUP_SECONDS', 5, 0);
const CHECKS = numberFrom('BENCH_PEERS_CHECK', 50);
const CLIENTS = numberFrom('BENCH_PEERS_CLIENTS', 1000);
const SEED = numberFrom('BENCH_PEERS_SEED', 13, 0);
/** BENCH_PEERS_ONLY: a part of the mix (a diagnosis), else all of it. */
const ONLY = operationsFromEnv();
// By default ours and every peer; `tiga-b` (ours again, an A/B) only when asked for.
const WANTED = new Set(['tiga', ...(process.env.BENCH_PEERS_GATEWAYS ?? GATEWAY_IDS.filter((id) => id !== 'tiga-b').join(',')).split(',').map((id) => id.trim()).filter(Boolean)]);
for (const id of WANTED) if (!(GATEWAY_IDS as readonly string[]).includes(id)) throw new Error(`BENCH_PEERS_GATEWAYS: unknown gateway "${id}" (known: ${GATEWAY_IDS.join(', ')})`);
const DATABASE_URL = process.env.DATABASE_URL;
if (!DATABASE_URL) {
  console.error('bench:peers runs every stack on PostgreSQL: set DATABASE_URL, e.g. postgres://postgres@127.0.0.1:5432/tiga_peers (made and seeded when missing)');
  process.exit(2);
}
/** Our gateway's defaults for expensive requests (TIGA_EXPENSIVE_COST, TIGA_HUB_COST_PER_MINUTE), to say how much of the mix they gate. */
const EXPENSIVE_COST = 100;
const HUB_COST_PER_MINUTE = 3_000_000;
/**
 * BENCH_PEERS_TIGA_ENV=KEY=VALUE,…: settings for our gateway on top of the compose file's, for a diagnosis
 * (e.g. TIGA_EXPENSIVE_SLOTS=4); its row of the table then names them, being no longer the shipped defaults.
 */
const settingsFrom = (name: string): Record<string, string> =>
  Object.fromEntries(
    (process.env[name] ?? '')
      .split(',')
      .map((pair) => pair.trim())
      .filter(Boolean)
      .map((pair) => {
        const at = pair.indexOf('=');
        if (at < 1) throw new Error(`${name}: "${pair}" is not KEY=VALUE`);
        return [pair.slice(0, at), pair.slice(at + 1)];
      }),
  );
const TIGA_OVERRIDES = settingsFrom('BENCH_PEERS_TIGA_ENV');
/** `tiga-b`: our gateway again, from BENCH_PEERS_B_ROOT (a checkout with its node_modules) and with BENCH_PEERS_B_ENV. */
const VARIANT = { root: path.resolve(process.env.BENCH_PEERS_B_ROOT || PROJECT_ROOT), env: settingsFrom('BENCH_PEERS_B_ENV') };

/**
 * The n-th virtual client's address, as a trusted proxy forwards it: 127.1.0.0, 127.1.0.1, …. Addresses in
 * the loopback range, never used to send anything: only the header carries them.
 */
const clientAddress = (n: number) => `127.${1 + ((n >> 16) & 0x7f)}.${(n >> 8) & 0xff}.${n & 0xff}`;
const forwardedFor = (n: number) => ({ 'x-forwarded-for': clientAddress(n % CLIENTS) });
/** Clients of the setup and of the comparison: another range, so they spend none of the load's budgets. */
const setupClient = (n: number) => ({ 'x-forwarded-for': `127.200.${(n >> 8) & 0xff}.${n & 0xff}` });

const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tiga-bench-peers-'));
const processes: Running[] = [];
let cleaning: Promise<void> | undefined;
const cleanup = () =>
  (cleaning ??= (async () => {
    await stopAll(processes);
    if (!process.env.BENCH_PEERS_KEEP_LOGS) fs.rmSync(workDir, { recursive: true, force: true });
  })());
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping every process of the benchmark`);
    void cleanup().finally(() => process.exit(130));
  });
}
// Whatever happens, no child outlives this process.
process.on('exit', () => processes.forEach((p) => p.child.exitCode === null && p.child.signalCode === null && p.child.kill('SIGKILL')));

// Bounded: setup (10 min at most on a loaded 2-core machine) plus every load window with room to spare.
const limitSeconds = 600 + WANTED.size * (WARMUP + ROUNDS * (SECONDS + 15));
const watchdog = setTimeout(() => {
  console.error(`bench:peers: still running after ${limitSeconds} s, stopping`);
  void cleanup().finally(() => process.exit(1));
}, limitSeconds * 1000);

async function post(url: string, body: { query: string; variables?: Record<string, unknown> }, headers: Record<string, string>): Promise<{ status: number; json: unknown }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
  const text = await response.text();
  try {
    return { status: response.status, json: JSON.parse(text) as unknown };
  } catch {
    return { status: response.status, json: text };
  }
}

async function main(): Promise<number> {
  const began = Date.now();
  const deadline = began + 600_000;
  const sharedData = path.resolve(PROJECT_ROOT, process.env.TIGA_SHARED_DATA || '../shared/data');
  const safeUrl = DATABASE_URL!.replace(/\/\/[^@/]*@/, '//…@');
  console.log(`bench:peers on ${safeUrl}: ${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(1)}; logs in ${workDir}${process.env.BENCH_PEERS_KEEP_LOGS ? '' : ' (removed at the end; BENCH_PEERS_KEEP_LOGS=1 keeps them)'}`);

  // 1. The database, seeded as `npm run seed` seeds it.
  console.log(`database: ${await ensureDatabase(DATABASE_URL!)}; seeding it if empty…`);
  const seed = start('seed', [process.execPath, '--import', 'tsx', path.join(PROJECT_ROOT, 'scripts', 'seed.ts')], {
    DATABASE_URL: DATABASE_URL!,
    TIGA_SHARED_DATA: sharedData,
    TIGA_DATA_DIR: path.join(workDir, 'seed'),
    APOLLO_TELEMETRY_DISABLED: 'true',
  }, path.join(workDir, 'seed.log'));
  processes.push(seed);
  if ((await seed.exited) !== 0) throw new Error(`npm run seed failed:\n${tail(seed.log)}`);
  console.log(`  ${tail(seed.log, 1)}`);

  // 2. The compose stack's subgraphs, then every gateway.
  await ensureEmbeddedKeys(workDir);
  const { subgraphs, gateway: ourSpec } = await composeServices({ databaseUrl: DATABASE_URL!, workDir, sharedData });
  const subgraphProcesses = subgraphs.map((spec) => {
    // ORSAL's secondary-suppression key, when the operator supplies one (unset: the subgraph draws its own).
    const env = process.env.TIGA_SECRECY_COST_KEY ? { ...spec.env, TIGA_SECRECY_COST_KEY: process.env.TIGA_SECRECY_COST_KEY } : spec.env;
    // BENCH_PEERS_PROFILE_DIR: each subgraph writes its CPU profile there too, in a folder of its own.
    const profile = process.env.BENCH_PEERS_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.BENCH_PEERS_PROFILE_DIR, spec.name)}`] : [];
    const running = start(spec.name, [spec.argv[0]!, ...profile, ...spec.argv.slice(1)], env, path.join(workDir, `${spec.name}.log`));
    processes.push(running);
    return { spec, running };
  });
  await Promise.all(subgraphProcesses.map(({ spec, running }) => waitUntil(running, answers(`http://127.0.0.1:${spec.port}/ready`), deadline)));
  console.log(`${subgraphs.length} subgraphs ready in ${((Date.now() - began) / 1000).toFixed(0)} s: ${subgraphs.map((s) => s.name).join(', ')}`);
  const subgraphUrls = Object.fromEntries(subgraphs.map((s) => [s.name, `http://127.0.0.1:${s.port}/graphql`]));
  const supergraphSdl = fs.readFileSync(SUPERGRAPH_PATH, 'utf8');
  const supergraphFile = peerSupergraph(supergraphSdl, subgraphUrls, path.join(workDir, 'supergraph.graphql'));
  const gateways: Gateway[] = [];
  const ids = GATEWAY_IDS.filter((id) => WANTED.has(id));
  const started = await Promise.allSettled(
    ids.map((id: GatewayId) =>
      startGateway(id, { ours: ourSpec, oursEnv: { TIGA_TRUSTED_PROXIES: '127.0.0.1', ...TIGA_OVERRIDES }, variant: VARIANT, supergraphFile, workDir, deadline }).then((g) => {
        processes.push(g.running);
        return g;
      }),
    ),
  );
  // A gateway that did not start is reported and left out; ours must start.
  started.forEach((result, i) => {
    if (result.status === 'fulfilled') gateways.push(result.value);
    else if (ids[i] === 'tiga') throw result.reason;
    else console.error(`${ids[i]} did not start, left out: ${(result.reason as Error).message}`);
  });
  const ours = gateways.find((g) => g.ours)!;
  const overrides = Object.entries(TIGA_OVERRIDES).map(([key, value]) => `${key}=${value}`);
  if (overrides.length) ours.label = `TIGA gateway (ours, NOT the shipped defaults: ${overrides.join(', ')})`;
  console.log(`gateways ready: ${gateways.map((g) => `${g.id} (pid ${g.running.pid})`).join(', ')}`);
  console.log(
    `our gateway: docker-compose.yml's environment + TIGA_TRUSTED_PROXIES=127.0.0.1; every request says X-Forwarded-For: one of ${CLIENTS} virtual clients ` +
      `(${clientAddress(0)}–${clientAddress(CLIENTS - 1)}), in turn, so each stays far below the default 10 req/s (bursts 40 per 10 s, 4 in flight); the peers get the same header and ignore it`,
  );

  // 3. The mix.
  let setupRequests = 0;
  const space = await readMixSpace(async (body) => (await post(ours.url, body, setupClient(setupRequests++))).json as never);
  console.log(
    `mix: ${space.codes.COMMUNE.length} communes, ${space.codes.IRIS.length} IRIS, ${space.codes.EPCI.length} EPCI; indice ATMO ${space.history.first} … ${space.history.last}; ` +
      `points in the Eurométropole's outline (bbox ${space.bbox.map((v) => v.toFixed(3)).join(', ')}); seed ${SEED}` +
      (ONLY ? `; ONLY ${ONLY.join(', ')} (BENCH_PEERS_ONLY: a diagnosis, not the mix)` : ''),
  );
  const cost = describeMixCost(supergraphSdl, createMix(space, SEED, ONLY), 1000, EXPENSIVE_COST);
  console.log(`cost of the mix (the hub's cost model; from ${EXPENSIVE_COST} on a request is "expensive" for our gateway): ${cost.text}`);
  console.log(
    `  our gateway's defaults for expensive requests: ${Math.max(1, os.availableParallelism() - 1)} at once here (TIGA_EXPENSIVE_SLOTS: cores − 1), ` +
      `${HUB_COST_PER_MINUTE.toLocaleString('en')} cost units a minute for all clients (TIGA_HUB_COST_PER_MINUTE): ≈ ${(HUB_COST_PER_MINUTE / 60 / cost.expensivePerRequest).toFixed(0)} req/s of this mix sustained over a minute`,
  );

  // 4. Answers compared first.
  const check = createMix(space, SEED + 1_000_000, ONLY);
  const mismatches: string[] = [];
  for (let i = 0; i < CHECKS; i++) {
    const request = check();
    const body = { query: request.query, variables: request.variables };
    const expected = await post(ours.url, body, setupClient(setupRequests++));
    const oursFailed = expected.status !== 200 || (expected.json as { errors?: unknown }).errors;
    if (oursFailed) mismatches.push(`#${i} ${request.name} ${JSON.stringify(request.variables)}: our gateway answered ${expected.status} ${JSON.stringify(expected.json).slice(0, 300)}`);
    for (const peer of gateways.filter((g) => !g.ours)) {
      const actual = await post(peer.url, body, setupClient(setupRequests++));
      if (canonical(actual.json) !== canonical(expected.json) || actual.status !== expected.status) {
        mismatches.push(`#${i} ${request.name} ${JSON.stringify(request.variables)}: ${peer.id} differs from ours at ${firstDifference(expected.json, actual.json) ?? `HTTP ${expected.status} ≠ ${actual.status}`}`);
      }
    }
  }
  if (mismatches.length) {
    console.error(`\n${mismatches.length} answers differ or failed (of ${CHECKS} requests × ${gateways.length} gateways):`);
    for (const line of mismatches.slice(0, 20)) console.error(`  ${line}`);
    console.error('the gateways do not give the same answers: no figure is comparable, stopping');
    return 1;
  }
  console.log(`answers: ${CHECKS} mix requests, every gateway's answer equals ours (keys sorted)`);

  // 5. Warm-up, then the rounds.
  const subgraphPids = subgraphProcesses.map(({ running }) => running.pid);
  const subgraphMetrics = subgraphs.map((s) => `http://127.0.0.1:${s.port}/metrics`);
  if (WARMUP) {
    for (const gateway of gateways) await load({ url: gateway.url, seconds: WARMUP, connections: CONNECTIONS, next: createMix(space, SEED + 999, ONLY), headers: forwardedFor });
    console.log(`warm-up: ${WARMUP} s per gateway`);
  }
  console.log(`\n${ROUNDS} round(s) × ${SECONDS} s per gateway, ${CONNECTIONS} connections, order reversed every other round\n`);
  const measured = new Map<string, Measurement[]>(gateways.map((g) => [g.id, []]));
  const failures = new Map<string, Map<string, number>>();
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? gateways : [...gateways].reverse();
    for (const gateway of order) {
      const gatewayCachesBefore = gateway.metricsUrl ? await readCaches([gateway.metricsUrl]) : undefined;
      const subgraphCachesBefore = await readCaches(subgraphMetrics);
      const eachBefore = subgraphPids.map((pid) => cpuMs([pid]));
      const cpuBefore = { gateway: cpuMs([gateway.running.pid]), subgraphs: cpuMs(subgraphPids), database: cpuMsOfCommand('postgres'), load: process.cpuUsage() };
      // Every gateway gets the same sequence of requests in a round.
      const result = await load({ url: gateway.url, seconds: SECONDS, connections: CONNECTIONS, next: createMix(space, SEED + round, ONLY), headers: forwardedFor });
      const each = subgraphPids.map((pid, i) => cpuMs([pid]) - eachBefore[i]!);
      const cpuAfter = { gateway: cpuMs([gateway.running.pid]), subgraphs: cpuMs(subgraphPids), database: cpuMsOfCommand('postgres'), load: process.cpuUsage(cpuBefore.load) };
      const measurement: Measurement = {
        round,
        ok: result.ok,
        failed: result.failed,
        seconds: result.seconds,
        p50: result.p50,
        p99: result.p99,
        gatewayCpuMs: cpuAfter.gateway - cpuBefore.gateway,
        subgraphsCpuMs: cpuAfter.subgraphs - cpuBefore.subgraphs,
        databaseCpuMs: cpuAfter.database - cpuBefore.database,
        loadCpuMs: (cpuAfter.load.user + cpuAfter.load.system) / 1000,
        gatewayCaches: gateway.metricsUrl ? cacheDelta(gatewayCachesBefore!, await readCaches([gateway.metricsUrl])) : undefined,
        subgraphCaches: cacheDelta(subgraphCachesBefore, await readCaches(subgraphMetrics)),
      };
      measured.get(gateway.id)!.push(measurement);
      const merged = failures.get(gateway.id) ?? new Map<string, number>();
      for (const [what, count] of result.failures) merged.set(what, (merged.get(what) ?? 0) + count);
      failures.set(gateway.id, merged);
      console.log(
        `round ${round + 1} ${gateway.id.padEnd(16)} ${(result.ok / result.seconds).toFixed(0).padStart(6)} req/s  p50 ${String(result.p50).padStart(4)} ms  p99 ${String(result.p99).padStart(5)} ms  ` +
          `gateway ${(measurement.gatewayCpuMs / Math.max(1, result.ok)).toFixed(2)} CPU ms/req  subgraphs ${(measurement.subgraphsCpuMs / Math.max(1, result.ok)).toFixed(2)} CPU ms/req  ` +
          `PostgreSQL ${(measurement.databaseCpuMs / Math.max(1, result.ok)).toFixed(2)}  load generator ${(measurement.loadCpuMs / Math.max(1, result.ok)).toFixed(2)}  failed ${result.failed}\n` +
          `        subgraphs: ${subgraphs.map((s, i) => `${s.name} ${(each[i]! / Math.max(1, result.ok)).toFixed(2)}`).join(', ')}`,
      );
    }
  }

  // 6. The report.
  const summaries = gateways.map((g) => summarise(g.label, g.ours, measured.get(g.id)!, g.variant));
  console.log(`\n${report(summaries)}\n`);
  console.log(`${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), Node.js ${process.version}, load average ${os.loadavg().map((v) => v.toFixed(1)).join(' ')} at the end; ${CONNECTIONS} connections, ${ROUNDS} × ${SECONDS} s`);
  let exitCode = 0;
  for (const [id, byWhat] of failures) {
    if (!byWhat.size) continue;
    exitCode = 1;
    console.error(`${id}: failed answers — ${[...byWhat].map(([what, n]) => `${n} × ${what}`).join('; ')}`);
  }
  if (exitCode) console.error('some answers were errors (transport, non-2xx or GraphQL errors): the figures of those gateways are not valid');
  const outbound = outboundAttempts(processes);
  if (outbound.length) {
    console.error(`processes tried to reach beyond loopback:\n${[...new Set(outbound)].slice(0, 20).join('\n')}`);
    exitCode = 1;
  }
  return exitCode;
}

let code = 1;
try {
  code = await main();
} catch (error) {
  console.error(`bench:peers failed: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  clearTimeout(watchdog);
  await cleanup();
}
process.exit(code);
