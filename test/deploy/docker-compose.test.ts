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

  it('has PostGIS, one service per subgraph of the registry and the gateway', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['db', 'gateway', ...PRODUCERS.map((p) => p.name)].sort());
    expect(compose.services.db.image).toMatch(/^postgis\/postgis:/);
    expect(compose.services.db.healthcheck).toBeDefined();
  });

  it.each(PRODUCERS.map((p) => [p.name, p.defaultPort] as const))('starts subgraph %s on its default port %i against the database', (name, port) => {
    const service = compose.services[name];
    expect(service.command).toEqual(['node', '--import', 'tsx', 'hub/subgraph.ts', name]);
    expect(service.environment.DATABASE_URL).toMatch(/^postgres:\/\/[^@]+@db:5432\//);
    expect(service.environment[`${envPrefix(name)}_PORT`]).toBe(String(port));
    expect(service.depends_on.db.condition).toBe('service_healthy');
    expect(service.healthcheck.test.join(' ')).toContain(`:${port}/`);
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
  });

  it('builds from a Dockerfile that installs the locked dependencies', () => {
    const dockerfile = fs.readFileSync(path.join(PROJECT_ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^FROM node:20/m);
    expect(dockerfile).toContain('npm ci');
  });
});
