import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.ts';
import { createGatewayApp } from '../../gateway/gateway.ts';
import { testVerifier } from '../support/auth.ts';
import { postGraphQL, serveApp, type ClaimedServer } from '../support/subgraph.ts';

/**
 * Apollo Server turns introspection off when NODE_ENV is `production` unless told otherwise, which is how a
 * deployment lost GraphiQL's docs. The open contract is public: introspection is the operator's choice
 * (TIGA_INTROSPECTION), whatever NODE_ENV says. No subgraph is needed: the gateway answers it itself.
 */
describe('an operator decides whether the gateway answers introspection, not NODE_ENV', () => {
  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
  });

  async function gatewayUnder(nodeEnv: string, introspection: boolean | undefined): Promise<ClaimedServer> {
    const saved = process.env.NODE_ENV;
    process.env.NODE_ENV = nodeEnv;
    try {
      const { app, server } = await createGatewayApp({ subgraphUrls: {}, verifier: await testVerifier(), audit: async () => {}, introspection, log: () => {} });
      const served = await serveApp(app);
      stops.push(async () => {
        await served.close();
        await server.stop();
      });
      return served;
    } finally {
      if (saved === undefined) delete process.env.NODE_ENV;
      else process.env.NODE_ENV = saved;
    }
  }

  it('reads TIGA_INTROSPECTION: on unless set to false', () => {
    expect(loadConfig({}).introspection).toBe(true);
    expect(loadConfig({ NODE_ENV: 'production' }).introspection).toBe(true);
    expect(loadConfig({ TIGA_INTROSPECTION: 'false' }).introspection).toBe(false);
    expect(() => loadConfig({ TIGA_INTROSPECTION: 'off' })).toThrow(/TIGA_INTROSPECTION/);
  });

  it('answers introspection of the open contract in production', async () => {
    const gateway = await gatewayUnder('production', loadConfig({ NODE_ENV: 'production' }).introspection);
    const response = await postGraphQL(gateway.url, '{ __type(name: "Territory") { name } }');
    expect(response.errors).toBeUndefined();
    expect(response.data.__type.name).toBe('Territory');
  });

  it('refuses it when configured off, even in development', async () => {
    const gateway = await gatewayUnder('development', loadConfig({ TIGA_INTROSPECTION: 'false' }).introspection);
    const response = await postGraphQL(gateway.url, '{ __schema { queryType { name } } }');
    expect(response.data ?? null).toBeNull();
    expect(response.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});
