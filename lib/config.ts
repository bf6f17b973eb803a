import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_COST_BUDGET } from './cost/budget.ts';

/**
 * Expensive requests run at once, by default: every core but one, at least one. One core always stays for
 * cheap requests (measured: on 2 cores, a crowd of 50 clients, 4 slots left the embedded hub's cheap p99 at
 * 258 ms; 1 slot, 199 ms).
 */
export const DEFAULT_EXPENSIVE_SLOTS = Math.max(1, os.availableParallelism() - 1);

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Where one service (a producer's subgraph, the platform subgraph) listens, is reached and stores its data. */
export interface ServiceConfig {
  name: string;
  /** `<NAME>_PORT` (0: any free port). @default the service's own default port */
  port: number;
  /** Where a standalone gateway reaches it: `<NAME>_URL`. @default undefined: the URL the supergraph gives (its default port on localhost) */
  url: string | undefined;
  /** `<NAME>_DATABASE_URL`, else `DATABASE_URL`. @default undefined (the embedded PGlite) */
  databaseUrl: string | undefined;
}

/**
 * A setting a producer declares in its definition (e.g. ORSAL's secrecy threshold): its variable, default
 * and meaning. Values are read from the same environment snapshot as everything else in this file.
 */
export interface IntSetting {
  env: string;
  default: number;
  /** What it means, for the README's configuration table. */
  description: string;
  /** @default 0 */
  min?: number;
  max?: number;
}

export interface Config {
  /** `DATABASE_URL`: a real PostgreSQL + PostGIS. @default undefined, which means the embedded PGlite. */
  databaseUrl: string | undefined;
  /**
   * `AUDIT_DATABASE_URL`: where a standalone gateway writes its audit records. It must be where the platform
   * subgraph reads them (`accessLog`). @default PLATFORM_DATABASE_URL, else DATABASE_URL, else the embedded folder
   */
  auditDatabaseUrl: string | undefined;
  /** `TIGA_DATA_DIR`: the embedded database folder (`pglite/`), its lock and the embedded signing key. @default ./data */
  dataDir: string;
  /** `TIGA_SHARED_DATA`: the real reference data (territory boundaries). @default ../shared/data */
  sharedDataDir: string;
  /** `GATEWAY_PORT` (0: any free port). @default 4000 */
  gatewayPort: number;
  /** `HOST`: the interface servers bind. @default 127.0.0.1 (0.0.0.0 in containers) */
  host: string;
  /** `SEED_SCALE`: multiplies the seed volumes (station history, sensors) for benchmarks. @default 1 */
  seedScale: number;
  /** `TIGA_SEED`: `auto` seeds an empty database on start, `never` leaves it empty. @default auto */
  seedOnStart: 'auto' | 'never';
  /** `TIGA_API_URL`: the hub's public GraphQL API, for jobs that read other producers' open data. @default http://localhost:<gatewayPort>/graphql */
  apiUrl: string;
  /** `TIGA_SHUTDOWN_TIMEOUT_SECONDS`: how long SIGTERM/SIGINT waits for in-flight requests before closing them. @default 10 */
  shutdownTimeoutMs: number;
  /** `TIGA_SOURCES`: a YAML file of the sources producers publish on the web, pulled on a schedule (lib/ingest/pull.ts). @default undefined: none */
  sourcesFile: string | undefined;
  /** `TIGA_TOKEN`: the bearer token `npm run ingest -- --hub <url>` pushes files with. @default undefined */
  ingestToken: string | undefined;
  /** `TIGA_DB_POOL_MAX`: connections per PostgreSQL pool (one pool per distinct database URL per process). @default 10 */
  poolMax: number;
  /** `TIGA_SUBGRAPH_TIMEOUT_MS`: the deadline of one gateway → subgraph call; past it the producer's fields are null with PRODUCER_UNAVAILABLE. @default 5000 */
  subgraphTimeoutMs: number;
  /** `TIGA_STATEMENT_TIMEOUT_MS`: PostgreSQL's statement_timeout for the services' queries (ingests and migrations lift it). 0: none. @default 15000 */
  statementTimeoutMs: number;
  /** `TIGA_COST_BUDGET`: the largest estimated cost (lib/cost/) one request may have, at the gateway and in each subgraph. @default 1000000 */
  costBudget: number;
  /** Load shedding at the gateway (gateway/loadShedding.ts). */
  limits: LimitsConfig;
  /**
   * `TIGA_TRUSTED_PROXIES`: comma-separated addresses or CIDRs (or `loopback`, `uniquelocal`) of the proxies in
   * front of the gateway, whose `X-Forwarded-For` names the client and whose `X-Request-Id` is kept.
   * @default none: the socket's peer is the client, and every request gets an id of the gateway's own
   */
  trustedProxies: string[];
  /**
   * `TIGA_INTROSPECTION`: the gateway answers introspection, in every NODE_ENV, from the schema the caller may
   * see (anonymous callers: the open contract), for GraphiQL's docs and code generators. `false` turns it off.
   * Subgraphs never answer it. @default true
   */
  introspection: boolean;
  /**
   * `TIGA_CORS_ORIGINS`: the origins a browser app may call the open routes (`/graphql`, `/catalog`) from:
   * `*` (any, never with credentials) or a comma-separated list of origins (`https://data.strasbourg.eu`),
   * each echoed back with `Vary: Origin`. @default *
   */
  corsOrigins: '*' | string[];
  /**
   * `TIGA_PUBLIC_URL`: the hub's public base URL (e.g. `https://tiga.example.fr`), for the URIs of the DCAT
   * catalogue. @default undefined: the request's own scheme and host
   */
  publicUrl: string | undefined;
  /**
   * `TIGA_ENTITY_CACHE`: the gateway keeps anonymous answers of open fields (gateway/cache/), each dropped by the
   * first committed write to its producer's data; `false` turns it off. @default true
   */
  entityCache: boolean;
  /**
   * `TIGA_ANSWER_CACHE`: with the entity cache, the gateway also replays whole anonymous answers of open fields
   * (gateway/cache/AnswerCache.ts), as fresh as the entity cache; `false` turns it off. @default true
   */
  answerCache: boolean;
  /**
   * `TIGA_IN_PROCESS`: when `npm start` runs the gateway and the subgraphs in one process, the gateway calls them
   * there, without HTTP (the subgraphs' pipeline — token, cost limit, audit — runs all the same); `false` calls
   * them over HTTP on their ports. @default true
   */
  inProcess: boolean;
  observability: ObservabilityConfig;
  auth: AuthConfig;
  /** A service's port, URL and database, from `<NAME>_PORT`, `<NAME>_URL`, `<NAME>_DATABASE_URL`. */
  service(name: string, defaultPort?: number): ServiceConfig;
  /** A producer's own setting (declared in its definition), read from the same environment. */
  setting(spec: IntSetting): number;
}

export interface LimitsConfig {
  /** `TIGA_RATE_LIMIT_PER_SECOND`: requests per second one client (address, or token subject) may sustain. @default 10 */
  perSecond: number;
  /** `TIGA_RATE_LIMIT_BURST`: requests one client may send within 10 s, bursts included. @default 40 */
  burst: number;
  /** `TIGA_MAX_CONCURRENT_PER_CLIENT`: requests one client may have in flight at once (per gateway). @default 4 */
  concurrent: number;
  /** `REDIS_URL`: budgets shared by every gateway using this Redis. @default in memory, per gateway */
  redisUrl: string | undefined;
  /** `TIGA_EXPENSIVE_COST`: from this estimated cost on, a request is expensive (gateway/expensiveGate.ts): a territory's name costs 1, a list of 100 items 100. @default 100 */
  expensiveCost: number;
  /** `TIGA_EXPENSIVE_SLOTS`: expensive requests the gateway runs at once, all clients together. @default DEFAULT_EXPENSIVE_SLOTS (all cores but one) */
  expensiveSlots: number;
  /**
   * `TIGA_EXPENSIVE_SLOT_COST`: the estimated cost one slot holds: a request of this cost or more takes a slot
   * alone; smaller expensive ones share it while their costs add up to at most this. @default 10000 (a year of
   * a commune's daily indices and a few more; five 33-commune dashboards)
   */
  expensiveSlotCost: number;
  /** `TIGA_EXPENSIVE_PER_CLIENT`: expensive requests one client may have running or waiting. @default 2 */
  expensivePerClient: number;
  /** `TIGA_EXPENSIVE_WAIT_MS`: how long an expensive request may wait for a slot. @default 2000 */
  expensiveWaitMs: number;
  /** `TIGA_COST_PER_MINUTE`: cost units one client may spend per minute on expensive requests. @default 3000000 */
  costPerMinute: number;
  /** `TIGA_HUB_COST_PER_MINUTE`: cost units all clients together may spend per minute on expensive requests. @default 3000000 */
  hubCostPerMinute: number;
}

/** Logs, metrics and traces (lib/observability/; README "Operating the hub"). */
export interface ObservabilityConfig {
  /** `LOG_LEVEL`: fatal, error, warn, info (one line per GraphQL request), debug, trace or silent. @default info */
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** `TIGA_LOG_REPEAT_SECONDS`: one line per distinct warning or error per interval, the next one counting those left out; 0: every one. @default 10 */
  logRepeatIntervalMs: number;
  /** `TIGA_METRICS`: `false` turns `/metrics` off (404) on every port. @default true */
  metrics: boolean;
  /**
   * Where traces go (OTLP over HTTP), or undefined: tracing off, no exporter made, no connection. On with
   * `TIGA_TRACING=true` or an endpoint in `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (the URL itself) or
   * `OTEL_EXPORTER_OTLP_ENDPOINT` (+ `/v1/traces`; default http://localhost:4318); `TIGA_TRACING=false` or
   * `OTEL_SDK_DISABLED=true` keeps it off. `OTEL_SERVICE_NAME` names the process (default tiga-hub).
   * @default undefined
   */
  tracing: { url: string; serviceName: string } | undefined;
}

export interface AuthConfig {
  /**
   * `TIGA_JWKS`: the issuer's JWKS URL (e.g. a Keycloak realm's `/protocol/openid-connect/certs`) or a file.
   * @default undefined: the embedded key pair generated in `<dataDir>/keys` on first start
   */
  jwks: string | undefined;
  /** `TIGA_JWT_ISSUER`: the `iss` tokens must carry. @default tiga-hub */
  issuer: string;
  /** `TIGA_JWT_AUDIENCE`: the `aud` tokens must carry. @default tiga-hub */
  audience: string;
  /** `TIGA_CLOCK_TOLERANCE`: seconds of clock skew tolerated on exp/nbf (at most 300). @default 30 */
  clockToleranceSeconds: number;
  /**
   * `TIGA_TOKEN_MAX_LIFETIME_DAYS`: the longest lifetime (`exp − iat`, or `exp − now` without `iat`) a token
   * may have; a longer one is refused, so a leaked token cannot stay valid for years. @default 90
   */
  maxTokenLifetimeDays: number;
  /** `TIGA_ACCESS_MODE`: `filter` removes unauthorized fields and answers the rest; `reject` fails the operation. @default filter */
  mode: 'filter' | 'reject';
}

type Env = Readonly<Record<string, string | undefined>>;

function intFrom(env: Env, key: string, fallback: number, bounds: { min?: number; max?: number } = {}): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  const min = bounds.min ?? 0;
  if (!Number.isFinite(value) || value < min || (bounds.max !== undefined && value > bounds.max)) {
    throw new Error(`${key} must be a number${bounds.max !== undefined ? ` in ${min}..${bounds.max}` : ` ≥ ${min}`}, got "${raw}"`);
  }
  return value;
}

/** `atmo` → `ATMO`: the prefix of a service's variables. */
export const envPrefix = (name: string) => name.toUpperCase().replace(/[^A-Z0-9]/g, '_');

/** The only place that reads process.env: everything else receives a typed Config. */
export function loadConfig(processEnv: NodeJS.ProcessEnv = process.env): Config {
  const env: Env = Object.freeze({ ...processEnv });
  const databaseUrl = env.DATABASE_URL || undefined;
  const seed = env.TIGA_SEED ?? 'auto';
  if (seed !== 'auto' && seed !== 'never') throw new Error(`TIGA_SEED must be "auto" or "never", got "${seed}"`);
  const gatewayPort = intFrom(env, 'GATEWAY_PORT', 4000);
  return {
    databaseUrl,
    auditDatabaseUrl: env.AUDIT_DATABASE_URL || env.PLATFORM_DATABASE_URL || databaseUrl,
    dataDir: path.resolve(PROJECT_ROOT, env.TIGA_DATA_DIR || 'data'),
    sharedDataDir: path.resolve(PROJECT_ROOT, env.TIGA_SHARED_DATA || '../shared/data'),
    gatewayPort,
    host: env.HOST || '127.0.0.1',
    seedScale: intFrom(env, 'SEED_SCALE', 1) || 1,
    seedOnStart: seed,
    apiUrl: env.TIGA_API_URL || `http://localhost:${gatewayPort || 4000}/graphql`,
    shutdownTimeoutMs: intFrom(env, 'TIGA_SHUTDOWN_TIMEOUT_SECONDS', 10) * 1000,
    poolMax: intFrom(env, 'TIGA_DB_POOL_MAX', 10, { min: 1 }),
    subgraphTimeoutMs: intFrom(env, 'TIGA_SUBGRAPH_TIMEOUT_MS', 5000, { min: 1 }),
    statementTimeoutMs: intFrom(env, 'TIGA_STATEMENT_TIMEOUT_MS', 15_000),
    costBudget: intFrom(env, 'TIGA_COST_BUDGET', DEFAULT_COST_BUDGET, { min: 1 }),
    limits: {
      perSecond: intFrom(env, 'TIGA_RATE_LIMIT_PER_SECOND', 10, { min: 1 }),
      burst: intFrom(env, 'TIGA_RATE_LIMIT_BURST', 40, { min: 1 }),
      concurrent: intFrom(env, 'TIGA_MAX_CONCURRENT_PER_CLIENT', 4, { min: 1 }),
      redisUrl: env.REDIS_URL || undefined,
      expensiveCost: intFrom(env, 'TIGA_EXPENSIVE_COST', 100, { min: 1 }),
      expensiveSlots: intFrom(env, 'TIGA_EXPENSIVE_SLOTS', DEFAULT_EXPENSIVE_SLOTS, { min: 1 }),
      expensiveSlotCost: intFrom(env, 'TIGA_EXPENSIVE_SLOT_COST', 10_000, { min: 1 }),
      expensivePerClient: intFrom(env, 'TIGA_EXPENSIVE_PER_CLIENT', 2, { min: 1 }),
      expensiveWaitMs: intFrom(env, 'TIGA_EXPENSIVE_WAIT_MS', 2000),
      costPerMinute: intFrom(env, 'TIGA_COST_PER_MINUTE', 3_000_000, { min: 1 }),
      hubCostPerMinute: intFrom(env, 'TIGA_HUB_COST_PER_MINUTE', 3_000_000, { min: 1 }),
    },
    trustedProxies: (env.TIGA_TRUSTED_PROXIES ?? '').split(',').map((p) => p.trim()).filter(Boolean),
    ingestToken: env.TIGA_TOKEN || undefined,
    sourcesFile: env.TIGA_SOURCES ? path.resolve(PROJECT_ROOT, env.TIGA_SOURCES) : undefined,
    introspection: booleanFrom(env, 'TIGA_INTROSPECTION') ?? true,
    corsOrigins: corsOriginsFrom(env.TIGA_CORS_ORIGINS),
    publicUrl: publicUrlFrom(env.TIGA_PUBLIC_URL),
    entityCache: booleanFrom(env, 'TIGA_ENTITY_CACHE') ?? true,
    answerCache: booleanFrom(env, 'TIGA_ANSWER_CACHE') ?? true,
    inProcess: booleanFrom(env, 'TIGA_IN_PROCESS') ?? true,
    observability: observabilityFrom(env),
    auth: {
      jwks: env.TIGA_JWKS || undefined,
      issuer: env.TIGA_JWT_ISSUER || 'tiga-hub',
      audience: env.TIGA_JWT_AUDIENCE || 'tiga-hub',
      clockToleranceSeconds: Math.min(intFrom(env, 'TIGA_CLOCK_TOLERANCE', 30), 300),
      maxTokenLifetimeDays: intFrom(env, 'TIGA_TOKEN_MAX_LIFETIME_DAYS', 90, { min: 1 }),
      mode: accessMode(env.TIGA_ACCESS_MODE),
    },
    service(name, defaultPort = 0) {
      const prefix = envPrefix(name);
      const port = intFrom(env, `${prefix}_PORT`, defaultPort, { max: 65_535 });
      return {
        name,
        port,
        url: env[`${prefix}_URL`] || undefined,
        databaseUrl: env[`${prefix}_DATABASE_URL`] || databaseUrl,
      };
    },
    setting: (spec) => intFrom(env, spec.env, spec.default, spec),
  };
}

function accessMode(value: string | undefined): 'filter' | 'reject' {
  if (value === undefined || value === '' || value === 'filter') return 'filter';
  if (value === 'reject') return 'reject';
  throw new Error(`TIGA_ACCESS_MODE must be "filter" or "reject", got "${value}"`);
}

function corsOriginsFrom(value: string | undefined): '*' | string[] {
  const origins = (value ?? '*').split(',').map((origin) => origin.trim()).filter(Boolean);
  if (!origins.length || origins.includes('*')) return '*';
  for (const origin of origins) {
    // An origin is scheme://host[:port], nothing after: a path or a trailing slash would never match a browser's Origin.
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) throw new Error(`TIGA_CORS_ORIGINS must be * or origins like https://data.example.fr, got "${origin}"`);
  }
  return origins;
}

function publicUrlFrom(value: string | undefined): string | undefined {
  if (!value) return undefined;
  if (!/^https?:\/\/[^\s]+$/.test(value)) throw new Error(`TIGA_PUBLIC_URL must be an http(s) URL, got "${value}"`);
  return value.replace(/\/+$/, '');
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function booleanFrom(env: Env, key: string): boolean | undefined {
  const raw = env[key]?.toLowerCase();
  if (raw === undefined || raw === '') return undefined;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new Error(`${key} must be "true" or "false", got "${env[key]}"`);
}

function observabilityFrom(env: Env): ObservabilityConfig {
  const level = (env.LOG_LEVEL || 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new Error(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);
  const tracesUrl = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || undefined;
  const baseUrl = env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined;
  const wanted = booleanFrom(env, 'TIGA_TRACING') ?? Boolean(tracesUrl || baseUrl);
  const tracing = wanted && booleanFrom(env, 'OTEL_SDK_DISABLED') !== true;
  return {
    logLevel: level as ObservabilityConfig['logLevel'],
    logRepeatIntervalMs: intFrom(env, 'TIGA_LOG_REPEAT_SECONDS', 10) * 1000,
    metrics: booleanFrom(env, 'TIGA_METRICS') ?? true,
    tracing: tracing
      ? { url: tracesUrl ?? `${(baseUrl ?? 'http://localhost:4318').replace(/\/+$/, '')}/v1/traces`, serviceName: env.OTEL_SERVICE_NAME || 'tiga-hub' }
      : undefined,
  };
}
