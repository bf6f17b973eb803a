import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { envPrefix, loadConfig, PROJECT_ROOT } from '../../lib/config.ts';
import { PRODUCERS } from '../../subgraphs/registry.ts';
import { dockerCompose } from '../../hub/compose-file.ts';

// No Docker engine runs in CI, so the compose file is checked against the registry for what an operator relies on.
const compose = parse(fs.readFileSync(path.join(PROJECT_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true });
const defaults = loadConfig({});

describe('docker-compose.yml runs the hub as separate services', () => {
  it('is derived from the registry as committed (run `npm run compose` after adding a producer)', () => {
    expect(fs.readFileSync(path.join(PROJECT_ROOT, 'docker-compose.yml'), 'utf8')).toBe(dockerCompose(PRODUCERS));
  });

  it('has PostGIS, the keys init step, one service per subgraph of the registry and the gateway', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['db', 'gateway', 'keys', ...PRODUCERS.map((p) => p.name)].sort());
    expect(compose.services.db.image).toMatch(/^postgis\/postgis:/);
    expect(compose.services.db.healthcheck).toBeDefined();
    expect(compose.services.db.environment).toMatchObject({ POSTGRES_USER: expect.any(String), POSTGRES_PASSWORD: expect.any(String), POSTGRES_DB: expect.any(String) });
  });

  it('is a Compose Specification file (docker compose v2): no obsolete top-level version', () => {
    expect(compose.version).toBeUndefined();
    expect(fs.readFileSync(path.join(PROJECT_ROOT, 'docker-compose.yml'), 'utf8')).toMatch(/Compose Specification.*docker compose. v2/);
  });

  it('makes one signing key once, in a volume every service trusts read-only', () => {
    const keys = compose.services.keys;
    expect(keys.command).toEqual(['node', '--import', 'tsx', 'scripts/keys.ts']);
    const [volume, target] = keys.volumes[0].split(':');
    expect(target).toBe(`${keys.environment.TIGA_DATA_DIR}/keys`);
    for (const name of ['gateway', ...PRODUCERS.map((p) => p.name)]) {
      const service = compose.services[name];
      expect(service.depends_on.keys.condition, name).toBe('service_completed_successfully');
      expect(service.volumes, name).toContain(`${volume}:${target}:ro`);
      expect(service.environment.TIGA_JWKS, name).toBe(`${target}/jwks.json`);
    }
  });

  it('tells every service of the image: production, no telemetry to Apollo', () => {
    for (const [name, service] of Object.entries<any>(compose.services)) {
      if (name === 'db') continue;
      expect(service.environment.APOLLO_TELEMETRY_DISABLED, name).toBe('true');
      expect(service.environment.NODE_ENV, name).toBe('production');
    }
    expect(compose.services.gateway.environment.TIGA_INTROSPECTION).not.toBe('false');
  });

  it.each(PRODUCERS.map((p) => [p.name, p.defaultPort] as const))('starts subgraph %s on its default port %i against the database', (name, port) => {
    const service = compose.services[name];
    expect(service.command).toEqual(['node', '--import', 'tsx', 'hub/subgraph.ts', name]);
    expect(service.environment.DATABASE_URL).toMatch(/^postgres:\/\/[^@]+@db:5432\//);
    expect(service.environment[`${envPrefix(name)}_PORT`]).toBe(String(port));
    expect(service.depends_on.db.condition).toBe('service_healthy');
    expect(service.healthcheck.test.join(' ')).toContain(`:${port}/ready`);
    expect(service.expose).toEqual([String(port)]);
    // Reached on the compose network only: a subgraph trusts what the gateway forwards.
    expect(service.ports).toBeUndefined();
  });

  it('points the gateway at every subgraph service and waits for them', () => {
    const gateway = compose.services.gateway;
    expect(gateway.command).toEqual(['node', '--import', 'tsx', 'gateway/index.ts']);
    expect(gateway.ports).toContain(`${defaults.gatewayPort}:${defaults.gatewayPort}`);
    for (const { name, defaultPort } of PRODUCERS) {
      expect(gateway.environment[`${envPrefix(name)}_URL`]).toBe(`http://${name}:${defaultPort}/graphql`);
      expect(gateway.depends_on[name].condition).toBe('service_healthy');
    }
    expect(gateway.healthcheck.test.join(' ')).toContain(`:${defaults.gatewayPort}/ready`);
  });

  it('builds from a Dockerfile that installs the locked dependencies', () => {
    const dockerfile = fs.readFileSync(path.join(PROJECT_ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^FROM node:20/m);
    expect(dockerfile).toContain('npm ci');
  });

  it('runs the image as a non-root user, writing only into its data volume, with node as the command', () => {
    const dockerfile = fs.readFileSync(path.join(PROJECT_ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^VOLUME \["\/var\/lib\/tiga"\]$/m);
    expect(dockerfile).toMatch(/chown -R node:node \/var\/lib\/tiga/);
    expect(dockerfile).toMatch(/TIGA_DATA_DIR=\/var\/lib\/tiga/);
    expect(dockerfile).toMatch(/APOLLO_TELEMETRY_DISABLED=true/);
    expect(dockerfile).toMatch(/^CMD \["node", /m);
  });
});
