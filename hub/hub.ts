import path from 'node:path';
import { SUBGRAPH_NAMES, type Config, type SubgraphName } from '../lib/config.ts';
import { openEmbedded, openPostgres, scopedTo, type Database } from '../lib/db.ts';
import { createSubgraphApp, listen, prepareDatabase, type RunningServer } from '../lib/subgraph.ts';
import { verifierFromConfig } from '../lib/auth/setup.ts';
import { recordAccess } from '../lib/audit.ts';
import { createGatewayApp } from '../gateway/gateway.ts';
import { SUBGRAPHS } from '../subgraphs/registry.ts';
import { loadReferential } from '../seeds/referential.ts';
import type { SeedReport } from '../seeds/types.ts';
import { runQualityControl } from '../subgraphs/community/quality.ts';

export interface HubOptions {
  /** The embedded database folder, or `memory://`. @default <dataDir>/pglite */
  embeddedDir?: string;
  /** An already open database all subgraphs share (tests); the hub then neither opens nor closes one. */
  database?: Database;
  /** Listen on free ports instead of the configured ones (tests). @default false */
  anyPorts?: boolean;
  log?: (line: string) => void;
}

export interface Hub {
  gatewayUrl: string;
  subgraphs: Record<SubgraphName, { url: string; db: Database }>;
  timings: { databaseMs: number; migrateMs: number; seedMs: number; startMs: number };
  seeded: SeedReport[];
  close(): Promise<void>;
}

/**
 * Opens one database per subgraph: a subgraph with a database URL gets its own PostgreSQL pool; the others
 * share the single embedded PGlite session (each through its own scoped knex), opened only if needed.
 */
async function openDatabases(config: Config, embeddedDir: string): Promise<{ dbs: Record<SubgraphName, Database>; close(): Promise<void> }> {
  const needsEmbedded = SUBGRAPH_NAMES.some((name) => !config.subgraphs[name].databaseUrl);
  const embedded = needsEmbedded ? await openEmbedded(embeddedDir) : undefined;
  const dbs = Object.fromEntries(
    SUBGRAPH_NAMES.map((name) => {
      const url = config.subgraphs[name].databaseUrl;
      return [name, url ? openPostgres(url) : scopedTo(embedded!, name)];
    }),
  ) as Record<SubgraphName, Database>;
  return {
    dbs,
    close: async () => {
      await Promise.all(Object.values(dbs).map((db) => db.close()));
      await embedded?.close();
    },
  };
}

/** All subgraphs over one already open database (tests); closing it stays its opener's job. */
function sharedDatabase(db: Database): { dbs: Record<SubgraphName, Database>; close(): Promise<void> } {
  const dbs = Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, scopedTo(db, name)])) as Record<SubgraphName, Database>;
  return { dbs, close: async () => {} };
}

/** Migrates, seeds (when empty) and starts the four subgraphs and the gateway in this process. */
export async function startHub(config: Config, options: HubOptions = {}): Promise<Hub> {
  const log = options.log ?? (() => {});
  const started = Date.now();
  const { dbs, close: closeDatabases } = options.database
    ? sharedDatabase(options.database)
    : await openDatabases(config, options.embeddedDir ?? path.join(config.dataDir, 'pglite'));
  const databaseMs = Date.now() - started;

  let mark = Date.now();
  for (const name of SUBGRAPH_NAMES) await prepareDatabase(SUBGRAPHS[name].definition, dbs[name]);
  const migrateMs = Date.now() - mark;

  mark = Date.now();
  const seeded: SeedReport[] = [];
  if (config.seedOnStart === 'auto') {
    const referential = loadReferential(config.sharedDataDir);
    log(`referential: ${referential.source} (${referential.sourceLabel})`);
    for (const name of SUBGRAPH_NAMES) {
      const report = await SUBGRAPHS[name].seed(dbs[name].knex, referential, { scale: config.seedScale, secrecyThreshold: config.secrecyThreshold });
      if (Object.keys(report.rows).length) log(`seeded ${name}: ${JSON.stringify(report.rows)}`);
      seeded.push(report);
    }
  }
  for (const name of SUBGRAPH_NAMES) await SUBGRAPHS[name].definition.refresh?.(dbs[name], config);
  const seedMs = Date.now() - mark;

  const verifier = await verifierFromConfig(config);
  const servers: RunningServer[] = [];
  const subgraphs = {} as Hub['subgraphs'];
  for (const name of SUBGRAPH_NAMES) {
    const { app } = await createSubgraphApp(SUBGRAPHS[name].definition, dbs[name], { verifier });
    const server = await listen(app, options.anyPorts ? 0 : config.subgraphs[name].port, config.host);
    servers.push(server);
    subgraphs[name] = { url: server.url, db: dbs[name] };
    log(`subgraph ${name} on ${server.url}`);
  }
  const subgraphUrls = Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, subgraphs[name].url])) as Record<SubgraphName, string>;
  // The gateway's audit records go where the platform subgraph (which serves them to auditors) reads.
  const auditDb = dbs.platform;
  const { app, server: apollo } = await createGatewayApp({
    subgraphUrls,
    verifier,
    mode: config.auth.mode,
    audit: (entry) => recordAccess(auditDb.knex, entry),
  });
  const gateway = await listen(app, options.anyPorts ? 0 : config.gatewayPort, config.host);
  log(`gateway on ${gateway.url} (GraphiQL: open it in a browser)`);

  const qualityControl = scheduleQualityControl(config, dbs.community, gateway.url, log);

  return {
    gatewayUrl: gateway.url,
    subgraphs,
    timings: { databaseMs, migrateMs, seedMs, startMs: Date.now() - started },
    seeded,
    close: async () => {
      qualityControl.stop();
      await gateway.close();
      await apollo.stop();
      for (const server of servers) await server.close();
      await closeDatabases();
    },
  };
}

/**
 * Citizen-sensor quality control reads the reference stations through the hub's own public API, so it
 * runs once the gateway is up, then every `qcIntervalMinutes` (0: never), without delaying start-up.
 */
function scheduleQualityControl(config: Config, db: Database, apiUrl: string, log: (line: string) => void): { stop(): void } {
  if (config.qcIntervalMinutes <= 0) return { stop: () => {} };
  const run = () =>
    runQualityControl(db, { apiUrl })
      .then((results) => log(`quality control: ${results.length} citizen sensors scored`))
      .catch((error: Error) => log(`quality control failed: ${error.message}`));
  const first = setTimeout(run, 5_000);
  const every = setInterval(run, config.qcIntervalMinutes * 60_000);
  first.unref();
  every.unref();
  return {
    stop: () => {
      clearTimeout(first);
      clearInterval(every);
    },
  };
}
