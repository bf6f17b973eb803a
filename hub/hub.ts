import type { Config } from '../lib/config.ts';
import type { Database } from '../lib/db.ts';
import { verifierFromConfig } from '../lib/auth/setup.ts';
import { recordAccess } from '../lib/audit.ts';
import { Lifecycle } from '../lib/runtime/lifecycle.ts';
import { createGatewayApp, gatewaySettings } from '../gateway/gateway.ts';
import { changeSourcesOf } from '../lib/changes/changeSourcesOf.ts';
import type { EntityCache } from '../gateway/cache/EntityCache.ts';
import type { AnswerCache } from '../gateway/cache/AnswerCache.ts';
import { PRODUCERS, PRODUCER_NAMES } from '../subgraphs/registry.ts';
import type { SeedReport } from '../seeds/types.ts';
import { bootProducers, scheduleJobs, schedulePulls, serveProducers } from './boot.ts';

export interface HubOptions {
  /** An already open database all subgraphs share (tests); the hub then neither opens nor closes one. */
  database?: Database;
  /** Listen on free ports instead of the configured ones (tests). @default false */
  anyPorts?: boolean;
  /** The process's shutdown path (entry points); a hub of its own otherwise, stopped by `close()`. */
  lifecycle?: Lifecycle;
  log?: (line: string) => void;
}

export interface Hub {
  gatewayUrl: string;
  subgraphs: Record<string, { url: string; db: Database }>;
  /** One subgraph's URL and database (throws for a name the registry does not hold). */
  subgraph(name: string): { url: string; db: Database };
  /** The gateway's entity cache (gateway/cache/), when on. */
  entityCache?: EntityCache;
  /** The gateway's whole-answer cache (gateway/cache/AnswerCache.ts), on top of the entity cache. */
  answerCache?: AnswerCache;
  timings: { databaseMs: number; migrateMs: number; seedMs: number; startMs: number };
  seeded: SeedReport[];
  close(): Promise<void>;
}

/** Every producer's subgraph and the gateway in this process, on the one boot path. */
export async function startHub(config: Config, options: HubOptions = {}): Promise<Hub> {
  const log = options.log ?? (() => {});
  const lifecycle = options.lifecycle ?? new Lifecycle(log);
  const started = Date.now();
  const port = (configured: number) => (options.anyPorts ? 0 : configured);
  const ports: Record<string, number> = { gateway: port(config.gatewayPort) };
  for (const producer of PRODUCERS) ports[producer.name] = port(config.service(producer.name, producer.defaultPort).port);
  try {
    const booted = await bootProducers(config, lifecycle, {
      role: 'hub',
      producers: [...PRODUCER_NAMES],
      seed: config.seedOnStart === 'auto',
      ports,
      database: options.database,
      log,
    });
    const verifier = await verifierFromConfig(config);
    const subgraphs = await serveProducers(booted, verifier);
    for (const [name, { url }] of Object.entries(subgraphs)) log(`subgraph ${name} on ${url}`);

    // The gateway's audit records go where the platform subgraph (which serves them to auditors) reads.
    const auditDb = booted.dbs.of('platform');
    const { app, server: apollo, entityCache, answerCache } = await createGatewayApp({
      subgraphUrls: Object.fromEntries(Object.entries(subgraphs).map(([name, { url }]) => [name, url])),
      // One process: the gateway calls its subgraphs in process (their HTTP ports still answer everyone else).
      inProcess: config.inProcess ? Object.fromEntries(Object.entries(subgraphs).map(([name, { inProcess }]) => [name, inProcess])) : undefined,
      verifier,
      ...gatewaySettings(config),
      audit: (entry) => recordAccess(auditDb.knex, entry),
      answerCache: config.answerCache,
      changes: config.entityCache ? changeSourcesOf(PRODUCERS.map((producer) => booted.dbs.of(producer.name))) : undefined,
    });
    const gateway = booted.servers.gateway!;
    lifecycle.onStop('gateway', () => apollo.stop());
    gateway.attach(app);
    lifecycle.onStop('gateway drain', () => gateway.close(config.shutdownTimeoutMs));
    booted.dbs.lock?.update({ gatewayUrl: gateway.url });
    log(`gateway on ${gateway.url} (GraphiQL: open it in a browser)`);

    // Jobs read the hub's own public API (e.g. sensor quality control reads ATMO's stations there).
    scheduleJobs(booted, gateway.url);
    schedulePulls(booted);
    return {
      gatewayUrl: gateway.url,
      entityCache,
      answerCache,
      subgraphs,
      subgraph: (name) => {
        const found = subgraphs[name];
        if (!found) throw new Error(`the hub serves no subgraph "${name}"`);
        return found;
      },
      timings: { ...booted.timings, startMs: Date.now() - started },
      seeded: booted.seeded,
      close: () => lifecycle.stop(),
    };
  } catch (error) {
    if (!options.lifecycle) await lifecycle.stop().catch(() => {});
    throw error;
  }
}
