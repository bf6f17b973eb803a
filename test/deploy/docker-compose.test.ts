import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig, PROJECT_ROOT, SUBGRAPH_NAMES } from '../../lib/config.ts';

// No Docker engine runs in CI, so the compose file is checked for what an operator relies on.
const compose = parse(fs.readFileSync(path.join(PROJECT_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true });
const defaults = loadConfig({});

describe('docker-compose.yml runs the hub as separate services', () => {
  it('has PostGIS, one service per subgraph and the gateway', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['db', 'gateway', ...SUBGRAPH_NAMES].sort());
    expect(compose.services.db.image).toMatch(/^postgis\/postgis:/);
    expect(compose.services.db.healthcheck).toBeDefined();
  });

  it.each(SUBGRAPH_NAMES)('starts subgraph %s on its own port against the database', (name) => {
    const service = compose.services[name];
    const port = defaults.subgraphs[name].port;
    expect(service.command.join(' ')).toContain(`subgraphs/index.ts ${name}`);
    expect(service.environment.DATABASE_URL).toMatch(/^postgres:\/\/[^@]+@db:5432\//);
    expect(service.environment[`${name.toUpperCase()}_PORT`]).toBe(String(port));
    expect(service.ports).toContain(`${port}:${port}`);
    expect(service.depends_on.db.condition).toBe('service_healthy');
    expect(service.healthcheck.test.join(' ')).toContain(`:${port}/health`);
  });

  it('points the gateway at every subgraph service and waits for them', () => {
    const gateway = compose.services.gateway;
    expect(gateway.command.join(' ')).toContain('gateway/index.ts');
    expect(gateway.ports).toContain(`${defaults.gatewayPort}:${defaults.gatewayPort}`);
    for (const name of SUBGRAPH_NAMES) {
      expect(gateway.environment[`${name.toUpperCase()}_URL`]).toBe(`http://${name}:${defaults.subgraphs[name].port}/graphql`);
      expect(gateway.depends_on[name].condition).toBe('service_healthy');
    }
  });

  it('builds from a Dockerfile that installs the locked dependencies', () => {
    const dockerfile = fs.readFileSync(path.join(PROJECT_ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^FROM node:20/m);
    expect(dockerfile).toContain('npm ci');
  });
});
