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
 *   BENCH_PEERS_B_DATABASE_URL unset (set, with `tiga-b`: B runs its WHOLE stack — its checkout's docker-compose.yml,
 *     seed and six subgraphs on that database of its own, with the same reference data as ours — so that two versions
 *     of the hub, subgraphs included, are compared in one run, round by round; its row's subgraph CPU is its own
 *     subgraphs'. Both ORSALs then share one secrecy key, TIGA_SECRECY_COST_KEY or one drawn for the run, so that they
 *     withhold the same values. B's answers must have no error; those that differ from ours, a version's change, are
 *     counted and shown),
 *   BENCH_PEERS_KEEP_LOGS unset (set: the processes' logs stay in the temporary folder printed at the start)
 */
import fs from 'node:fs';
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { PROJECT_ROOT } from '../../lib/config.ts';
import { SUPERGRAPH_PATH } from '../../lib/paths.ts';
import { ensureEmbeddedKeys } from '../../lib/auth/keys.ts';
import { createMix, operationsFromEnv, readMixSpace, type MixRequest } from './mix.ts';
import { describeMixCost } from './mixCost.ts';
import { canonical, firstDifference } from './compare.ts';
import { GATEWAY_IDS, peerSupergraph, startGateway, type Gateway, type GatewayId } from './gateways.ts';
import { composeServices, ensureDatabase, outboundAttempts, start, stopAll, tail, waitUntil, answers, type Running, type ServiceSpec } from './stack.ts';
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
const VARIANT: { root: string; env: Record<string, string>; spec?: ServiceSpec } = { root: path.resolve(process.env.BENCH_PEERS_B_ROOT || PROJECT_ROOT), env: settingsFrom('BENCH_PEERS_B_ENV') };
/** BENCH_PEERS_B_DATABASE_URL: `tiga-b` with subgraphs of its own, from its checkout, on that database. */
const B_DATABASE_URL = process.env.BENCH_PEERS_B_DATABASE_URL;
if (B_DATABASE_URL && !WANTED.has('tiga-b')) throw new Error('BENCH_PEERS_B_DATABASE_URL is the database of `tiga-b`\'s own stack: add tiga-b to BENCH_PEERS_GATEWAYS');
if (B_DATABASE_URL && B_DATABASE_URL === process.env.DATABASE_URL) throw new Error('BENCH_PEERS_B_DATABASE_URL must name another database than DATABASE_URL (two versions, two schemas)');
/** Both ORSALs withhold the same values only with the same key: the operator's, or one for this run (B stack only). */
const SECRECY_KEY = process.env.TIGA_SECRECY_COST_KEY || (B_DATABASE_URL ? randomBytes(32).toString('hex') : undefined);

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

/**
 * One version's database (made and seeded by its own `scripts/seed.ts`) and its compose file's six subgraphs, run
 * from its checkout, each answering /ready.
 */
async function startStack(options: { name: string; root: string; databaseUrl: string; workDir: string; keysDir?: string; sharedData: string; deadline: number }) {
  const { name, root, databaseUrl, workDir: dir, sharedData, deadline } = options;
  const prefix = name === 'ours' ? '' : `${name}-`;
  fs.mkdirSync(dir, { recursive: true });
  console.log(`database${prefix ? ` of ${name}` : ''}: ${await ensureDatabase(databaseUrl)}; seeding it if empty…`);
  const seed = start(`${prefix}seed`, [process.execPath, '--import', 'tsx', path.join(root, 'scripts', 'seed.ts')], {
    DATABASE_URL: databaseUrl,
    TIGA_SHARED_DATA: sharedData,
    TIGA_DATA_DIR: path.join(dir, 'seed'),
    APOLLO_TELEMETRY_DISABLED: 'true',
  }, path.join(dir, 'seed.log'), root);
  processes.push(seed);
  if ((await seed.exited) !== 0) throw new Error(`npm run seed${prefix ? ` (${name})` : ''} failed:\n${tail(seed.log)}`);
  console.log(`  ${tail(seed.log, 1)}`);
  // Without the reference data a seed falls back to approximate communes and no IRIS: another mix, no comparison.
  if (!fs.existsSync(path.join(sharedData, 'territories.geojson'))) {
    console.warn(`WARNING: no reference data in ${sharedData} (TIGA_SHARED_DATA): ${name === 'ours' ? 'the' : `${name}'s`} database, if seeded now, holds the approximate referential, without IRIS — another mix than the README's`);
  }
  const specs = await composeServices({ root, databaseUrl, workDir: dir, keysDir: options.keysDir, sharedData });
  const subgraphs = specs.subgraphs.map((spec) => {
    // ORSAL's secondary-suppression key, when the operator supplies one (unset: the subgraph draws its own).
    const env = SECRECY_KEY ? { ...spec.env, TIGA_SECRECY_COST_KEY: SECRECY_KEY } : spec.env;
    // BENCH_PEERS_PROFILE_DIR: each subgraph writes its CPU profile there too, in a folder of its own.
    const profile = process.env.BENCH_PEERS_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.BENCH_PEERS_PROFILE_DIR, `${prefix}${spec.name}`)}`] : [];
    const running = start(`${prefix}${spec.name}`, [spec.argv[0]!, ...profile, ...spec.argv.slice(1)], env, path.join(dir, `${spec.name}.log`), root);
    processes.push(running);
    return { spec, running };
  });
  await Promise.all(subgraphs.map(({ spec, running }) => waitUntil(running, answers(`http://127.0.0.1:${spec.port}/ready`), deadline)));
  return { specs, subgraphs };
}

async function main(): Promise<number> {
  const began = Date.now();
  const deadline = began + 600_000;
  const sharedData = path.resolve(PROJECT_ROOT, process.env.TIGA_SHARED_DATA || '../shared/data');
  const safeUrl = DATABASE_URL!.replace(/\/\/[^@/]*@/, '//…@');
  console.log(`bench:peers on ${safeUrl}: ${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(1)}; logs in ${workDir}${process.env.BENCH_PEERS_KEEP_LOGS ? '' : ' (removed at the end; BENCH_PEERS_KEEP_LOGS=1 keeps them)'}`);

  // 1. The database, seeded as `npm run seed` seeds it; 2. the compose stack's subgraphs (B's too, when it has its own).
  await ensureEmbeddedKeys(workDir);
  const ownStack = await startStack({ name: 'ours', root: PROJECT_ROOT, databaseUrl: DATABASE_URL!, workDir, sharedData, deadline });
  const { subgraphs, gateway: ourSpec } = ownStack.specs;
  console.log(`${subgraphs.length} subgraphs ready in ${((Date.now() - began) / 1000).toFixed(0)} s: ${subgraphs.map((s) => s.name).join(', ')}`);
  const bStack = B_DATABASE_URL
    ? await startStack({ name: 'b', root: VARIANT.root, databaseUrl: B_DATABASE_URL, workDir: path.join(workDir, 'b'), keysDir: path.join(workDir, 'keys'), sharedData, deadline })
    : undefined;
  if (bStack) {
    VARIANT.spec = bStack.specs.gateway;
    console.log(`B's own stack (${VARIANT.root}): ${bStack.specs.subgraphs.length} subgraphs ready on ${B_DATABASE_URL!.replace(/\/\/[^@/]*@/, '//…@')}`);
  }
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
  const bDiffers: string[] = [];
  for (let i = 0; i < CHECKS; i++) {
    const request = check();
    const body = { query: request.query, variables: request.variables };
    const expected = await post(ours.url, body, setupClient(setupRequests++));
    const oursFailed = expected.status !== 200 || (expected.json as { errors?: unknown }).errors;
    if (oursFailed) mismatches.push(`#${i} ${request.name} ${JSON.stringify(request.variables)}: our gateway answered ${expected.status} ${JSON.stringify(expected.json).slice(0, 300)}`);
    for (const peer of gateways.filter((g) => !g.ours)) {
      const actual = await post(peer.url, body, setupClient(setupRequests++));
      // B on its own stack may be another version, which answers some requests otherwise: the same requests, without error.
      if (peer.variant && bStack && actual.status === 200 && !(actual.json as { errors?: unknown }).errors) {
        if (canonical(actual.json) !== canonical(expected.json)) bDiffers.push(`#${i} ${request.name} ${JSON.stringify(request.variables)}: at ${firstDifference(expected.json, actual.json) ?? '?'}`);
        continue;
      }
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
  console.log(`answers: ${CHECKS} mix requests, ${bStack ? 'every other' : 'every'} gateway's answer equals ours (keys sorted)`);
  if (bStack) {
    console.log(
      `  B on its own stack answered all ${CHECKS} without error; ${bDiffers.length} differ from ours` +
        (bDiffers.length ? ` (what changed between the two versions: the figures price the same requests, not quite the same answers), e.g.\n    ${bDiffers.slice(0, 5).join('\n    ')}` : ''),
    );
  }

  // 5. Warm-up, then the rounds.
  // Each gateway's subgraphs: the shared six, or B's own.
  const stackOf = (gateway: Gateway) => {
    const own = gateway.variant && bStack ? bStack : ownStack;
    return { specs: own.specs.subgraphs, pids: own.subgraphs.map(({ running }) => running.pid), metrics: own.specs.subgraphs.map((s) => `http://127.0.0.1:${s.port}/metrics`) };
  };
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
      const { specs: subgraphs, pids: subgraphPids, metrics: subgraphMetrics } = stackOf(gateway);
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
