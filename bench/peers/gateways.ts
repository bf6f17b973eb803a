import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../lib/config.ts';
import { prepareSupergraphForGateway } from '../../gateway/supergraph.ts';
import { answers, freePort, start, waitUntil, type Running, type ServiceSpec } from './stack.ts';

/** One gateway in front of the benchmark's subgraphs. */
export interface Gateway {
  id: string;
  /** How the table names it. */
  label: string;
  /** Its GraphQL endpoint. */
  url: string;
  /** Its Prometheus metrics, when it serves the hub's. */
  metricsUrl?: string;
  running: Running;
  /** The hub's own gateway: every other one is compared with it. */
  ours: boolean;
  /** Our gateway again, from another checkout or with other settings (`tiga-b`): compared with ours, not a peer. */
  variant?: boolean;
}

/** What the benchmark may run, in the order of its table: ours first, then the peers. */
export const GATEWAY_IDS = ['tiga', 'tiga-b', 'apollo', 'apollo-keepalive', 'hive', 'hive-router'] as const;
export type GatewayId = (typeof GATEWAY_IDS)[number];

/**
 * The supergraph the peers load: the committed schema/supergraph.graphql with this run's subgraph URLs, and
 * without the `for: SECURITY` purpose of the access links, which @apollo/gateway refuses (it cannot enforce
 * them; the hub's gateway drops it the same way when it loads the file, gateway/supergraph.ts).
 */
export function peerSupergraph(supergraphSdl: string, urls: Record<string, string>, file: string): string {
  const sdl = prepareSupergraphForGateway(supergraphSdl).replace(/@join__graph\(name: "([^"]+)", url: "[^"]*"\)/g, (match, name: string) =>
    urls[name] ? `@join__graph(name: "${name}", url: "${urls[name]}")` : match,
  );
  fs.writeFileSync(file, sdl);
  return file;
}

const packageDir = (pkg: string) => path.join(PROJECT_ROOT, 'node_modules', pkg);
const manifest = (pkg: string) => JSON.parse(fs.readFileSync(path.join(packageDir(pkg), 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> };
const version = (pkg: string) => manifest(pkg).version;
/** Hive Gateway's CLI script (its package's `hive-gateway` bin), run by this Node.js directly: no npx, no shell in between. */
const hiveBin = () => path.join(packageDir('@graphql-hive/gateway'), manifest('@graphql-hive/gateway').bin['hive-gateway']!);

const graphqlAnswers = (url: string) => () =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}', signal: AbortSignal.timeout(3_000) }).then((r) => r.ok);

export interface StartOptions {
  /** Our gateway as docker-compose.yml declares it, localised. */
  ours: ServiceSpec;
  /** Extra environment of our gateway (the trusted proxy). */
  oursEnv: Record<string, string>;
  /**
   * `tiga-b`: the checkout it runs from (its own node_modules) and its extra environment (BENCH_PEERS_B_ROOT,
   * BENCH_PEERS_B_ENV); `spec`: its own compose gateway, in front of its own subgraphs (BENCH_PEERS_B_DATABASE_URL).
   */
  variant?: { root: string; env: Record<string, string>; spec?: ServiceSpec };
  supergraphFile: string;
  workDir: string;
  deadline: number;
}

/** Starts one gateway as its own process and resolves once it answers. */
export async function startGateway(id: GatewayId, options: StartOptions): Promise<Gateway> {
  const log = path.join(options.workDir, `${id}.log`);
  // The peers get what every service of the compose file gets: production mode, no call home.
  const peerEnv = { NODE_ENV: 'production', APOLLO_TELEMETRY_DISABLED: 'true' };
  if (id === 'tiga') {
    const { argv, env, port } = options.ours;
    // BENCH_PEERS_PROFILE_DIR: our gateway writes a V8 CPU profile there when it stops (node --cpu-prof).
    const profile = process.env.BENCH_PEERS_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.BENCH_PEERS_PROFILE_DIR)}`] : [];
    const running = start(id, [argv[0]!, ...profile, ...argv.slice(1)], { ...env, ...options.oursEnv }, log);
    const base = `http://127.0.0.1:${port}`;
    await waitUntil(running, answers(`${base}/ready`), options.deadline);
    return { id, label: 'TIGA gateway (ours, shipped defaults)', url: `${base}/graphql`, metricsUrl: `${base}/metrics`, running, ours: true };
  }
  if (id === 'tiga-b') {
    // The same compose service from another checkout (relative paths resolve there) on a port of its own: one run
    // compares two builds or two settings of ours, which rounds of separate runs cannot (the machine's speed drifts).
    const { root, env: extra, spec } = options.variant ?? { root: PROJECT_ROOT, env: {} };
    const { argv, env, port } = spec ?? options.ours;
    // Its own stack's gateway has its own port and folders already; ours again needs both.
    const own = spec ? port : await freePort();
    const ownEnv = Object.fromEntries(Object.entries(env).map(([key, value]) => [key, key.endsWith('_PORT') && value === String(port) ? String(own) : value]));
    // A data folder of its own (its keys are read from TIGA_JWKS, shared).
    if (ownEnv.TIGA_DATA_DIR && !spec) fs.mkdirSync((ownEnv.TIGA_DATA_DIR = `${ownEnv.TIGA_DATA_DIR}-b`), { recursive: true });
    const profile = process.env.BENCH_PEERS_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.BENCH_PEERS_PROFILE_DIR, id)}`] : [];
    const running = start(id, [argv[0]!, ...profile, ...argv.slice(1)], { ...ownEnv, ...options.oursEnv, ...extra }, log, root);
    const base = `http://127.0.0.1:${own}`;
    await waitUntil(running, answers(`${base}/ready`), options.deadline);
    const settings = Object.entries(extra).map(([key, value]) => `${key}=${value}`).join(', ');
    const label = `TIGA gateway B (${root === PROJECT_ROOT ? 'this checkout' : root}${spec ? ', its own subgraphs and database' : ''}${settings ? `; ${settings}` : ''})`;
    return { id, label, url: `${base}/graphql`, metricsUrl: `${base}/metrics`, running, ours: false, variant: true };
  }
  const port = await freePort();
  let running: Running;
  let label: string;
  if (id === 'apollo' || id === 'apollo-keepalive') {
    const keepAlive = id === 'apollo-keepalive';
    const env = { ...peerEnv, PEER_SUPERGRAPH: options.supergraphFile, PEER_PORT: String(port), PEER_FETCHER: keepAlive ? 'keep-alive' : 'default' };
    // BENCH_PEERS_PROFILE_DIR: Apollo's gateway is profiled too (its folder), so the two can be compared frame by frame.
    const profile = process.env.BENCH_PEERS_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.BENCH_PEERS_PROFILE_DIR, id)}`] : [];
    running = start(id, [process.execPath, ...profile, '--import', 'tsx', path.join(PROJECT_ROOT, 'bench', 'peers', 'apolloGateway.ts')], env, log);
    label = keepAlive ? `@apollo/gateway ${version('@apollo/gateway')}, keep-alive fetcher` : `@apollo/gateway ${version('@apollo/gateway')} (defaults)`;
  } else {
    const router = id === 'hive-router';
    // Its own empty folder as working directory: the CLI would load a gateway.config.* it finds there.
    const cwd = path.join(options.workDir, id);
    fs.mkdirSync(cwd, { recursive: true });
    const config = router ? ['--config-path', path.join(PROJECT_ROOT, 'bench', 'peers', 'hiveRouter.config.ts')] : [];
    const argv = [process.execPath, hiveBin(), ...config, '--host', '127.0.0.1', '--port', String(port), 'supergraph', options.supergraphFile, ...(router ? ['--hive-router-runtime'] : [])];
    running = start(id, argv, peerEnv, log, cwd);
    label = router
      ? `Hive Gateway ${version('@graphql-hive/gateway')}, Rust query planner (router-runtime ${version('@graphql-hive/router-runtime')}), dedupe off`
      : `Hive Gateway ${version('@graphql-hive/gateway')} (defaults)`;
  }
  const url = `http://127.0.0.1:${port}/graphql`;
  await waitUntil(running, graphqlAnswers(url), options.deadline);
  return { id, label, url, running, ours: false };
}

