import { describe, expect, it } from 'vitest';
import { ApolloGateway } from '@apollo/gateway';
import { buildASTSchema, parse } from 'graphql';
import { composeSupergraph, unacceptedHints } from '../../schema/compose.ts';
import fs from 'node:fs';
import { prepareSupergraphForGateway, readSupergraph, subgraphsOf } from '../../gateway/supergraph.ts';
import { generateResolverTypes, resolverTypesPath } from '../../schema/codegen.ts';
import { PRODUCERS } from '../../subgraphs/registry.ts';

const loadIntoGateway = async (supergraphSdl: string) => {
  const gateway = new ApolloGateway({ supergraphSdl, logger: { debug() {}, info() {}, warn() {}, error() {} } });
  try {
    return await gateway.load();
  } finally {
    await gateway.stop().catch(() => {});
  }
};

describe('the supergraph', () => {
  const composed = composeSupergraph();

  it('is committed as composed from every subgraph of the registry (run `npm run compose` after a schema change)', () => {
    expect(readSupergraph()).toBe(composed.supergraphSdl.endsWith('\n') ? composed.supergraphSdl : `${composed.supergraphSdl}\n`);
  });

  it('tells the gateway every subgraph and its default URL, so the gateway loads no producer code', () => {
    expect(subgraphsOf(readSupergraph())).toEqual(
      expect.arrayContaining(PRODUCERS.map((p) => ({ name: p.name, title: p.title, url: `http://localhost:${p.defaultPort}/graphql` }))),
    );
    expect(subgraphsOf(readSupergraph())).toHaveLength(PRODUCERS.length);
  });

  it.each(PRODUCERS.map((p) => [p.name, p] as const))('has the resolver types of %s generated from its SDL as committed (run `npm run compose`)', async (_, producer) => {
    expect(fs.readFileSync(resolverTypesPath(producer), 'utf8')).toBe(await generateResolverTypes(producer));
  });

  it('composes without hints nobody has read', () => {
    expect(unacceptedHints(composed.hints).map((hint) => `${hint.definition.code}: ${hint.message}`)).toEqual([]);
  });

  it('keeps the access directives that @apollo/gateway would refuse, and loads once their purpose is dropped', async () => {
    await expect(loadIntoGateway(composed.supergraphSdl)).rejects.toThrow(/is for: SECURITY but is unsupported/);
    const prepared = prepareSupergraphForGateway(composed.supergraphSdl);
    expect(prepared).toContain('@requiresScopes(scopes: [["orsal:restricted"]])');
    const { schema } = await loadIntoGateway(prepared);
    expect(schema.getType('Territory')).toBeDefined();
  });

  it('is valid GraphQL with the Territory and Area join types', () => {
    const schema = buildASTSchema(parse(composed.supergraphSdl), { assumeValidSDL: true });
    expect(schema.getQueryType()?.getFields().area).toBeDefined();
    expect(schema.getQueryType()?.getFields().territory).toBeDefined();
  });
});
