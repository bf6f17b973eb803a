import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { spawn, type ChildProcess } from 'node:child_process';
import pg from 'pg';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../../lib/config.ts';

/**
 * The processes of the peer benchmark: the hub's services as docker-compose.yml declares them (command and
 * environment), run as local processes on this machine's PostgreSQL — the way test/deploy/compose.test.ts
 * runs the file, with a simpler substitution, since only this benchmark's own processes are involved.
 */

interface ComposeService {
  command?: string[];
  environment?: Record<string, string | number | boolean | null>;
  expose?: (string | number)[];
  ports?: string[];
}

export interface ServiceSpec {
  name: string;
  /** The compose command, `node` being this very Node.js. */
  argv: string[];
  env: Record<string, string>;
  port: number;
}

export interface Running {
  name: string;
  child: ChildProcess;
  pid: number;
  log: string;
  exited: Promise<number>;
}

export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });

/** Preloaded into every process: reports any attempt to resolve or reach a host beyond loopback. */
const OUTBOUND_WATCH = `--import=${pathToFileURL(path.join(PROJECT_ROOT, 'test', 'support', 'outbound-watch.mjs')).href}`;
export const OUTBOUND_MARK = 'TIGA-OUTBOUND';

/**
 * The gateway and the subgraphs of docker-compose.yml, localised: a service's host (`atmo:4001`) becomes
 * 127.0.0.1 on a free port, `db`'s URL becomes `databaseUrl`, `0.0.0.0` becomes 127.0.0.1, and the paths of
 * the image (`/var/lib/tiga` of each service, its shared `keys` volume, `/shared/data`) become folders under
 * `workDir` (the JWKS the `keys` step writes there) and the real reference data.
 */
export async function composeServices(options: {
  databaseUrl: string;
  workDir: string;
  sharedData: string;
  /** The checkout whose docker-compose.yml is read. @default this one */
  root?: string;
  /** Where the JWKS is (the compose `keys` volume). @default `workDir`/keys */
  keysDir?: string;
}): Promise<{ subgraphs: ServiceSpec[]; gateway: ServiceSpec }> {
  const compose = parse(fs.readFileSync(path.join(options.root ?? PROJECT_ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, ComposeService> };
  const keysDir = options.keysDir ?? path.join(options.workDir, 'keys');
  const served = Object.entries(compose.services).filter(([name, s]) => name !== 'db' && s.command && (s.expose?.length || s.ports?.length));
  const ports = new Map<string, { declared: number; local: number }>();
  for (const [name, s] of served) ports.set(name, { declared: Number(String(s.expose?.[0] ?? s.ports![0]).split(':').at(-1)), local: await freePort() });
  const hosts = served.map(([name]) => name).join('|');
  const specs = served.map(([name, s]): ServiceSpec => {
    const own = ports.get(name)!;
    const dataDir = path.join(options.workDir, 'services', name);
    fs.mkdirSync(dataDir, { recursive: true });
    const localise = (value: string) =>
      value
        .replace(/postgres(?:ql)?:\/\/[^@\s]*@db:\d+\/\w+/g, options.databaseUrl)
        .replace(new RegExp(`\\b(${hosts}):(\\d+)\\b`, 'g'), (_m, host: string) => `127.0.0.1:${ports.get(host)!.local}`)
        .replace(/\b0\.0\.0\.0\b/g, '127.0.0.1')
        .replace(/^\/var\/lib\/tiga\/keys(?=\/|$)/, keysDir)
        .replace(/^\/var\/lib\/tiga(?=\/|$)/, dataDir)
        .replace(/^\/shared\/data$/, options.sharedData);
    const env = Object.fromEntries(
      Object.entries(s.environment ?? {}).map(([key, raw]) => {
        const value = String(raw ?? '');
        return [key, key.endsWith('_PORT') && value === String(own.declared) ? String(own.local) : localise(value)];
      }),
    );
    const argv = s.command!.map((arg, i) => (i === 0 && arg === 'node' ? process.execPath : arg));
    return { name, argv, env, port: own.local };
  });
  const gateway = specs.find((s) => s.argv.some((arg) => arg.endsWith('gateway/index.ts')));
  if (!gateway) throw new Error('docker-compose.yml has no gateway service');
  return { gateway, subgraphs: specs.filter((s) => s.argv.some((arg) => arg.endsWith('hub/subgraph.ts'))) };
}

/** The database at `databaseUrl`, made (with PostGIS) when it does not exist; its server's `postgres` database is asked. */
export async function ensureDatabase(databaseUrl: string): Promise<'made' | 'kept'> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  if (!name) throw new Error('DATABASE_URL names no database');
  const admin = new pg.Client({ connectionString: Object.assign(new URL(databaseUrl), { pathname: '/postgres' }).toString(), connectionTimeoutMillis: 5_000 });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [name]);
    if (rowCount) return 'kept';
    await admin.query(`create database ${pg.escapeIdentifier(name)}`);
  } finally {
    await admin.end();
  }
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    await db.query('create extension if not exists postgis');
  } finally {
    await db.end();
  }
  return 'made';
}

/**
 * Starts one process, its standard output and error into `log` (a file, as a container's log driver would
 * take them: piping them here would spend this process's CPU, which the load generator needs). Only PATH,
 * the outbound watch and `env` reach it.
 */
export function start(name: string, argv: string[], env: Record<string, string>, log: string, cwd = PROJECT_ROOT): Running {
  const fd = fs.openSync(log, 'a');
  const [command, ...args] = argv as [string, ...string[]];
  const child = spawn(command, args, {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env, NODE_OPTIONS: [OUTBOUND_WATCH, env.NODE_OPTIONS].filter(Boolean).join(' ') },
    stdio: ['ignore', fd, fd],
  });
  fs.closeSync(fd);
  const exited = new Promise<number>((resolve) => {
    child.once('error', () => resolve(127));
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
  if (!child.pid) throw new Error(`${name} did not start`);
  return { name, child, pid: child.pid, log, exited };
}

export const tail = (file: string, lines = 25) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '');

/** Polls `ready` until it holds, the process exits, or the deadline passes (then throws with the log's end). */
export async function waitUntil(service: Running, ready: () => Promise<boolean>, deadline: number): Promise<void> {
  let exited = false;
  void service.exited.then(() => (exited = true));
  while (!(await ready().catch(() => false))) {
    if (exited) throw new Error(`${service.name} exited before it was ready:\n${tail(service.log)}`);
    if (Date.now() > deadline) throw new Error(`${service.name} not ready in time:\n${tail(service.log)}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

export const answers = (url: string) => () => fetch(url, { signal: AbortSignal.timeout(3_000) }).then((r) => r.ok);

/** SIGTERM to each, SIGKILL to whatever still runs after `graceMs`; resolves when all have exited. */
export async function stopAll(running: Running[], graceMs = 10_000): Promise<void> {
  const alive = running.filter((r) => r.child.exitCode === null && r.child.signalCode === null);
  for (const r of alive) r.child.kill('SIGTERM');
  const timer = setTimeout(() => alive.forEach((r) => r.child.kill('SIGKILL')), graceMs);
  await Promise.all(alive.map((r) => r.exited));
  clearTimeout(timer);
}

/** Lines of the outbound watch in the processes' logs: any is a process reaching beyond loopback. */
export function outboundAttempts(running: Running[]): string[] {
  return running.flatMap((r) =>
    (fs.existsSync(r.log) ? fs.readFileSync(r.log, 'utf8').split('\n') : []).filter((line) => line.includes(OUTBOUND_MARK)).map((line) => `${r.name}: ${line}`),
  );
}
