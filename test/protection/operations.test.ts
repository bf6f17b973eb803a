import { beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../support/auth.ts';
import { testHub } from '../support/hub.ts';
import type { Hub } from '../../hub/hub.ts';
import { getGraphQL, postJson } from './http.ts';

/**
 * A document may hold several operations; the client names the one to run. The gateway runs exactly the
 * operation Apollo resolved from that name, or nothing: a write must never happen while the client is told
 * it failed (a retry would repeat it), and a name that selects nothing must not slip a mutation past
 * "no mutations over GET".
 */
describe('a client that sends several operations gets exactly the one it named, or nothing', () => {
  let hub: Hub;
  let headers: Record<string, string>;
  beforeAll(async () => {
    hub = await testHub();
    headers = await bearer([], 'operation-tester');
  });

  /** Dataset requests titled `title`: a mutation that ran leaves one. */
  const requestsTitled = async (title: string) => {
    const [row] = await hub.subgraph('community').db.knex('community.dataset_request').where({ title }).count({ n: '*' });
    return Number(row!.n);
  };
  const twoOperations = (title: string) =>
    `mutation Ask { requestDataset(title: "${title}", description: "noise maps per IRIS") { id } } query Read { territory(code: "67482") { name } }`;

  it('refuses an empty operationName with 400 and writes nothing', async () => {
    const title = 'empty operation name';
    const response = await postJson(hub.gatewayUrl, { query: twoOperations(title), operationName: '' }, headers);
    expect(await requestsTitled(title)).toBe(0);
    expect(response.status).toBe(400);
    expect(response.json?.errors?.[0]?.message).toMatch(/operation/i);
    expect(response.json?.data ?? null).toBeNull();
  });

  it('refuses an operationName the document does not hold with 400 and writes nothing', async () => {
    const title = 'unknown operation name';
    const response = await postJson(hub.gatewayUrl, { query: twoOperations(title), operationName: 'Nope' }, headers);
    expect(response.status).toBe(400);
    expect(response.json?.data ?? null).toBeNull();
    expect(await requestsTitled(title)).toBe(0);
  });

  it('refuses several operations and no operationName with 400 and writes nothing', async () => {
    const title = 'no operation name';
    const response = await postJson(hub.gatewayUrl, { query: twoOperations(title) }, headers);
    expect(response.status).toBe(400);
    expect(await requestsTitled(title)).toBe(0);
  });

  it('runs only the named query, never the mutation beside it', async () => {
    const title = 'query named';
    const response = await postJson(hub.gatewayUrl, { query: twoOperations(title), operationName: 'Read' }, headers);
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ data: { territory: { name: 'Strasbourg' } } });
    expect(await requestsTitled(title)).toBe(0);
  });

  it('runs the named mutation once over POST', async () => {
    const title = 'mutation named';
    const response = await postJson(hub.gatewayUrl, { query: twoOperations(title), operationName: 'Ask' }, headers);
    expect(response.status).toBe(200);
    expect(response.json?.errors).toBeUndefined();
    expect(await requestsTitled(title)).toBe(1);
  });

  it('refuses a mutation over GET, whatever operationName says, and writes nothing', async () => {
    const cases: [string, Record<string, string>][] = [
      ['the mutation named', { operationName: 'Ask' }],
      ['an empty name', { operationName: '' }],
      ['an unknown name', { operationName: 'Nope' }],
      ['no name', {}],
    ];
    for (const [name, params] of cases) {
      const title = `GET with ${name}`;
      const response = await getGraphQL(hub.gatewayUrl, { query: twoOperations(title), ...params }, headers);
      expect({ name, written: await requestsTitled(title), refused: [400, 405].includes(response.status) }).toEqual({ name, written: 0, refused: true });
    }
    const lone = 'GET with a lone mutation and an empty name';
    const response = await getGraphQL(hub.gatewayUrl, { query: `mutation { requestDataset(title: "${lone}", description: "x") { id } }`, operationName: '' }, headers);
    expect([400, 405]).toContain(response.status);
    expect(await requestsTitled(lone)).toBe(0);
  });

  it('answers the named query over GET', async () => {
    const title = 'GET query named';
    const response = await getGraphQL(hub.gatewayUrl, { query: twoOperations(title), operationName: 'Read' }, headers);
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ data: { territory: { name: 'Strasbourg' } } });
    expect(await requestsTitled(title)).toBe(0);
  });
});
