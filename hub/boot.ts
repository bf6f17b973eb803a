import type { Config } from '../lib/config.ts';
import type { Database } from '../lib/db.ts';
import { settingsOf, type ProducerDefinition } from '../lib/producer.ts';
import { lockIfEmbedded, openDatabases, type DatabasePlan, type Databases } from '../lib/runtime/databases.ts';
import type { Lifecycle } from '../lib/runtime/lifecycle.ts';
import { migrateServices } from '../lib/runtime/migrations.ts';
import { claimPort, type ClaimedServer } from '../lib/runtime/server.ts';
import type { InProcessSubgraph } from '../lib/inProcessSubgraph.ts';
import { createSubgraphApp } from '../lib/subgraph.ts';
import type { TokenVerifier } from '../lib/auth/verify.ts';
import { producerNamed } from '../subgraphs/registry.ts';
import { SEEDERS } from '../seeds/index.ts';
import { loadReferential } from '../seeds/referential.ts';
import type { SeedReport } from '../seeds/types.ts';
import { pullOnce, readSources } from '../lib/ingest/pull.ts';

/** What an entry point asks of the boot path. */
export interface BootSpec {
  /** Shown in the data folder's lock and in logs: `hub`, `subgraph atmo`, `seed`, `ingest`… */
  role: string;
  /** Producers (registry names) this process serves or works on, in registry order. */
  producers: string[];
  /** Seed empty producers with the synthetic seed. */
  seed: boolean;
  /** Servers to listen on before the database opens, by name (a producer's, or `gateway`); port 0 = any free port. */
  ports?: Record<string, number>;
  /** An already open database every producer shares (tests): no lock, and closing it stays its opener's job. */
  database?: Database;
  log: (line: string) => void;
}

export interface Booted {
  config: Config;
  lifecycle: Lifecycle;
  producers: ProducerDefinition[];
  settings: Record<string, unknown>;
  dbs: Databases;
  servers: Record<string, ClaimedServer>;
  seeded: SeedReport[];
  timings: { databaseMs: number; migrateMs: number; seedMs: number };
  log: (line: string) => void;
}

/**
 * The one boot path of every entry point that works on producers (hub, one subgraph, seed, ingest, jobs):
 * the data folder's lock (embedded database), the ports, the one database opener, the one migration
 * step, seeding when asked, then each producer's `refresh`. Everything it starts is registered on
 * `lifecycle`, so one `lifecycle.stop()` undoes it in reverse.
 */
export async function bootProducers(config: Config, lifecycle: Lifecycle, spec: BootSpec): Promise<Booted> {
  const producers = spec.producers.map(producerNamed);
  const plan: DatabasePlan = new Map(producers.map((p) => [p.name, spec.database ? undefined : config.service(p.name, p.defaultPort).databaseUrl]));
  const lock = spec.database ? undefined : lockIfEmbedded(config, plan, spec.role, lifecycle, spec.log);

  const servers: Record<string, ClaimedServer> = {};
  for (const [name, port] of Object.entries(spec.ports ?? {})) {
    const server = await claimPort(port, config.host);
    servers[name] = server;
    lifecycle.onStop(`${name} server`, () => server.close(config.shutdownTimeoutMs));
  }

  const started = Date.now();
  const dbs = await openDatabases(config, plan, lifecycle, { lock, shared: spec.database });
  const databaseMs = Date.now() - started;

  let mark = Date.now();
  const applied = await migrateServices(dbs, producers);
  for (const [schema, names] of Object.entries(applied)) if (names.length) spec.log(`migrated ${schema}: ${names.join(', ')}`);
  const migrateMs = Date.now() - mark;

  mark = Date.now();
  const settings = Object.fromEntries(producers.map((p) => [p.name, settingsOf(p, config)]));
  const seeded: SeedReport[] = [];
  const seeders = producers.filter((p) => SEEDERS[p.name]);
  if (spec.seed && seeders.length) {
    const referential = loadReferential(config.sharedDataDir);
    spec.log(`referential: ${referential.source} (${referential.sourceLabel})`);
    for (const producer of seeders) {
      const report = await SEEDERS[producer.name]!(dbs.of(producer.name).knex, referential, { scale: config.seedScale });
      if (Object.keys(report.rows).length) spec.log(`seeded ${producer.name}: ${JSON.stringify(report.rows)}`);
      seeded.push(report);
    }
  }
  for (const producer of producers) await producer.refresh?.(dbs.of(producer.name), settings[producer.name]);
  const seedMs = Date.now() - mark;

  return { config, lifecycle, producers, settings, dbs, servers, seeded, timings: { databaseMs, migrateMs, seedMs }, log: spec.log };
}

/** Serves each producer's subgraph on the port claimed for it; Apollo stops before the database closes. */
export async function serveProducers(booted: Booted, verifier: TokenVerifier): Promise<Record<string, { url: string; db: Database; inProcess: InProcessSubgraph }>> {
  const served: Record<string, { url: string; db: Database; inProcess: InProcessSubgraph }> = {};
  for (const producer of booted.producers) {
    const server = booted.servers[producer.name];
    if (!server) continue;
    const db = booted.dbs.of(producer.name);
    const { app, server: apollo, inProcess } = await createSubgraphApp(producer, db, { verifier, settings: booted.settings[producer.name], costBudget: booted.config.costBudget });
    booted.lifecycle.onStop(`${producer.name} subgraph`, () => apollo.stop());
    server.attach(app);
    served[producer.name] = { url: server.url, db, inProcess };
  }
  // Registered after the subgraphs: servers drain (LIFO) before their Apollo stops and the database closes.
  for (const producer of booted.producers) {
    const server = booted.servers[producer.name];
    if (server) booted.lifecycle.onStop(`${producer.name} drain`, () => server.close(booted.config.shutdownTimeoutMs));
  }
  return served;
}

/**
 * Runs the producers' jobs in this process: once `firstDelayMs` after start-up (the API they read must be
 * up), then every `intervalMinutes`. A failure is logged and retried at the next run.
 */
export function scheduleJobs(booted: Booted, apiUrl: string, firstDelayMs = 5_000): void {
  for (const producer of booted.producers) {
    const settings = booted.settings[producer.name];
    for (const job of producer.jobs) {
      const minutes = job.intervalMinutes(settings);
      if (minutes <= 0) continue;
      const run = () =>
        job
          .run({ db: booted.dbs.of(producer.name), settings, apiUrl, log: booted.log })
          .then(booted.log)
          .catch((error: Error) => booted.log(`${producer.name}/${job.name} failed: ${error.message}`));
      const first = setTimeout(run, firstDelayMs);
      const every = setInterval(run, minutes * 60_000);
      first.unref();
      every.unref();
      booted.lifecycle.onStop(`${producer.name}/${job.name} schedule`, () => {
        clearTimeout(first);
        clearInterval(every);
      });
    }
  }
}

/**
 * Pulls the web sources declared for the producers this process serves (`TIGA_SOURCES`), each on its own
 * schedule: once shortly after start-up, then every `everyMinutes`. A failure is recorded in the ingest
 * history and retried at the next run.
 */
export function schedulePulls(booted: Booted): void {
  if (!booted.config.sourcesFile) return;
  const sources = readSources(booted.config.sourcesFile).filter((s) => booted.producers.some((p) => p.name === s.producer));
  for (const source of sources) {
    const producer = booted.producers.find((p) => p.name === source.producer)!;
    const run = () =>
      pullOnce(booted.dbs.of(producer.name), producer, source)
        .then((outcome) => booted.log(`pull ${producer.name}/${source.name}: ${outcome.status}${outcome.report ? ` (inserted ${outcome.report.inserted}, updated ${outcome.report.updated})` : ''}${outcome.error ? `: ${outcome.error}` : ''}`))
        .catch((error: Error) => booted.log(`pull ${producer.name}/${source.name} failed: ${error.message}`));
    const first = setTimeout(run, 10_000);
    const every = setInterval(run, source.everyMinutes * 60_000);
    first.unref();
    every.unref();
    booted.lifecycle.onStop(`${producer.name}/${source.name} pulls`, () => {
      clearTimeout(first);
      clearInterval(every);
    });
  }
  booted.log(`pulling ${sources.length} source(s) from ${booted.config.sourcesFile}`);
}
