import { freePort } from '../../bench/peers/stack.ts';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Runs a compose file's services as local processes, with no container engine: each service's `command`
 * (or the image's CMD) in the project folder — the image's WORKDIR — with only the environment the file
 * gives it (plus PATH, to find `node`, and whatever the caller adds, e.g. the outbound watch), as a non-root
 * user, started in `depends_on` order and checked with its own `healthcheck` command (the URL it asks is
 * polled in-process until it answers, so that `node -e` is not spawned several times a second).
 *
 * What a container engine would provide is replaced by one rule, applied to every string the file gives a
 * service (command, environment, healthcheck):
 * - **Hosts.** A service name in an address (`atmo:4001`, `db:5432`) and the wildcard `0.0.0.0` become
 *   `127.0.0.1`. A port a service declares (`expose`, the container side of `ports`) becomes a free
 *   loopback port, wherever it appears: `<service>:<port>` in any service, and in the service's own strings
 *   `127.0.0.1:<port>`, `localhost:<port>` or a value that is the port alone (its `<NAME>_PORT`). Seven
 *   services cannot all listen on their container ports on one host. `db` is the machine's PostgreSQL, its
 *   port kept, and its declared database becomes a fresh one per run (`…@db:5432/tiga` →
 *   `…@127.0.0.1:5432/<fresh>`).
 * - **Volumes.** Each service gets a root folder standing for its filesystem: the image's `VOLUME`s are
 *   folders of their own (anonymous volumes), a named volume is one folder shared by every service that
 *   mounts it, a bind mount is the host path (relative to the compose file); a mount inside another is a
 *   symbolic link inside it. A path in a string that lies under a mount point is moved under the root.
 *   Everything in those folders belongs to the user the services run as; `:ro` is not enforced.
 */

export type Condition = 'service_started' | 'service_healthy' | 'service_completed_successfully';

export interface ComposeService {
  build?: unknown;
  image?: string;
  command?: string[];
  environment?: Record<string, string | number | boolean | null>;
  volumes?: string[];
  ports?: string[];
  expose?: (string | number)[];
  depends_on?: Record<string, { condition: Condition }>;
  healthcheck?: { test: string[]; interval?: string; timeout?: string; retries?: number; start_period?: string };
  restart?: string;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** What the Dockerfile gives every container built from it. */
export interface Image {
  workdir: string;
  cmd: string[];
  volumes: string[];
}

/** Reads WORKDIR, CMD (exec form) and VOLUME of a Dockerfile. */
export function readImage(dockerfile: string): Image {
  const text = fs.readFileSync(dockerfile, 'utf8');
  const last = (instruction: string) => [...text.matchAll(new RegExp(`^${instruction}\\s+(.+)$`, 'gm'))].map((m) => m[1]!.trim());
  const volumes = last('VOLUME').flatMap((arg) => (arg.startsWith('[') ? (JSON.parse(arg) as string[]) : arg.split(/\s+/)));
  const cmd = last('CMD').at(-1);
  return { workdir: last('WORKDIR').at(-1) ?? '/', cmd: cmd?.startsWith('[') ? (JSON.parse(cmd) as string[]) : [], volumes };
}

/** A user the services run as: this process's own when it is not root, otherwise `nobody`. */
export interface RunAs {
  uid: number;
  gid: number;
  name: string;
}

export function nonRootUser(): RunAs {
  const uid = process.getuid?.() ?? 0;
  if (uid !== 0) return { uid, gid: process.getgid?.() ?? uid, name: `uid ${uid}` };
  const id = (flag: string) => Number(execFileSync('id', [flag, 'nobody'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g'), name: 'nobody' };
}

export interface LocalService {
  name: string;
  argv: string[];
  env: Record<string, string>;
  /** The healthcheck's command, localised; undefined when the service declares none. */
  healthcheck: string[] | undefined;
  /** Container port → loopback port. */
  ports: Map<number, number>;
  /** Mount point → host path, for the test to look inside a volume. */
  mounts: Map<string, string>;
  /** The service's root folder (its mount points are under it). */
  root: string;
}

export interface LocalPlanOptions {
  compose: ComposeFile;
  composeDir: string;
  image: Image;
  /** Where volumes and service roots are made. */
  workDir: string;
  /** Services the machine already runs (their ports are kept). @default ['db'] */
  external?: string[];
  /** The database `db`'s URLs name instead of the declared one. */
  database: { declared: string; local: string };
  user: RunAs;
}


const declaredPorts = (service: ComposeService) => [
  ...(service.expose ?? []).map(Number),
  ...(service.ports ?? []).map((mapping) => Number(String(mapping).split(':').at(-1)!.split('/')[0])),
];

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function chownTree(dir: string, user: RunAs): void {
  fs.lchownSync(dir, user.uid, user.gid);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) chownTree(full, user);
    else fs.lchownSync(full, user.uid, user.gid);
  }
}

/** Makes each service's folders and localises its command, environment and healthcheck by the rule above. */
export async function localPlan(options: LocalPlanOptions): Promise<Map<string, LocalService>> {
  const { compose, image, workDir, user, database } = options;
  const external = new Set(options.external ?? ['db']);
  const ports = new Map<string, Map<number, number>>();
  for (const [name, service] of Object.entries(compose.services)) {
    const mapping = new Map<number, number>();
    for (const port of declaredPorts(service)) mapping.set(port, external.has(name) ? port : await freePort());
    ports.set(name, mapping);
  }
  const portOf = (service: string, port: number) => ports.get(service)?.get(port) ?? port;
  const hostNames = Object.keys(compose.services).map(escape).join('|');

  const plan = new Map<string, LocalService>();
  for (const [name, service] of Object.entries(compose.services)) {
    if (external.has(name)) continue;
    const root = path.join(workDir, 'services', name);
    const mounts = new Map<string, string>();
    for (const target of image.volumes) mounts.set(target, path.join(root, target));
    for (const spec of service.volumes ?? []) {
      const [source, target] = spec.split(':') as [string, string];
      const named = !source.startsWith('.') && !source.startsWith('/');
      mounts.set(target, named ? path.join(workDir, 'volumes', source) : path.resolve(options.composeDir, source));
      if (named) fs.mkdirSync(path.join(workDir, 'volumes', source), { recursive: true });
    }
    // Outer mount points first, so a nested one is a link inside its parent's folder.
    for (const [target, host] of [...mounts].sort(([a], [b]) => a.length - b.length)) {
      const at = path.join(root, target);
      if (host === at) fs.mkdirSync(at, { recursive: true });
      else {
        fs.mkdirSync(path.dirname(at), { recursive: true });
        fs.symlinkSync(host, at);
      }
    }
    const own = ports.get(name)!;
    const byDepth = [...mounts.keys()].sort((a, b) => b.length - a.length);
    const localise = (value: string): string => {
      let out = value.replace(
        new RegExp(`(postgres(?:ql)?://[^@/\\s]*@)db:(\\d+)/${escape(database.declared)}(?=$|[?\\s'"])`, 'g'),
        (_m, auth: string, port: string) => `${auth}db:${port}/${database.local}`,
      );
      out = out.replace(new RegExp(`\\b(${hostNames}):(\\d+)\\b`, 'g'), (_m, host: string, port: string) => `127.0.0.1:${portOf(host, Number(port))}`);
      out = out.replace(/\b(?:127\.0\.0\.1|localhost):(\d+)\b/g, (match, port: string) => (own.has(Number(port)) ? `127.0.0.1:${own.get(Number(port))}` : match));
      if (/^\d+$/.test(out) && own.has(Number(out))) out = String(own.get(Number(out)));
      out = out.replace(/\b0\.0\.0\.0\b/g, '127.0.0.1');
      const target = byDepth.find((mount) => out === mount || out.startsWith(`${mount}/`));
      return target ? path.join(root, out) : out;
    };
    const env = Object.fromEntries(Object.entries(service.environment ?? {}).map(([key, value]) => [key, localise(String(value ?? ''))]));
    const test = service.healthcheck?.test;
    plan.set(name, {
      name,
      argv: (service.command ?? image.cmd).map(localise),
      env,
      healthcheck: test && test[0] !== 'NONE' ? (test[0] === 'CMD-SHELL' ? ['/bin/sh', '-c', localise(test[1]!)] : test.slice(1).map(localise)) : undefined,
      ports: own,
      mounts,
      root,
    });
  }
  // The volumes are the services' user's, as the image's `chown` makes them in a container.
  if (process.getuid?.() === 0) chownTree(workDir, user);
  fs.chmodSync(workDir, 0o755);
  return plan;
}

export interface Running {
  service: LocalService;
  child: ChildProcess;
  readonly output: string;
  exited: Promise<number>;
}

const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

export interface RunOptions {
  user: RunAs;
  /** Run from here (the folder the image's WORKDIR holds). */
  cwd: string;
  /** Variables the runner adds for itself (e.g. the outbound watch), on top of PATH. */
  extraEnv?: Record<string, string>;
}

/** Starts one localised service; only PATH (to find `node`) and `extraEnv` are added to the file's environment. */
export function start(service: LocalService, options: RunOptions): Running {
  const [command, ...args] = service.argv as [string, ...string[]];
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...service.env, ...options.extraEnv },
    uid: options.user.uid,
    gid: options.user.gid,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number>((resolve) => {
    child.once('error', (error) => {
      output += `spawn failed: ${error.message}\n`;
      resolve(127);
    });
    child.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? (SIGNAL_NUMBERS[signal] ?? 0) : 0)));
  });
  return {
    service,
    child,
    exited,
    get output() {
      return output;
    },
  };
}

/** Runs a healthcheck command once, as the service would in its container: true when it exits 0. */
export function probe(service: LocalService, options: RunOptions): Promise<boolean> {
  const [command, ...args] = service.healthcheck as [string, ...string[]];
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...service.env, ...options.extraEnv },
      uid: options.user.uid,
      gid: options.user.gid,
      stdio: 'ignore',
      timeout: 5_000,
    });
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
}

const tail = (text: string, lines = 30) => text.trimEnd().split('\n').slice(-lines).join('\n');

/**
 * `docker compose up`, locally: every service of `plan` starts once the conditions of its `depends_on` hold
 * (services of `external` count as healthy), and this resolves when every service is healthy (or, without a
 * healthcheck, started) and every one-shot service (no `restart`) has exited 0. A service that exits too
 * early, or a deadline passed, rejects with the end of its output. Resolves with when each was ready (ms).
 */
export async function up(
  compose: ComposeFile,
  plan: Map<string, LocalService>,
  options: RunOptions & { deadline: number; probeEveryMs?: number },
  running: Map<string, Running>,
): Promise<Record<string, number>> {
  const began = Date.now();
  const readyAfterMs: Record<string, number> = {};
  const states = new Map<string, Promise<void>>();
  const healthy = new Map<string, Promise<void>>();
  const completed = new Map<string, Promise<void>>();
  const started = new Map<string, Promise<void>>();
  const every = options.probeEveryMs ?? 250;

  const condition = (name: string, what: Condition): Promise<void> => {
    if (!plan.has(name)) return Promise.resolve();
    const wait = { service_started: started, service_healthy: healthy, service_completed_successfully: completed }[what].get(name);
    return wait ?? Promise.reject(new Error(`no service ${name}`));
  };

  for (const [name, service] of plan) {
    let markStarted!: () => void;
    started.set(name, new Promise((resolve) => (markStarted = resolve)));
    const definition = compose.services[name]!;
    const launch = (async () => {
      await Promise.all(Object.entries(definition.depends_on ?? {}).map(([dep, { condition: what }]) => condition(dep, what)));
      const proc = start(service, options);
      running.set(name, proc);
      markStarted();
      return proc;
    })();
    // A one-shot init step is one that a dependant waits to see completed.
    const oneShot = Object.values(compose.services).some((other) => other.depends_on?.[name]?.condition === 'service_completed_successfully');
    completed.set(
      name,
      launch.then(async (proc) => {
        const code = await proc.exited;
        if (code !== 0) throw new Error(`${name} exited with ${code}:\n${tail(proc.output)}`);
      }),
    );
    healthy.set(
      name,
      launch.then(async (proc) => {
        if (!service.healthcheck) return;
        let stopped = false;
        void proc.exited.then(() => (stopped = true));
        // Spawning the healthcheck's `node -e` every few hundred ms would take the CPU the services need to
        // start: the URL it asks is polled in-process first, then the command itself runs as declared.
        const url = /https?:\/\/[^\s'"`)]+/.exec(service.healthcheck.join(' '))?.[0];
        while (url && !stopped && Date.now() < options.deadline && !(await fetch(url, { signal: AbortSignal.timeout(2_000) }).then((r) => r.ok, () => false))) {
          await new Promise((resolve) => setTimeout(resolve, every));
        }
        while (!(await probe(service, options))) {
          if (stopped) throw new Error(`${name} exited with ${await proc.exited} before its healthcheck passed:\n${tail(proc.output)}`);
          if (Date.now() > options.deadline) throw new Error(`${name}: healthcheck still failing at the deadline:\n${tail(proc.output)}`);
          await new Promise((resolve) => setTimeout(resolve, every));
        }
      }),
    );
    states.set(name, (oneShot ? completed.get(name)! : healthy.get(name)!).then(() => void (readyAfterMs[name] = Date.now() - began)));
  }
  // Unobserved rejections of conditions nobody waits for are reported through `states`.
  for (const map of [completed, healthy]) for (const promise of map.values()) promise.catch(() => {});
  await Promise.all(states.values());
  return readyAfterMs;
}

/** `docker compose down`: SIGTERM to every running service, dependants first; resolves with each exit code. */
export async function down(compose: ComposeFile, running: Map<string, Running>, timeoutMs = 15_000): Promise<Record<string, number>> {
  const order = [...running.keys()];
  const dependants = (name: string) => order.filter((other) => compose.services[other]?.depends_on?.[name]);
  const codes: Record<string, number> = {};
  const stopped = new Map<string, Promise<number>>();
  const stop = (name: string): Promise<number> => {
    if (!stopped.has(name)) {
      stopped.set(
        name,
        (async () => {
          await Promise.all(dependants(name).map(stop));
          const proc = running.get(name)!;
          if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGTERM');
          const timer = setTimeout(() => proc.child.kill('SIGKILL'), timeoutMs);
          const code = await proc.exited;
          clearTimeout(timer);
          return (codes[name] = code);
        })(),
      );
    }
    return stopped.get(name)!;
  };
  await Promise.all(order.map(stop));
  return codes;
}

/** Preloaded into every service: prints any attempt to resolve or reach a host beyond loopback. */
export const outboundWatch = (projectRoot: string) => ({
  NODE_OPTIONS: `--import=${pathToFileURL(path.join(projectRoot, 'test', 'support', 'outbound-watch.mjs')).href}`,
});
