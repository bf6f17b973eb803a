import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureEmbeddedKeys } from '../../lib/auth/keys.ts';
import { signToken } from '../../lib/auth/sign.ts';
import { PRODUCER_NAMES } from '../../subgraphs/registry.ts';
import { postGraphQL } from '../support/subgraph.ts';
import { anyPorts, spawnCommand, spawnEntry, type Service } from '../support/process.ts';

/**
 * The embedded data folder has one owner. These stories run real processes (the entry points `npm start`,
 * `npm run subgraph`, `npm run seed` and the benchmarks run) on one folder, whatever DATABASE_URL the
 * suite runs with: the folder's guarantees are the embedded database's own.
 */
const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'tiga-lifecycle-'));
// A generous drain deadline: this machine may be busy with other tests; the point is that none is cut.
// Every process is watched for connections beyond this machine (test/support/outbound-watch.mjs), with an
// Apollo key in the environment that would make a careless Apollo Server report usage.
const env = {
  TIGA_DATA_DIR: folder,
  TIGA_SHUTDOWN_TIMEOUT_SECONDS: '120',
  NODE_OPTIONS: `--import ${path.resolve(import.meta.dirname, '../support/outbound-watch.mjs')}`,
  APOLLO_KEY: 'service:tiga-test:not-a-real-key',
  APOLLO_GRAPH_REF: 'tiga-test@current',
  ...anyPorts(PRODUCER_NAMES),
};
const spawned: Service[] = [];
const watched = (service: Service) => (spawned.push(service), service);
const STRASBOURG = '{ territory(code: "67482") { name airStations { id } } }';

async function startHub(): Promise<{ hub: Service; url: string }> {
  const hub = watched(spawnEntry('hub/index.ts', [], env));
  const [, url] = (await hub.waitFor(/ready in \d+ ms .* — (\S+)/, 180_000)) as [string, string];
  return { hub, url };
}

describe('one process owns an embedded data folder', () => {
  let first: { hub: Service; url: string };

  beforeAll(async () => {
    first = await startHub();
  });

  afterAll(async () => {
    first?.hub.kill('SIGKILL');
    fs.rmSync(folder, { recursive: true, force: true });
  });

  it.each([
    ['a second hub', 'hub/index.ts', []],
    ['a subgraph alone', 'hub/subgraph.ts', ['atmo']],
    ['a seed', 'scripts/seed.ts', []],
    ['the ingest benchmark', 'bench/ingest.ts', []],
    ['the gateway alone', 'gateway/index.ts', []],
  ] as const)('refuses %s at once, naming the process that holds the folder', async (_, script, args) => {
    const second = watched(spawnEntry(script, [...args], { ...env, BENCH_INGEST_MB: '1' }));
    expect(await second.exited).not.toBe(0);
    expect(second.output).toContain(`data folder in use by process ${first.hub.pid}`);
    // The holder never noticed: it still answers from the folder.
    const { data, errors } = await postGraphQL(first.url, STRASBOURG);
    expect(errors).toBeUndefined();
    expect(data.territory.name).toBe('Strasbourg');
  });

  it('hands an ingest to the hub that holds the folder, which writes it: the CLI never opens the folder itself', async () => {
    const cli = watched(spawnEntry('scripts/ingest.ts', ['atmo', 'seeds/samples/atmo-indice-sample.csv'], env));
    expect(await cli.exited).toBe(0);
    expect(cli.output).toContain(`the hub (process ${first.hub.pid}) holds`);
    expect(cli.output).toMatch(/atmo\/indice-csv .*: committed/);
    const { data } = await postGraphQL(first.url, '{ territory(code: "67482") { airQuality(from: "2023-06-01", to: "2023-06-02") { date index } } }');
    expect(data.territory.airQuality.length).toBeGreaterThan(0);
  });

  it('a hub killed with SIGKILL restarts on its folder with every acknowledged write', async () => {
    const keys = await ensureEmbeddedKeys(folder);
    const token = await signToken(keys, { subject: 'citizen-lifecycle', scopes: ['community:contribute'], ttlSeconds: 600, issuer: 'tiga-hub', audience: 'tiga-hub' });
    const submitted = await postGraphQL(
      first.url,
      'mutation ($input: ContributionInput!) { submitContribution(input: $input) { id status } }',
      { input: { title: 'Relevé de bancs publics', description: 'Written just before a power cut', licence: 'ODBL', producerKind: 'CITIZEN', contact: 'c@example.org' } },
      { authorization: `Bearer ${token}` },
    );
    expect(submitted.errors).toBeUndefined();
    const id = submitted.data.submitContribution.id;

    first.hub.kill('SIGKILL');
    expect(await first.hub.exited).toBe(137);
    first = await startHub();
    expect(first.hub.output).toMatch(/took over the data folder lock left by process \d+/);
    const mine = await postGraphQL(first.url, '{ myContributions { id title status } }', undefined, { authorization: `Bearer ${token}` });
    expect(mine.errors).toBeUndefined();
    expect(mine.data.myContributions).toContainEqual({ id, title: 'Relevé de bancs publics', status: 'PENDING' });
  });

  it('SIGTERM during load answers every in-flight request, closes the folder and exits 0', async () => {
    const heavy = JSON.stringify({ query: '{ territories(kind: COMMUNE) { code airQuality(from: "2024-01-01", to: "2024-03-31") { index } health { value } } }' });
    const inFlight = Array.from({ length: 8 }, () =>
      fetch(first.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: heavy }).then(async (response) => ({
        status: response.status,
        body: (await response.json()) as { data?: { territories?: unknown[] }; errors?: unknown[] },
      })),
    );
    // Every request is accepted before the signal: the embedded database answers them one after the other.
    await new Promise((resolve) => setTimeout(resolve, 300));
    first.hub.kill('SIGTERM');
    const answers = await Promise.all(inFlight);
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
    for (const { body } of answers) {
      expect(body.errors).toBeUndefined();
      expect(body.data?.territories?.length).toBeGreaterThan(60);
    }
    expect(await first.hub.exited).toBe(0);
    expect(first.hub.output).toContain('SIGTERM: stopping');
    expect(fs.existsSync(path.join(folder, 'pglite.lock'))).toBe(false);

    // Closed cleanly: the next owner opens the folder without taking over any lock, and reads the data.
    first = await startHub();
    expect(first.hub.output).not.toMatch(/took over/);
    const { data } = await postGraphQL(first.url, STRASBOURG);
    expect(data.territory.airStations.length).toBeGreaterThan(0);
  });

  it('`npm start` stopped by a supervisor (SIGTERM to npm) stops node gracefully and leaves no process behind', async () => {
    first.hub.kill('SIGTERM');
    expect(await first.hub.exited).toBe(0);
    const npm = watched(spawnCommand('npm', ['start'], env));
    await npm.waitFor(/ready in \d+ ms/, 180_000);
    const node = execFileSync('pgrep', ['-P', String(npm.pid)], { encoding: 'utf8' }).trim();
    npm.kill('SIGTERM');
    expect(await npm.exited).toBe(0);
    expect(npm.output).toContain('SIGTERM: stopping');
    expect(() => process.kill(Number(node), 0)).toThrow();
    expect(fs.existsSync(path.join(folder, 'pglite.lock'))).toBe(false);
  });

  it('no process ever resolved or reached a host beyond this machine (no telemetry, no cloud metadata probe)', () => {
    expect(spawned.length).toBeGreaterThan(8);
    expect(spawned.flatMap((s) => s.output.split('\n').filter((line) => line.startsWith('TIGA-OUTBOUND')))).toEqual([]);
  });
});
