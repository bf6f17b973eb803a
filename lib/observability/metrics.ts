import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Knex } from 'knex';
import type { Database } from '../db.ts';

/**
 * The process's one registry. The hub runs the gateway and every subgraph in one process: each metric is
 * made once, here, and says which service it counts with a `service` label, so `/metrics` on any of the
 * process's ports shows the same series (scrape one port per process).
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'tiga_' });

let serving = true;

/** `TIGA_METRICS`: whether `/metrics` answers (off: 404, for a gateway whose port is public and no proxy filters it). */
export function serveMetrics(on: boolean): void {
  serving = on;
}

export function metricsEnabled(): boolean {
  return serving;
}

/** Seconds: from a cached introspection answer (a few ms) to a subgraph call at its deadline (5 s by default). */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export const graphqlRequests = new Counter({
  name: 'tiga_graphql_requests_total',
  help: 'GraphQL requests answered, by service, operation name and outcome (ok, partial: data with errors, error: no data).',
  labelNames: ['service', 'operation', 'outcome'] as const,
  registers: [registry],
});

export const graphqlDuration = new Histogram({
  name: 'tiga_graphql_request_duration_seconds',
  help: 'Time from a GraphQL request received to its response sent, by service and operation name.',
  labelNames: ['service', 'operation'] as const,
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});

export const graphqlErrors = new Counter({
  name: 'tiga_graphql_errors_total',
  help: 'Errors in GraphQL responses, by service, operation name and code (extensions.code).',
  labelNames: ['service', 'operation', 'code'] as const,
  registers: [registry],
});

export const subgraphFetchDuration = new Histogram({
  name: 'tiga_subgraph_fetch_duration_seconds',
  help: "Time of one gateway → subgraph call, by subgraph and outcome (ok, timeout, unreachable).",
  labelNames: ['subgraph', 'outcome'] as const,
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});

export const subgraphFetchFailures = new Counter({
  name: 'tiga_subgraph_fetch_failures_total',
  help: "Gateway → subgraph calls that got no GraphQL answer (the producer's fields were null), by subgraph and reason (timeout, unreachable).",
  labelNames: ['subgraph', 'reason'] as const,
  registers: [registry],
});

export const answerCacheLookups = new Counter({
  name: 'tiga_gateway_answer_cache_lookups_total',
  help: "The gateway's answer cache: lookups of whole anonymous answers, by result (hit: replayed, no subgraph called; miss).",
  labelNames: ['result'] as const,
  registers: [registry],
});

export const entityCacheLookups = new Counter({
  name: 'tiga_gateway_cache_lookups_total',
  help: "The gateway's entity cache: lookups of open subgraph answers, by subgraph, kind (entity: one _entities representation; root: a root fetch) and result (hit, miss).",
  labelNames: ['subgraph', 'kind', 'result'] as const,
  registers: [registry],
});

const rateLimited = new Counter({
  name: 'tiga_rate_limited_requests_total',
  help: 'Requests refused with 429 by the load shedding, by reason.',
  labelNames: ['reason'] as const,
  registers: [registry],
});

const authFailures = new Counter({
  name: 'tiga_auth_failures_total',
  help: 'Requests whose credentials were refused (UNAUTHENTICATED), by service.',
  labelNames: ['service'] as const,
  registers: [registry],
});

const ingestRuns = new Counter({
  name: 'tiga_ingest_runs_total',
  help: 'Ingest runs recorded in the ingest history, by producer, channel (cli, push, mutation, pull) and status (committed, refused, failed, unchanged).',
  labelNames: ['producer', 'channel', 'status'] as const,
  registers: [registry],
});

const ingestLastRun = new Gauge({
  name: 'tiga_ingest_last_run_timestamp_seconds',
  help: 'When the last ingest run of each producer and status was recorded (Unix time): alert on a producer whose last committed run is old.',
  labelNames: ['producer', 'status'] as const,
  registers: [registry],
});

/** Counts one request refused by the rate limiter (`reason`: e.g. `token`, `address`, `concurrency`). */
export function countRateLimited(reason: string): void {
  rateLimited.inc({ reason });
}

/** Counts one request whose token was refused. */
export function countAuthFailure(service: string): void {
  authFailures.inc({ service });
}

/** Counts one ingest run, as the ingest history records it. */
export function countIngestRun(run: { producer: string; channel: string; status: string }): void {
  ingestRuns.inc({ producer: run.producer, channel: run.channel, status: run.status });
  ingestLastRun.set({ producer: run.producer, status: run.status }, Date.now() / 1000);
}

/** A database the process holds, as the pool gauges read it: its knex and the statements it is running now. */
interface ObservedDatabase {
  knex: Knex;
  engine: Database['engine'];
  inFlight: Set<unknown>;
  /** Who observes it: a database shared by several services' lifecycles (tests) is reported until the last one stops. */
  observers: number;
  /** Stops listening to its events. */
  stop: () => void;
}

const databases = new Map<string, ObservedDatabase>();

/** tarn's pool, as knex holds it (knex does not type `client.pool`). */
interface TarnPool {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
  numPendingCreates(): number;
}

new Gauge({
  name: 'tiga_db_pool_connections',
  help: 'Connections of each database pool: used (lent to a query or transaction), free (idle), pending (queries waiting for one). The embedded PGlite has one connection.',
  labelNames: ['database', 'engine', 'state'] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const [database, { knex, engine }] of databases) {
      const pool = (knex.client as { pool?: TarnPool }).pool;
      if (!pool) continue;
      this.set({ database, engine, state: 'used' }, pool.numUsed());
      this.set({ database, engine, state: 'free' }, pool.numFree());
      this.set({ database, engine, state: 'pending' }, pool.numPendingAcquires() + pool.numPendingCreates());
    }
  },
});

new Gauge({
  name: 'tiga_db_queries_in_flight',
  help: 'SQL statements sent and not yet answered, by database: on the embedded PGlite (one session), the queue every request waits in.',
  labelNames: ['database', 'engine'] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const [database, { engine, inFlight }] of databases) this.set({ database, engine }, inFlight.size);
  },
});

const observed = new WeakMap<Knex, ObservedDatabase>();

/**
 * Reports `db`'s pool and in-flight statements under `name` (a database name, never its URL: credentials) until
 * the returned function is called. Views made with `scopedTo` share their base's pool and events: observe the
 * base. Observing the same knex again only renames it; it is reported until every observer has stopped.
 */
export function observeDatabase(name: string, db: Database): () => void {
  let entry = observed.get(db.knex);
  if (entry) {
    for (const [other, value] of databases) if (value === entry) databases.delete(other);
    entry.observers++;
  } else {
    const inFlight = new Set<unknown>();
    const started = (query: { __knexQueryUid?: unknown }) => void inFlight.add(query.__knexQueryUid);
    const ended = (_response: unknown, query: { __knexQueryUid?: unknown }) => void inFlight.delete(query?.__knexQueryUid);
    db.knex.on('query', started);
    db.knex.on('query-response', ended);
    db.knex.on('query-error', ended);
    const stop = () => {
      db.knex.off('query', started);
      db.knex.off('query-response', ended);
      db.knex.off('query-error', ended);
    };
    entry = { knex: db.knex, engine: db.engine, inFlight, observers: 1, stop };
    observed.set(db.knex, entry);
  }
  // Two databases may bear one name (a database of the same name on two servers; a test's own beside the hub's):
  // each keeps series of its own rather than one hiding the other.
  let label = name;
  for (let n = 2; databases.has(label) && databases.get(label) !== entry; n++) label = `${name}#${n}`;
  databases.set(label, entry);
  const mine = entry;
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    if (--mine.observers > 0) return;
    mine.stop();
    observed.delete(mine.knex);
    for (const [other, value] of databases) if (value === mine) databases.delete(other);
  };
}
