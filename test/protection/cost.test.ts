import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildASTSchema, getIntrospectionQuery, getNamedType, getNullableType, isCompositeType, isListType, isObjectType, parse, type GraphQLSchema } from 'graphql';
import { testVerifier } from '../support/auth.ts';
import { testHub } from '../support/hub.ts';
import { serveApp } from '../support/subgraph.ts';
import { createGatewayApp } from '../../gateway/gateway.ts';
import { readSupergraph } from '../../gateway/supergraph.ts';
import { DEFAULT_COST_BUDGET } from '../../lib/cost/budget.ts';
import { readCostPolicy, type CostPolicy } from '../../lib/cost/costPolicy.ts';
import { operationCost } from '../../lib/cost/operationCost.ts';
import { actualCost } from '../../lib/cost/actualCost.ts';
import { GATEWAY_MIX } from '../../bench/queries.ts';
import type { Hub } from '../../hub/hub.ts';
import { postJson } from './http.ts';

/** The bomb: every territory's indice ATMO over a leap year, under 20 aliases. */
const bomb = (from = '"2024-01-01"', to = '"2024-12-31"', territories = 'territories') =>
  `{ ${Array.from({ length: 20 }, (_, i) => `t${i}: ${territories} { airQuality(from: ${from}, to: ${to}) { date index } }`).join(' ')} }`;
/** The same, its range (and, to keep the test fast, the kind of territory) in variables. */
const BOMB_VARIABLES = `query Bomb($from: String!, $to: String!, $kind: TerritoryKind) ${bomb('$from', '$to', 'territories(kind: $kind)')}`;
const MONTH = '{ territory(code: "67482") { airQuality(from: "2025-01-01", to: "2025-01-31") { date index } } }';

/**
 * A producer's door that counts who knocks: every request is forwarded to the real subgraph, so the hub
 * answers as usual and the test sees how many requests reached each producer.
 */
async function countingDoor(target: string) {
  const door = { hits: 0, url: '', close: async () => {} };
  const server = http.createServer(async (req, res) => {
    door.hits++;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => ['content-type', 'authorization', 'x-request-id'].includes(name))) as Record<string, string>;
    const response = await fetch(target, { method: req.method, headers, body: req.method === 'POST' ? Buffer.concat(chunks) : undefined });
    res.writeHead(response.status, { 'content-type': response.headers.get('content-type') ?? 'application/json' });
    res.end(Buffer.from(await response.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  door.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  door.close = () => new Promise((resolve) => server.close(() => resolve()));
  return door;
}

/** A gateway of its own, with `budget`, in front of the hub's subgraphs reached through counting doors. */
async function watchedGateway(hub: Hub, budget?: number) {
  const doors = Object.fromEntries(await Promise.all(Object.entries(hub.subgraphs).map(async ([name, { url }]) => [name, await countingDoor(url)] as const)));
  const { app, server } = await createGatewayApp({
    subgraphUrls: Object.fromEntries(Object.entries(doors).map(([name, door]) => [name, door.url])),
    verifier: await testVerifier(),
    audit: async () => {},
    log: () => {},
    costBudget: budget,
  });
  const served = await serveApp(app);
  return {
    url: served.url,
    hits: () => Object.values(doors).reduce((sum, door) => sum + door.hits, 0),
    close: async () => {
      await served.close();
      await server.stop();
      await Promise.all(Object.values(doors).map((door) => door.close()));
    },
  };
}

describe('a query is priced by the work it asks for, and refused over budget before any producer works', () => {
  let hub: Hub;
  let gateway: Awaited<ReturnType<typeof watchedGateway>>;
  beforeAll(async () => {
    hub = await testHub();
    gateway = await watchedGateway(hub);
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it('refuses the 20-alias year-long bomb with its cost and the budget, and no producer is called', async () => {
    const before = gateway.hits();
    const response = await postJson(gateway.url, { query: bomb() });
    expect(response.status).toBe(400);
    expect(response.json?.data).toBeUndefined();
    const [error] = response.json?.errors ?? [];
    expect(error?.extensions).toMatchObject({ code: 'COST_LIMIT_EXCEEDED', cost: 7_340_000, budget: DEFAULT_COST_BUDGET });
    expect(error?.message).toBe(`query cost 7,340,000 exceeds the budget of ${DEFAULT_COST_BUDGET.toLocaleString('en')}: ask for fewer items, days or aliases`);
    expect(gateway.hits()).toBe(before);
    // The doors do count: a cheap query reaches the producers.
    expect((await postJson(gateway.url, { query: MONTH })).json?.data?.territory?.airQuality).toHaveLength(31);
    expect(gateway.hits()).toBeGreaterThan(before);
  });

  it('prices the variables too: the same bomb with its range in variables is refused, a one-day range passes', async () => {
    const before = gateway.hits();
    const refused = await postJson(gateway.url, { query: BOMB_VARIABLES, variables: { from: '2024-01-01', to: '2024-12-31' } });
    expect(refused.json?.errors?.[0]?.extensions).toMatchObject({ code: 'COST_LIMIT_EXCEEDED', cost: 7_340_000 });
    expect(gateway.hits()).toBe(before);
    // The kind does not change the price (a list is priced at its documented bound), the days do.
    const oneDay = await postJson(gateway.url, { query: BOMB_VARIABLES, variables: { from: '2024-01-01', to: '2024-01-01', kind: 'EPCI' } });
    expect(oneDay.json?.errors).toBeUndefined();
    expect(oneDay.json?.data?.t19).toHaveLength(2);
    expect(oneDay.json?.data?.t19?.[0]?.airQuality).toHaveLength(1);
  });

  it('answers a query at exactly its budget and refuses it one unit below', async () => {
    const exact = await watchedGateway(hub, 32);
    const tight = await watchedGateway(hub, 31);
    try {
      const answered = await postJson(exact.url, { query: MONTH });
      expect(answered.json?.errors).toBeUndefined();
      expect(answered.json?.data?.territory?.airQuality).toHaveLength(31);
      const refused = await postJson(tight.url, { query: MONTH });
      expect(refused.status).toBe(400);
      expect(refused.json?.errors?.[0]).toMatchObject({
        message: 'query cost 32 exceeds the budget of 31: ask for fewer items, days or aliases',
        extensions: { code: 'COST_LIMIT_EXCEEDED', cost: 32, budget: 31 },
      });
      expect(tight.hits()).toBe(0);
    } finally {
      await Promise.all([exact.close(), tight.close()]);
    }
  });

  it('bounds a producer called directly: its own schema prices the bomb and refuses it', async () => {
    const representations = Array.from({ length: 3000 }, () => ({ __typename: 'Territory', code: '67482' }));
    const query = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Territory { airQuality(from: "2024-01-01", to: "2024-12-31") { date index } } } }';
    const started = Date.now();
    const response = await postJson(hub.subgraph('atmo').url, { query, variables: { r: representations } });
    expect(response.status).toBe(400);
    expect(response.json?.errors?.[0]?.extensions).toMatchObject({ code: 'COST_LIMIT_EXCEEDED', cost: 3000 * 367, budget: DEFAULT_COST_BUDGET });
    expect(Date.now() - started).toBeLessThan(2000);
    // The gateway's own fetches stay within a producer's budget: one representation passes.
    const one = await postJson(hub.subgraph('atmo').url, { query, variables: { r: representations.slice(0, 1) } });
    expect(one.json?.errors).toBeUndefined();
    expect(one.json?.data?._entities?.[0]?.airQuality).toHaveLength(366);
  });

  it('bounds a producer called directly in depth and aliases too', async () => {
    const aliases = `{ ${Array.from({ length: 300 }, (_, i) => `a${i}: territory(code: "67482") { code }`).join(' ')} }`;
    const wide = await postJson(hub.subgraph('adeus').url, { query: aliases });
    expect(wide.status).toBe(400);
    expect(wide.json?.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const deep = `{ territory(code: "67482") { ${'parent { '.repeat(41)}code${' }'.repeat(41)} } }`;
    const response = await postJson(hub.subgraph('adeus').url, { query: deep });
    expect(response.status).toBe(400);
    expect(response.json?.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});

describe('the cost model declared in the SDL', () => {
  let schema: GraphQLSchema;
  let policy: CostPolicy;
  const cost = (query: string, variables?: Record<string, unknown>) => operationCost({ schema, policy, document: parse(query), variables });
  beforeAll(() => {
    schema = buildASTSchema(parse(readSupergraph()), { assumeValidSDL: true });
    policy = readCostPolicy(schema);
  });

  it('multiplies a page by its `first`, given inline or in a variable', () => {
    const page = (first: string) => `query($n: Int) { airStation(id: "FR16029") { measurements(from: "2025-01-01T00:00:00Z", to: "2025-01-02T00:00:00Z", first: ${first}) { edges { node { value } } pageInfo { hasNextPage } } } }`;
    // The station 1, the connection 1, its page info 1, and 2 per item (the edge and its node).
    expect(cost(page('10'))).toBe(3 + 2 * 10);
    expect(cost(page('1000'))).toBe(3 + 2 * 1000);
    expect(cost(page('$n'), { n: 500 })).toBe(3 + 2 * 500);
    // Without `first`, the page has its default size (100).
    expect(cost(page('$n'))).toBe(3 + 2 * 100);
  });

  it('counts an answer\'s actual cost over what it holds: a list its items, not its assumed size', () => {
    const dashboard = '{ territories(kind: COMMUNE, in: "246700488") { code airQuality(from: "2025-01-01", to: "2025-01-01") { index } } }';
    const data = { territories: Array.from({ length: 33 }, (_, i) => ({ code: String(67000 + i), airQuality: i === 0 ? [] : [{ index: 2 }] })) };
    expect(cost(dashboard)).toBe(1000 * (1 + 1));
    // 33 territories, 32 of them with one index.
    expect(actualCost({ schema, policy, document: parse(dashboard), data })).toBe(33 + 32);
    // Aliases, fragments and @skip are read as the estimate reads them; nulls cost nothing.
    const aliased = 'query($s: Boolean!) { a: territory(code: "67482") { ...t } b: territory(code: "67001") { ...t } c: territory(code: "67043") @skip(if: $s) { code } } fragment t on Territory { code urban { greenSpaceShare } }';
    expect(actualCost({ schema, policy, document: parse(aliased), variables: { s: true }, data: { a: { code: '67482', urban: { greenSpaceShare: 1 } }, b: null } })).toBe(2);
    // A polygon keeps its vertex units: PostGIS's work grows with them, whatever the answer holds.
    const ring = Array.from({ length: 129 }, (_, i) => [7.7 + 0.01 * Math.cos((i * 2 * Math.PI) / 128), 48.58 + 0.01 * Math.sin((i * 2 * Math.PI) / 128)]);
    const area = 'query($p: GeoJSON!) { area(select: { polygon: $p }) { territories { code } } }';
    expect(actualCost({ schema, policy, document: parse(area), variables: { p: { type: 'Polygon', coordinates: [ring] } }, data: { area: { territories: [{ code: '67482' }] } } })).toBe(3 * (1 + 1));
  });

  it('multiplies a daily series by the days of its range', () => {
    const range = (to: string) => `{ territory(code: "67482") { airQuality(from: "2025-01-01", to: "${to}") { date subIndices { no2 } } } }`;
    expect(cost(range('2025-01-01'))).toBe(1 + 1 * 2);
    expect(cost(range('2025-01-31'))).toBe(1 + 31 * 2);
    expect(cost(range('2025-12-31'))).toBe(1 + 365 * 2);
  });

  it('multiplies an area by the vertices of its polygon, one unit per 64', () => {
    const ring = (n: number) => [...Array.from({ length: n - 1 }, (_, i) => [7.7 + 0.01 * Math.cos((2 * Math.PI * i) / (n - 1)), 48.5 + 0.01 * Math.sin((2 * Math.PI * i) / (n - 1))]), [7.71, 48.5]];
    const query = 'query($p: GeoJSON) { area(select: { polygon: $p }) { airStations { id } } }';
    const polygon = (n: number) => ({ type: 'Polygon', coordinates: [ring(n)] });
    const base = cost(query, { p: polygon(64) });
    expect(cost(query, { p: polygon(128) })).toBe(2 * base);
    expect(cost(query, { p: polygon(640) })).toBe(10 * base);
    expect(cost('{ area(select: { point: { lon: 7.75, lat: 48.57 }, radiusMeters: 2000 }) { airStations { id } } }')).toBe(base);
  });

  it('sizes every list of objects: by `@listSize`, by `@costFactor`, or as the `edges` of a sized connection', () => {
    const sizedByParent = new Set<string>();
    const unsized: string[] = [];
    const objectTypes = Object.values(schema.getTypeMap()).filter(isObjectType).filter((type) => !type.name.startsWith('_'));
    for (const type of objectTypes) {
      for (const field of Object.values(type.getFields())) {
        for (const child of policy.fields.get(`${type.name}.${field.name}`)?.listSize?.sizedFields ?? []) sizedByParent.add(`${getNamedType(field.type).name}.${child}`);
      }
    }
    for (const type of objectTypes) {
      for (const field of Object.values(type.getFields())) {
        const coordinate = `${type.name}.${field.name}`;
        if (!isListType(getNullableType(field.type)) || !isCompositeType(getNamedType(field.type))) continue;
        const declared = policy.fields.get(coordinate);
        if (!declared?.listSize && !declared?.factor && !sizedByParent.has(coordinate)) unsized.push(coordinate);
      }
    }
    expect(unsized).toEqual([]);
  });

  it('keeps every documented query within the budget', () => {
    const golden = path.join(import.meta.dirname, '..', 'contract', 'golden');
    const documented = [
      ...fs.readdirSync(golden).filter((file) => file.endsWith('.graphql')).map((file) => [file, fs.readFileSync(path.join(golden, file), 'utf8')] as const),
      ...[...fs.readFileSync(path.join(import.meta.dirname, '..', '..', 'README.md'), 'utf8').matchAll(/```graphql\n([\s\S]*?)```/g)].map((m, i) => [`README example ${i + 1}`, m[1]!] as const),
      ...GATEWAY_MIX.map((body, i) => [`bench query ${i + 1}`, (JSON.parse(body) as { query: string }).query] as const),
      ['GraphiQL introspection', getIntrospectionQuery()] as const,
    ];
    const costs = Object.fromEntries(documented.map(([name, query]) => [name, cost(query)]));
    for (const [name, value] of Object.entries(costs)) expect(value, name).toBeLessThanOrEqual(DEFAULT_COST_BUDGET);
    expect(costs['GraphiQL introspection']).toBe(0);
  });
});
