import { beforeAll, describe, expect, it } from 'vitest';
import { getIntrospectionQuery } from 'graphql';
import { bearer } from '../support/auth.ts';
import { testHub } from '../support/hub.ts';
import { postGraphQL } from '../support/subgraph.ts';
import type { Hub } from '../../hub/hub.ts';

const FIELDS_OF = (type: string) => `{ __type(name: "${type}") { name fields { name } } }`;

describe('introspection and errors show a caller only the schema it may use', () => {
  let hub: Hub;
  beforeAll(async () => {
    hub = await testHub();
  });

  it('gives an anonymous caller the open contract: no restricted type or field name anywhere', async () => {
    const response = await postGraphQL(hub.gatewayUrl, getIntrospectionQuery({ descriptions: true }));
    expect(response.errors).toBeUndefined();
    const text = JSON.stringify(response.data);
    for (const name of ['healthDetailed', 'HealthRecord', 'rawMeasurements', 'rawReadings', 'Contributor', 'accessLog', 'AccessRecord']) {
      expect(text, name).not.toContain(name);
    }
    const healthValue = response.data.__schema.types.find((t: { name: string }) => t.name === 'HealthValue');
    expect(healthValue.fields.map((f: { name: string }) => f.name)).not.toContain('cases');
  });

  it('shows a researcher the restricted health fields, and only those of the scopes held', async () => {
    const researcher = await bearer(['orsal:restricted']);
    const territory = await postGraphQL(hub.gatewayUrl, FIELDS_OF('Territory'), undefined, researcher);
    expect(territory.data.__type.fields.map((f: { name: string }) => f.name)).toContain('healthDetailed');
    const record = await postGraphQL(hub.gatewayUrl, FIELDS_OF('HealthRecord'), undefined, researcher);
    expect(record.data.__type.name).toBe('HealthRecord');
    const log = await postGraphQL(hub.gatewayUrl, FIELDS_OF('AccessRecord'), undefined, researcher);
    expect(log.data.__type).toBeNull();
  });

  it('answers introspection hidden in fragments from the same visible schema', async () => {
    const inline = await postGraphQL(hub.gatewayUrl, '{ ... on Query { __schema { types { name } } } }');
    expect(JSON.stringify(inline.data)).toContain('Territory');
    expect(JSON.stringify(inline.data)).not.toMatch(/HealthRecord|Contributor|AccessRecord/);
    const named = await postGraphQL(hub.gatewayUrl, 'query { ...F } fragment F on Query { __type(name: "HealthRecord") { name fields { name } } }');
    expect(named.data.__type).toBeNull();
    const get = await fetch(`${hub.gatewayUrl}?query=${encodeURIComponent('{ ... on Query { __type(name: "Contributor") { fields { name } } } }')}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(await get.text()).not.toMatch(/pseudonym|contactEmail/);
    const mixed = await postGraphQL(hub.gatewayUrl, '{ __typename ... on Query { __type(name: "Query") { name } territory(code: "67482") { name } } }');
    expect(mixed.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('answers __type of a restricted type with null for an anonymous caller', async () => {
    const response = await postGraphQL(hub.gatewayUrl, FIELDS_OF('HealthRecord'));
    expect(response.data.__type).toBeNull();
  });

  it('never suggests field names ("Did you mean …") in validation errors', async () => {
    const response = await postGraphQL(hub.gatewayUrl, '{ territory(code: "67482") { healthDetaile } }');
    expect(response.errors?.[0]?.message).toBeDefined();
    expect(JSON.stringify(response.errors)).not.toMatch(/did you mean|healthDetailed/i);
  });

  it('names no restricted type in validation errors', async () => {
    for (const query of [
      '{ territory(code: "67482") { healthDetailed } }',
      '{ territory(code: "67482") { healthDetailed { nope } } }',
      '{ territory(code: "67482") { ... on HealthRecord { cases } } }',
    ]) {
      const response = await postGraphQL(hub.gatewayUrl, query);
      expect(response.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(JSON.stringify(response.errors), query).not.toContain('HealthRecord');
    }
    const researcher = await postGraphQL(hub.gatewayUrl, '{ territory(code: "67482") { healthDetailed } }', undefined, await bearer(['orsal:restricted']));
    expect(JSON.stringify(researcher.errors)).toContain('HealthRecord');
  });

  it('suggests no names when a subgraph is called directly', async () => {
    const entity = await postGraphQL(hub.subgraph("orsal").url, '{ _entities(representations: [{ __typename: "Territory", code: "67482" }]) { ... on Territory { healthDetaile } } }');
    expect(JSON.stringify(entity.errors)).not.toMatch(/did you mean|healthDetailed/i);
    const root = await postGraphQL(hub.subgraph("platform").url, '{ accessLo }');
    expect(JSON.stringify(root.errors)).not.toMatch(/did you mean|accessLog/i);
  });

  it('keeps subgraph schemas private: no introspection, no _service SDL without hub:schema', async () => {
    const introspection = await postGraphQL(hub.subgraph("orsal").url, '{ __schema { types { name } } }');
    expect(introspection.data ?? null).toBeNull();
    expect(JSON.stringify(introspection)).not.toContain('HealthRecord');
    const service = await postGraphQL(hub.subgraph("orsal").url, '{ _service { sdl } }');
    expect(service.data?._service ?? null).toBeNull();
    expect(service.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const allowed = await postGraphQL(hub.subgraph("orsal").url, '{ _service { sdl } }', undefined, await bearer(['hub:schema']));
    expect(allowed.data._service.sdl).toContain('healthDetailed');
  });
});
