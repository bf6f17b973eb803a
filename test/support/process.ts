import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../../lib/config.ts';

export interface Service {
  child: ChildProcess;
  pid: number;
  /** Everything the process printed so far (stdout and stderr). */
  readonly output: string;
  /** Resolves with the first match of `pattern` in the output; rejects when the process exits first or on timeout. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** The exit code (or 128 + signal number). */
  exited: Promise<number>;
  kill(signal?: NodeJS.Signals): void;
}

const SIGNALS: Partial<Record<NodeJS.Signals, number>> = { SIGTERM: 15, SIGKILL: 9, SIGINT: 2 };

/**
 * Runs one of the project's entry points as its own node process with the tsx loader — exactly what
 * `npm start`, `npm run subgraph` and the compose file run — with `env` on top of a clean environment
 * (no DATABASE_URL inherited unless given).
 */
export function spawnEntry(script: string, args: string[], env: Record<string, string | undefined>): Service {
  return spawnCommand(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, script), ...args], env, script);
}

/** Runs a command in the project folder (e.g. `npm start`, as a user or a supervisor would), with `env` on a clean environment. */
export function spawnCommand(command: string, args: string[], env: Record<string, string | undefined>, label = `${command} ${args.join(' ')}`): Service {
  const script = label;
  const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/(^|_)DATABASE_URL$/.test(key) && !key.startsWith('VITEST')));
  const child = spawn(command, args, {
    cwd: PROJECT_ROOT,
    env: { ...base, TIGA_QC_INTERVAL_MINUTES: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number>((resolve) =>
    child.once('exit', (code, signal) => {
      resolve(code ?? 128 + (signal ? (SIGNALS[signal] ?? 0) : 0));
      for (const listener of listeners) listener();
    }),
  );
  let done = false;
  void exited.then(() => (done = true));
  return {
    child,
    pid: child.pid!,
    get output() {
      return output;
    },
    exited,
    kill: (signal = 'SIGTERM') => void child.kill(signal),
    waitFor(pattern, timeoutMs = 120_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = output.match(pattern);
          if (match) {
            cleanup();
            resolve(match);
          } else if (done) {
            cleanup();
            reject(new Error(`${script} exited before printing ${pattern}:\n${output}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`${script} did not print ${pattern} within ${timeoutMs} ms:\n${output}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
  };
}

/** Ports 0 for the gateway and every subgraph: each service takes a free port and prints its URL. */
export function anyPorts(names: string[]): Record<string, string> {
  return Object.fromEntries([['GATEWAY_PORT', '0'], ...names.map((name) => [`${name.toUpperCase()}_PORT`, '0'])]);
}
