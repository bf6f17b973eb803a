import { stringify } from 'yaml';
import { envPrefix } from '../lib/config.ts';
import type { ProducerDefinition } from '../lib/producer.ts';

const DATABASE_URL = 'postgres://tiga:tiga@db:5432/tiga';
const GATEWAY_PORT = 4000;
/** The image's data volume (the Dockerfile's VOLUME, owned by its `node` user) and the shared keys volume inside it. */
const DATA_DIR = '/var/lib/tiga';
const KEYS_MOUNT = `keys:${DATA_DIR}/keys`;

/** What every service of the image is told: production mode, no call home, where its data and the shared JWKS are. */
const common = {
  NODE_ENV: 'production',
  // @apollo/gateway would otherwise send usage metrics to Apollo and probe cloud metadata endpoints.
  APOLLO_TELEMETRY_DISABLED: 'true',
  HOST: '0.0.0.0',
  TIGA_DATA_DIR: DATA_DIR,
  TIGA_JWKS: `${DATA_DIR}/keys/jwks.json`,
};

/** Readiness, not liveness: a subgraph is healthy when its database answers, the gateway when every subgraph is. */
const healthcheck = (port: number) => ({
  test: ['CMD', 'node', '-e', `fetch('http://127.0.0.1:${port}/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`],
  interval: '5s',
  timeout: '5s',
  retries: 30,
  start_period: '20s',
});

const afterKeys = { keys: { condition: 'service_completed_successfully' } };

/**
 * docker-compose.yml (Compose Specification, `docker compose` v2), derived from the registry by `npm run compose`:
 * PostGIS; `keys`, a one-shot init step that makes the hub's signing key pair once in a shared volume; one
 * service per subgraph (each migrates its schema under the hub's migration lock and seeds it when empty);
 * the gateway, which reaches the subgraphs on the compose network only. Every service trusts the one JWKS
 * the init step wrote (mounted read-only), so a token the gateway forwards verifies at every subgraph.
 */
export function dockerCompose(producers: readonly ProducerDefinition[]): string {
  const services: Record<string, unknown> = {
    db: {
      image: 'postgis/postgis:15-3.4',
      environment: { POSTGRES_USER: 'tiga', POSTGRES_PASSWORD: 'tiga', POSTGRES_DB: 'tiga' },
      volumes: ['pgdata:/var/lib/postgresql/data'],
      healthcheck: { test: ['CMD-SHELL', 'pg_isready -U tiga -d tiga'], interval: '5s', timeout: '5s', retries: 20 },
    },
    keys: {
      build: '.',
      command: ['node', '--import', 'tsx', 'scripts/keys.ts'],
      environment: { NODE_ENV: 'production', APOLLO_TELEMETRY_DISABLED: 'true', TIGA_DATA_DIR: DATA_DIR },
      volumes: [KEYS_MOUNT],
      // It exits once the key exists: the image's HEALTHCHECK (the whole hub's /ready) is not its own.
      healthcheck: { disable: true },
    },
  };
  for (const producer of producers) {
    services[producer.name] = {
      build: '.',
      restart: 'unless-stopped',
      command: ['node', '--import', 'tsx', 'hub/subgraph.ts', producer.name],
      environment: {
        ...common,
        DATABASE_URL,
        [`${envPrefix(producer.name)}_PORT`]: String(producer.defaultPort),
        TIGA_SHARED_DATA: '/shared/data',
        TIGA_API_URL: `http://gateway:${GATEWAY_PORT}/graphql`,
      },
      expose: [String(producer.defaultPort)],
      volumes: [`${KEYS_MOUNT}:ro`, '../shared/data:/shared/data:ro'],
      depends_on: { db: { condition: 'service_healthy' }, ...afterKeys },
      healthcheck: healthcheck(producer.defaultPort),
    };
  }
  services.gateway = {
    build: '.',
    restart: 'unless-stopped',
    command: ['node', '--import', 'tsx', 'gateway/index.ts'],
    environment: {
      ...common,
      GATEWAY_PORT: String(GATEWAY_PORT),
      // The open contract's schema is public: GraphiQL's docs and code generators read it. `false` turns it off.
      TIGA_INTROSPECTION: 'true',
      ...Object.fromEntries(producers.map((p) => [`${envPrefix(p.name)}_URL`, `http://${p.name}:${p.defaultPort}/graphql`])),
      AUDIT_DATABASE_URL: DATABASE_URL,
      // Where the producers' data is: the gateway listens there for committed writes (its entity cache), and reads nothing.
      DATABASE_URL,
    },
    ports: [`${GATEWAY_PORT}:${GATEWAY_PORT}`],
    volumes: [`${KEYS_MOUNT}:ro`],
    depends_on: { ...afterKeys, ...Object.fromEntries(producers.map((p) => [p.name, { condition: 'service_healthy' }])) },
    healthcheck: healthcheck(GATEWAY_PORT),
  };
  const header = [
    '# Generated from subgraphs/registry.ts by `npm run compose`: do not edit by hand.',
    '# Compose Specification, for `docker compose` v2 (no top-level `version:`; the legacy docker-compose v1 does not read it).',
    '# The hub as separate services: PostGIS, the `keys` init step (one signing key, one JWKS for every service), one',
    '# subgraph per producer and the platform subgraph (audit log), the gateway. Only the gateway publishes a port.',
    '# Tokens: docker compose run --rm keys node --import tsx scripts/token.ts --sub alice --scopes orsal:restricted',
  ];
  return `${header.join('\n')}\n${stringify({ services, volumes: { pgdata: null, keys: null } }, { lineWidth: 0, aliasDuplicateObjects: false })}`;
}
