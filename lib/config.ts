import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The four producers, each a subgraph owning the PostgreSQL schema of the same name, and `platform`, the
 * hub's own subgraph (audit log), which owns no producer data.
 */
export const SUBGRAPH_NAMES = ['adeus', 'atmo', 'orsal', 'community', 'platform'] as const;
export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const DEFAULT_PORTS: Record<SubgraphName | 'gateway', number> = {
  gateway: 4000,
  atmo: 4001,
  orsal: 4002,
  adeus: 4003,
  community: 4004,
  platform: 4005,
};

export interface SubgraphConfig {
  name: SubgraphName;
  /** `<NAME>_PORT`. @default 4001 atmo · 4002 orsal · 4003 adeus · 4004 community · 4005 platform */
  port: number;
  /** Where the gateway reaches it: `<NAME>_URL`. @default http://localhost:<port>/graphql */
  url: string;
  /** `<NAME>_DATABASE_URL`, else `DATABASE_URL`. @default undefined (embedded PGlite) */
  databaseUrl: string | undefined;
}

export interface Config {
  /** `DATABASE_URL`: a real PostgreSQL + PostGIS. @default undefined, which means the embedded PGlite. */
  databaseUrl: string | undefined;
  /** `AUDIT_DATABASE_URL`: where a standalone gateway writes audit records. @default DATABASE_URL, else embedded */
  auditDatabaseUrl: string | undefined;
  /** `TIGA_DATA_DIR`: where the embedded database (and, later, keys) live. @default ./data */
  dataDir: string;
  /** `TIGA_SHARED_DATA`: the real reference data (territory boundaries). @default ../shared/data */
  sharedDataDir: string;
  /** `GATEWAY_PORT`. @default 4000 */
  gatewayPort: number;
  /** `HOST`: the interface servers bind. @default 127.0.0.1 (0.0.0.0 in containers) */
  host: string;
  /** `SEED_SCALE`: multiplies the seed volumes (station history, sensors) for benchmarks. @default 1 */
  seedScale: number;
  /** `TIGA_SEED`: `auto` seeds an empty database on start, `never` leaves it empty. @default auto */
  seedOnStart: 'auto' | 'never';
  /** `TIGA_API_URL`: the hub's public GraphQL API, for jobs that read other producers' open data. @default http://localhost:<gatewayPort>/graphql */
  apiUrl: string;
  /** `TIGA_QC_INTERVAL_MINUTES`: how often `npm start` recomputes citizen-sensor quality (0: never). @default 60 */
  qcIntervalMinutes: number;
  subgraphs: Record<SubgraphName, SubgraphConfig>;
  auth: AuthConfig;
  /** `TIGA_SECRECY_THRESHOLD`: health values from fewer cases are not disclosed openly. @default 11 */
  secrecyThreshold: number;
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
  /** `TIGA_ACCESS_MODE`: `filter` removes unauthorized fields and answers the rest; `reject` fails the operation. @default filter */
  mode: 'filter' | 'reject';
}

function intFrom(env: NodeJS.ProcessEnv, key: string, fallback: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${key} must be a non-negative number, got "${raw}"`);
  return value;
}

/** The only place that reads process.env: everything else receives a typed Config. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const databaseUrl = env.DATABASE_URL || undefined;
  const subgraphs = Object.fromEntries(
    SUBGRAPH_NAMES.map((name) => {
      const upper = name.toUpperCase();
      const port = intFrom(env, `${upper}_PORT`, DEFAULT_PORTS[name]);
      return [
        name,
        {
          name,
          port,
          url: env[`${upper}_URL`] || `http://localhost:${port}/graphql`,
          databaseUrl: env[`${upper}_DATABASE_URL`] || databaseUrl,
        },
      ];
    }),
  ) as Record<SubgraphName, SubgraphConfig>;
  const seed = env.TIGA_SEED ?? 'auto';
  if (seed !== 'auto' && seed !== 'never') throw new Error(`TIGA_SEED must be "auto" or "never", got "${seed}"`);
  return {
    databaseUrl,
    auditDatabaseUrl: env.AUDIT_DATABASE_URL || databaseUrl,
    dataDir: path.resolve(PROJECT_ROOT, env.TIGA_DATA_DIR || 'data'),
    sharedDataDir: path.resolve(PROJECT_ROOT, env.TIGA_SHARED_DATA || '../shared/data'),
    gatewayPort: intFrom(env, 'GATEWAY_PORT', DEFAULT_PORTS.gateway),
    host: env.HOST || '127.0.0.1',
    seedScale: intFrom(env, 'SEED_SCALE', 1) || 1,
    seedOnStart: seed,
    apiUrl: env.TIGA_API_URL || `http://localhost:${intFrom(env, 'GATEWAY_PORT', DEFAULT_PORTS.gateway)}/graphql`,
    qcIntervalMinutes: intFrom(env, 'TIGA_QC_INTERVAL_MINUTES', 60),
    subgraphs,
    auth: {
      jwks: env.TIGA_JWKS || undefined,
      issuer: env.TIGA_JWT_ISSUER || 'tiga-hub',
      audience: env.TIGA_JWT_AUDIENCE || 'tiga-hub',
      clockToleranceSeconds: Math.min(intFrom(env, 'TIGA_CLOCK_TOLERANCE', 30), 300),
      mode: accessMode(env.TIGA_ACCESS_MODE),
    },
    secrecyThreshold: intFrom(env, 'TIGA_SECRECY_THRESHOLD', 11),
  };
}

function accessMode(value: string | undefined): 'filter' | 'reject' {
  if (value === undefined || value === '' || value === 'filter') return 'filter';
  if (value === 'reject') return 'reject';
  throw new Error(`TIGA_ACCESS_MODE must be "filter" or "reject", got "${value}"`);
}

export function isSubgraphName(value: string): value is SubgraphName {
  return (SUBGRAPH_NAMES as readonly string[]).includes(value);
}
