import { stringify } from 'yaml';
import { envPrefix } from '../lib/config.ts';
import type { ProducerDefinition } from '../lib/producer.ts';

const DATABASE_URL = 'postgres://tiga:tiga@db:5432/tiga';

const healthcheck = (port: number) => ({
  test: ['CMD', 'node', '-e', `fetch('http://127.0.0.1:${port}/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`],
  interval: '5s',
  retries: 30,
});

/**
 * docker-compose.yml, derived from the registry by `npm run compose`: PostGIS, one service per subgraph
 * (each migrates its schema under the hub's migration lock and seeds it when empty), and the gateway,
 * which reaches the subgraphs on the compose network only.
 */
export function dockerCompose(producers: readonly ProducerDefinition[]): string {
  const services: Record<string, unknown> = {
    db: {
      image: 'postgis/postgis:15-3.4',
      environment: { POSTGRES_USER: 'tiga', POSTGRES_PASSWORD: 'tiga', POSTGRES_DB: 'tiga' },
      volumes: ['pgdata:/var/lib/postgresql/data'],
      healthcheck: { test: ['CMD-SHELL', 'pg_isready -U tiga -d tiga'], interval: '5s', timeout: '5s', retries: 20 },
    },
  };
  for (const producer of producers) {
    services[producer.name] = {
      build: '.',
      restart: 'unless-stopped',
      command: ['node', '--import', 'tsx', 'hub/subgraph.ts', producer.name],
      environment: {
        DATABASE_URL,
        [`${envPrefix(producer.name)}_PORT`]: String(producer.defaultPort),
        TIGA_SHARED_DATA: '/shared/data',
        TIGA_API_URL: 'http://gateway:4000/graphql',
      },
      volumes: ['../shared/data:/shared/data:ro'],
      depends_on: { db: { condition: 'service_healthy' } },
      healthcheck: healthcheck(producer.defaultPort),
    };
  }
  services.gateway = {
    build: '.',
    restart: 'unless-stopped',
    command: ['node', '--import', 'tsx', 'gateway/index.ts'],
    environment: {
      GATEWAY_PORT: '4000',
      ...Object.fromEntries(producers.map((p) => [`${envPrefix(p.name)}_URL`, `http://${p.name}:${p.defaultPort}/graphql`])),
      AUDIT_DATABASE_URL: DATABASE_URL,
    },
    ports: ['4000:4000'],
    depends_on: Object.fromEntries(producers.map((p) => [p.name, { condition: 'service_healthy' }])),
  };
  const header = [
    '# Generated from subgraphs/registry.ts by `npm run compose`: do not edit by hand.',
    '# The hub as separate services: PostGIS, one subgraph per producer and the platform subgraph (audit log), the gateway.',
    '# Only the gateway publishes a port; the subgraphs are reached on the compose network.',
  ];
  return `${header.join('\n')}\n${stringify({ services, volumes: { pgdata: null } }, { lineWidth: 0 })}`;
}
