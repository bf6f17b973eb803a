import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, testVerifier } from '../support/auth.ts';
import { testHub } from '../support/hub.ts';
import { postGraphQL } from '../support/subgraph.ts';
import { createGatewayApp } from '../../gateway/gateway.ts';
import { serveApp } from '../support/subgraph.ts';
import type { Hub } from '../../hub/hub.ts';

const IRIS_CASES = '{ territory(code: "67482") { name healthDetailed(indicator: "COPD_HOSPITALISATION") { period cases } } }';
const ENTITY_CASES = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Territory { healthDetailed { cases } } } }';

describe('every restricted read is audited first, in an append-only log that auditors read', () => {
  let hub: Hub;
  beforeAll(async () => {
    hub = await testHub();
  });

  it('lets an auditor read the log through the gateway, and nobody else', async () => {
    const subject = `audited-${Date.now()}`;
    await postGraphQL(hub.gatewayUrl, IRIS_CASES, undefined, await bearer(['orsal:restricted'], subject));
    const query = `{ accessLog(subject: "${subject}", first: 10) { edges { node { route subject scopes operationHash fields { coordinate path arguments } } } } }`;
    const auditor = await postGraphQL(hub.gatewayUrl, query, undefined, await bearer(['audit:read'], 'auditor'));
    expect(auditor.errors).toBeUndefined();
    const routes = auditor.data.accessLog.edges.map((e: { node: { route: string } }) => e.node.route).sort();
    expect(routes).toEqual(['gateway', 'subgraph:orsal']);
    expect(auditor.data.accessLog.edges[0].node.fields[0]).toMatchObject({ coordinate: 'Territory.healthDetailed', arguments: '{"indicator":"COPD_HOSPITALISATION"}' });
    const researcher = await postGraphQL(hub.gatewayUrl, query, undefined, await bearer(['orsal:restricted'], 'curious'));
    expect(researcher.data?.accessLog ?? null).toBeNull();
    expect(researcher.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('refuses to change or erase the log, even for the application', async () => {
    const knex = hub.subgraph("platform").db.knex;
    await expect(knex('audit.access_log').update({ subject: 'nobody' })).rejects.toThrow(/append-only/);
    await expect(knex('audit.access_log').delete()).rejects.toThrow(/append-only/);
    await expect(knex.raw('truncate audit.access_log')).rejects.toThrow(/append-only/);
  });

  it('returns no restricted data when the gateway cannot write its audit record (fail closed)', async () => {
    const subgraphUrls = Object.fromEntries(Object.entries(hub.subgraphs).map(([name, s]) => [name, s.url])) as Record<keyof Hub['subgraphs'], string>;
    const { app, server } = await createGatewayApp({
      subgraphUrls,
      verifier: await testVerifier(),
      audit: async () => {
        throw new Error('audit database unreachable');
      },
    });
    const gateway = await serveApp(app);
    try {
      const restricted = await postGraphQL(gateway.url, IRIS_CASES, undefined, await bearer(['orsal:restricted']));
      expect(restricted.data ?? null).toBeNull();
      expect(JSON.stringify(restricted)).not.toMatch(/"cases":\d/);
      const open = await postGraphQL(gateway.url, '{ territory(code: "67482") { name } }', undefined, await bearer(['orsal:restricted']));
      expect(open.data.territory.name).toBe('Strasbourg');
    } finally {
      await gateway.close();
      await server.stop();
    }
  });

  it('returns no restricted data when a subgraph called directly cannot write its audit record', async () => {
    const knex = hub.subgraph("orsal").db.knex;
    await knex.raw(`create function audit.unavailable() returns trigger language plpgsql as $$ begin raise exception 'audit storage unavailable'; end $$`);
    await knex.raw('create trigger access_log_unavailable before insert on audit.access_log for each row execute function audit.unavailable()');
    try {
      const response = await postGraphQL(hub.subgraph("orsal").url, ENTITY_CASES, { r: [{ __typename: 'Territory', code: '67482' }] }, await bearer(['orsal:restricted']));
      expect(response.data ?? null).toBeNull();
      expect(JSON.stringify(response)).not.toMatch(/"cases":\d/);
    } finally {
      await knex.raw('drop trigger access_log_unavailable on audit.access_log');
      await knex.raw('drop function audit.unavailable()');
    }
  });

  it('the same query text asked in turn by a researcher, an anonymous caller and a contributor: each gets its own view, and each restricted read its own audit record', async () => {
    // The gateway keeps an operation's rewrite per scope set (gateway/auth/AccessControlledGateway.ts): a rewrite made
    // for one caller must never serve another, and a read of restricted fields is audited with its own arguments.
    const subject = `turns-${Date.now()}`;
    const query = 'query ($indicator: String!) { territory(code: "67482") { name healthDetailed(indicator: $indicator) { period cases } } }';
    const researcher = await bearer(['orsal:restricted'], subject);
    const contributor = await bearer(['community:contribute'], `${subject}-contributor`);
    const asks = [
      ['researcher', researcher, 'COPD_HOSPITALISATION'],
      ['anonymous', undefined, 'COPD_HOSPITALISATION'],
      ['contributor', contributor, 'COPD_HOSPITALISATION'],
      ['researcher', researcher, 'ASTHMA_PREVALENCE'],
      ['anonymous', undefined, 'ASTHMA_PREVALENCE'],
    ] as const;
    for (const [who, headers, indicator] of asks) {
      const { data, errors } = await postGraphQL(hub.gatewayUrl, query, { indicator }, headers);
      expect(data.territory.name).toBe('Strasbourg');
      if (who === 'researcher') {
        expect(errors).toBeUndefined();
        expect(data.territory.healthDetailed.length).toBeGreaterThan(0);
      } else {
        expect(data.territory.healthDetailed).toBeNull();
        expect(errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
      }
    }
    const log = await postGraphQL(
      hub.gatewayUrl,
      `{ accessLog(subject: "${subject}", first: 10) { edges { node { route fields { arguments } } } } }`,
      undefined,
      await bearer(['audit:read'], 'auditor'),
    );
    const gatewayArguments = log.data.accessLog.edges
      .filter((e: { node: { route: string } }) => e.node.route === 'gateway')
      .map((e: { node: { fields: { arguments: string }[] } }) => e.node.fields[0]!.arguments)
      .sort();
    expect(gatewayArguments).toEqual(['{"indicator":"ASTHMA_PREVALENCE"}', '{"indicator":"COPD_HOSPITALISATION"}']);
  });
});
