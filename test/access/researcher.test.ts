import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, testVerifier } from '../support/auth.ts';
import { createGatewayApp } from '../../gateway/gateway.ts';
import { serveApp } from '../support/subgraph.ts';
import { countStatements } from '../../lib/db.ts';
import { testHub } from '../support/hub.ts';
import { postGraphQL } from '../support/subgraph.ts';
import type { Hub } from '../../hub/hub.ts';

// Strasbourg exists in the real and in the approximate referential; its detailed values are restricted like an IRIS's.
const FINE = '67482';
const IRIS_HEALTH = `query IrisAsthma { territory(code: "${FINE}") { code name healthDetailed(indicator: "ASTHMA_PREVALENCE") { period value cases population } } }`;

async function accessLog(hub: Hub, subject: string) {
  return hub.subgraph("platform").db.knex('audit.access_log').where({ subject }).orderBy('id');
}

describe('a researcher reads IRIS-level health data, and the read is audited', () => {
  let hub: Hub;
  beforeAll(async () => {
    hub = await testHub();
  });

  it('gives a researcher IRIS asthma values with case counts, after writing the audit record', async () => {
    const subject = `researcher-${Date.now()}`;
    const response = await postGraphQL(hub.gatewayUrl, IRIS_HEALTH, undefined, await bearer(['orsal:restricted'], subject));
    expect(response.errors).toBeUndefined();
    expect(response.data.territory.healthDetailed.length).toBeGreaterThan(0);
    expect(response.data.territory.healthDetailed[0]).toEqual({ period: expect.any(String), value: expect.any(Number), cases: expect.any(Number), population: expect.any(Number) });
    const records = await accessLog(hub, subject);
    const gateway = records.find((r) => r.route === 'gateway');
    expect(gateway).toMatchObject({ operation_name: 'IrisAsthma', scopes: ['orsal:restricted'] });
    expect(gateway.operation_hash).toMatch(/^[0-9a-f]{64}$/);
    const fields = typeof gateway.fields === 'string' ? JSON.parse(gateway.fields) : gateway.fields;
    expect(fields).toContainEqual({ coordinate: 'Territory.healthDetailed', path: ['territory', 'healthDetailed'], arguments: { indicator: 'ASTHMA_PREVALENCE' } });
    // Defence in depth: the subgraph that served the data audited it too.
    expect(records.some((r) => r.route === 'subgraph:orsal')).toBe(true);
  });

  it('gives the same query anonymously the open parts, null where restricted, and one FORBIDDEN per removed field', async () => {
    const response = await postGraphQL(hub.gatewayUrl, IRIS_HEALTH);
    expect(response.data.territory).toEqual({ code: FINE, name: expect.any(String), healthDetailed: null });
    expect(response.errors).toHaveLength(1);
    expect(response.errors![0]).toMatchObject({
      path: ['territory', 'healthDetailed'],
      extensions: { code: 'FORBIDDEN', field: 'Territory.healthDetailed', requiredScopes: [['orsal:restricted']] },
    });
    expect(response.errors![0]!.message).toContain('orsal:restricted');
  });

  it('does not even ask ORSAL for health details an anonymous caller may not see', async () => {
    const counter = countStatements(hub.subgraph("orsal").db.knex);
    const response = await postGraphQL(hub.gatewayUrl, IRIS_HEALTH);
    counter.stop();
    expect(response.data.territory.healthDetailed).toBeNull();
    expect(counter.count).toBe(0);
  });

  it('does not let a cached query plan of a researcher serve an anonymous caller', async () => {
    const query = '{ territory(code: "67482") { health(indicator: "COPD_HOSPITALISATION") { period cases } } }';
    const researcher = await postGraphQL(hub.gatewayUrl, query, undefined, await bearer(['orsal:restricted']));
    expect(researcher.data.territory.health[0].cases).toEqual(expect.any(Number));
    const anonymous = await postGraphQL(hub.gatewayUrl, query);
    expect(anonymous.data.territory.health.every((h: { cases: unknown }) => h.cases === null)).toBe(true);
    expect(anonymous.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
  });

  it('finds restricted fields hidden behind aliases, named fragments and inline fragments', async () => {
    const query = `
      query Hidden { t: territory(code: "${FINE}") { ...Sneaky ... on Territory { again: healthDetailed { cases } } } }
      fragment Sneaky on Territory { h: healthDetailed { value } }`;
    const response = await postGraphQL(hub.gatewayUrl, query);
    expect(response.data.t).toEqual({ h: null, again: null });
    expect(response.errors?.map((e) => e.path)).toEqual([['t', 'h'], ['t', 'again']]);
    expect(response.errors?.every((e) => e.extensions?.code === 'FORBIDDEN')).toBe(true);
  });

  it('refuses batched HTTP requests (an array of operations), so no operation escapes the checks', async () => {
    const response = await fetch(hub.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ query: IRIS_HEALTH }, { query: '{ territory(code: "67482") { name } }' }]),
    });
    expect(response.status).toBe(400);
    expect(await response.text()).not.toContain('cases');
  });

  it('refuses a subgraph called directly without the scope, and serves it with the scope', async () => {
    const query = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Territory { healthDetailed { cases } } } }';
    const variables = { r: [{ __typename: 'Territory', code: FINE }] };
    const anonymous = await postGraphQL(hub.subgraph("orsal").url, query, variables);
    expect(anonymous.data?._entities[0].healthDetailed ?? null).toBeNull();
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const researcher = await postGraphQL(hub.subgraph("orsal").url, query, variables, await bearer(['orsal:restricted']));
    expect(researcher.data._entities[0].healthDetailed[0].cases).toEqual(expect.any(Number));
  });

  it('fails the whole operation in reject mode, before any subgraph is called', async () => {
    const subgraphUrls = Object.fromEntries(Object.entries(hub.subgraphs).map(([name, s]) => [name, s.url])) as Record<keyof Hub['subgraphs'], string>;
    const audited: unknown[] = [];
    const { app, server } = await createGatewayApp({ subgraphUrls, verifier: await testVerifier(), mode: 'reject', audit: async (entry) => void audited.push(entry) });
    const gateway = await serveApp(app);
    try {
      const counter = countStatements(hub.subgraph("adeus").db.knex);
      const response = await postGraphQL(gateway.url, IRIS_HEALTH);
      counter.stop();
      expect(response.data ?? null).toBeNull();
      expect(response.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
      expect(counter.count).toBe(0);
      const allowed = await postGraphQL(gateway.url, IRIS_HEALTH, undefined, await bearer(['orsal:restricted']));
      expect(allowed.data.territory.healthDetailed.length).toBeGreaterThan(0);
      expect(audited).toHaveLength(1);
    } finally {
      await gateway.close();
      await server.stop();
    }
  });
});
