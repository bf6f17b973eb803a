import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { PROJECT_ROOT } from '../lib/config.ts';

/**
 * Starts the hub as its own process (`hub/index.ts`, as `npm start` does) with `env`, and resolves with it and
 * its gateway URL once it says it is ready. Benchmarks measure it from outside, as clients would.
 */
export async function startHubProcess(env: NodeJS.ProcessEnv): Promise<{ hub: ChildProcess; url: string }> {
  const hub = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'hub', 'index.ts')], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  hub.stdout!.on('data', (chunk: Buffer) => (output += chunk));
  const url = await new Promise<string>((resolve, reject) => {
    hub.stdout!.on('data', () => {
      const match = /ready in \d+ ms .* — (\S+)/.exec(output);
      if (match) resolve(match[1]!);
    });
    hub.once('exit', (code) => reject(new Error(`the hub exited (${code}) before it was ready`)));
  });
  return { hub, url };
}
