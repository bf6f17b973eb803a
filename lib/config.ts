import path from 'node:path';
import { fileURLToPath } from 'node:url';

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
  auth: AuthConfig;
  /** A service's port, URL and database, from `<NAME>_PORT`, `<NAME>_URL`, `<NAME>_DATABASE_URL`. */
  service(name: string, defaultPort?: number): ServiceConfig;
  /** A producer's own setting (declared in its definition), read from the same environment. */
  setting(spec: IntSetting): number;
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
    ingestToken: env.TIGA_TOKEN || undefined,
    sourcesFile: env.TIGA_SOURCES ? path.resolve(PROJECT_ROOT, env.TIGA_SOURCES) : undefined,
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
