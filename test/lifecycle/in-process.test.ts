import diagnostics from 'node:diagnostics_channel';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { graphqlRequests } from '../../lib/observability/metrics.ts';
import type { Hub } from '../../hub/hub.ts';
import { bearer } from '../support/auth.ts';
import { gatewayQuery, testHub } from '../support/hub.ts';
import { postGraphQL } from '../support/subgraph.ts';

/**
 * `npm start` runs the gateway and the subgraphs in one process: the gateway calls them there, without HTTP, and
 * each subgraph still runs its whole pipeline (its own token check, cost limit, audit); their ports still answer.
 */
let hub: Hub;
let requestsToSubgraphPorts = 0;
const countRequest = (message: unknown) => {
  const { server } = message as { server: Server };
  const port = String((server.address() as AddressInfo | null)?.port);
  if (Object.values(hub.subgraphs).some(({ url }) => new URL(url).port === port)) requestsToSubgraphPorts++;
};
const ran = async (service: string) =>
  (await graphqlRequests.get()).values.filter((v) => v.labels.service === service).reduce((sum, v) => sum + v.value, 0);

beforeAll(async () => {
  hub = await testHub();
  diagnostics.subscribe('http.server.request.start', countRequest);
});
afterEach(() => void (requestsToSubgraphPorts = 0));
// The suite shares one process: the next files' requests are not this file's to count.
afterAll(() => void diagnostics.unsubscribe('http.server.request.start', countRequest));

describe('the hub calls its own subgraphs in process', () => {
  it('a federated query reaches ADEUS and ATMO through their GraphQL pipeline, and no HTTP request reaches their ports', async () => {
    hub.entityCache?.clear();
    const [adeus, atmo] = [await ran('subgraph:adeus'), await ran('subgraph:atmo')];
    const answer = await gatewayQuery('{ territory(code: "67482") { name airQuality(from: "2025-01-02", to: "2025-01-02") { index } } }');
    expect(answer.errors).toBeUndefined();
    expect(answer.data.territory.name).toBe('Strasbourg');
    expect(answer.data.territory.airQuality).toHaveLength(1);
    expect(await ran('subgraph:adeus')).toBeGreaterThan(adeus);
    expect(await ran('subgraph:atmo')).toBeGreaterThan(atmo);
    expect(requestsToSubgraphPorts).toBe(0);
  });

  it('a subgraph still checks the token itself: a researcher reads ORSAL\'s restricted values, an expired token reads nothing', async () => {
    const query = '{ territory(code: "67482") { health { indicator cases } } }';
    const researcher = await gatewayQuery(query, undefined, await bearer(['orsal:restricted'], 'in-process-researcher'));
    expect(researcher.errors).toBeUndefined();
    expect(researcher.data.territory.health.some((h: { cases: number | null }) => typeof h.cases === 'number')).toBe(true);
    const expired = await gatewayQuery(query, undefined, await bearer(['orsal:restricted'], 'in-process-researcher', -60));
    expect(expired.data ?? null).toBeNull();
    expect(expired.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(requestsToSubgraphPorts).toBe(0);
  });

  it('their HTTP ports still answer a direct caller, with the same rules', async () => {
    const direct = await postGraphQL(hub.subgraph('orsal').url, '{ _entities(representations: [{ __typename: "Territory", code: "67482" }]) { ... on Territory { health { cases } } } }');
    expect(direct.errors?.[0]?.extensions?.code).toMatch(/FORBIDDEN|UNAUTHENTICATED/);
    expect(requestsToSubgraphPorts).toBe(1);
  });
});
