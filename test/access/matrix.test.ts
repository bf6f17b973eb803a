import { beforeAll, describe, expect, it } from 'vitest';
import { buildASTSchema, parse, type GraphQLSchema } from 'graphql';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { readAccessPolicy } from '../../lib/auth/policy.ts';
import { isAllowed, type Principal } from '../../lib/auth/principal.ts';
import { readSupergraph } from '../../gateway/supergraph.ts';
import { PRODUCERS, PRODUCER_NAMES } from '../../subgraphs/registry.ts';
import { bearer } from '../support/auth.ts';
import { testHub } from '../support/hub.ts';
import { postGraphQL, type GraphQLResponse } from '../support/subgraph.ts';
import { discoverSamples, entityKeys, probeFor, type EntitySamples } from './probes.ts';
import type { Hub } from '../../hub/hub.ts';

/**
 * The access matrix, generated from the schema: every field carrying an access directive, for every role,
 * through the gateway and through each subgraph that serves it, must be allowed exactly when the
 * directives say so. A restricted field added later is probed without editing this file.
 */
const supergraph = buildASTSchema(parse(readSupergraph()), { assumeValidSDL: true });
const policy = readAccessPolicy(supergraph);
const scopes = [...new Set([...policy.values()].flatMap((rule) => rule.scopes?.flat() ?? []))].sort();

const ROLES: Record<string, string[] | null> = {
  anonymous: null,
  authenticated: [],
  researcher: scopes.filter((s) => s.endsWith(':restricted')),
  contributor: ['community:contribute'],
  moderator: ['community:moderate'],
  producer: scopes.filter((s) => s.startsWith('producer:')),
  auditor: ['audit:read'],
};

const principalOf = (role: string): Principal =>
  ROLES[role] === null ? { kind: 'anonymous' } : { kind: 'user', subject: role, client: null, scopes: new Set(ROLES[role]), tokenId: null };

// Mutations write: their access is tested with the features that define them, not by probing.
const coordinates = [...policy.keys()].filter((c) => !c.startsWith('Mutation.')).sort();

const subgraphSchemas = Object.fromEntries(
  PRODUCERS.map((producer) => [producer.name, buildSubgraphSchema({ typeDefs: producer.typeDefs })]),
) as Record<string, GraphQLSchema>;

function servedBy(coordinate: string): string[] {
  const [type, field] = coordinate.split('.') as [string, string];
  return PRODUCER_NAMES.filter((name) => {
    const t = subgraphSchemas[name]!.getType(type);
    return t && 'getFields' in t && t.getFields()[field] !== undefined;
  });
}

function valuesAt(data: unknown, path: string[]): unknown[] {
  if (data === null || data === undefined) return [];
  if (Array.isArray(data)) return data.flatMap((item) => valuesAt(item, path));
  if (path.length === 0) return [data];
  const [head, ...rest] = path as [string, ...string[]];
  return valuesAt((data as Record<string, unknown>)[head], rest);
}

describe('the access matrix', () => {
  let hub: Hub;
  let samples: EntitySamples;
  const tokens: Record<string, Record<string, string>> = {};

  beforeAll(async () => {
    hub = await testHub();
    samples = await discoverSamples(supergraph, policy, async (query) => (await postGraphQL(hub.gatewayUrl, query)).data);
    for (const [role, held] of Object.entries(ROLES)) tokens[role] = held === null ? {} : await bearer(held, `matrix-${role}`);
    // The auditor's probes need a record to read.
    await postGraphQL(hub.gatewayUrl, '{ territory(code: "67482") { healthDetailed { cases } } }', undefined, tokens.researcher);
  });

  it('covers every restricted field, starting from a sample of every entity an anonymous caller can list', () => {
    // Area alone is keyed by a selection, not listed: probes reach it through `area(select:)`.
    expect(Object.keys(entityKeys(supergraph)).filter((entity) => !samples[entity])).toEqual(['Area']);
    expect(coordinates.length).toBeGreaterThanOrEqual(10);
    for (const coordinate of coordinates) expect(servedBy(coordinate), coordinate).not.toHaveLength(0);
  });

  it('allows exactly what the directives allow, through the gateway and through each subgraph', async () => {
    const cells: string[] = [];
    const mismatches: string[] = [];
    for (const coordinate of coordinates) {
      const routes: [string, string, GraphQLSchema, boolean][] = [
        ['gateway', hub.gatewayUrl, supergraph, false],
        ...servedBy(coordinate).map((name) => [`subgraph:${name}`, hub.subgraph(name).url, subgraphSchemas[name]!, true] as [string, string, GraphQLSchema, boolean]),
      ];
      for (const [route, url, schema, viaEntities] of routes) {
        const probe = probeFor(schema, readAccessPolicy(schema), coordinate, samples, viaEntities);
        if (!probe) {
          mismatches.push(`${coordinate} via ${route}: no probe path (add a sample key for its entity)`);
          continue;
        }
        for (const role of Object.keys(ROLES)) {
          const response: GraphQLResponse = await postGraphQL(url, probe.query, probe.variables, tokens[role]);
          const codes = (response.errors ?? []).map((e) => e.extensions?.code);
          const forbidden = codes.includes('FORBIDDEN');
          const expected = probe.rules.every((rule) => isAllowed(rule, principalOf(role)));
          const leaked = valuesAt(response.data, probe.path).some((v) => v !== null && v !== undefined);
          cells.push(`${coordinate} ${role} ${route}`);
          if (codes.includes('UNAUTHENTICATED')) mismatches.push(`${coordinate} ${role} ${route}: UNAUTHENTICATED`);
          else if (expected && forbidden) mismatches.push(`${coordinate} ${role} ${route}: refused but should be allowed — ${JSON.stringify(response.errors)}`);
          else if (!expected && !forbidden) mismatches.push(`${coordinate} ${role} ${route}: allowed but should be refused`);
          else if (!expected && leaked) mismatches.push(`${coordinate} ${role} ${route}: data leaked at ${probe.path.join('.')}`);
        }
      }
    }
    console.log(`access matrix: ${coordinates.length} fields × ${Object.keys(ROLES).length} roles, ${cells.length} cells (gateway + serving subgraphs)`);
    expect(mismatches).toEqual([]);
  });
});
