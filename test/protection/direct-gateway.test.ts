import net from 'node:net';
import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatewayApp, type GatewayOptions } from '../../gateway/gateway.ts';
import { changeSourcesOf } from '../../lib/changes/changeSourcesOf.ts';
import { answerCacheLookups } from '../../lib/observability/metrics.ts';
import { MAX_REQUEST_BYTES } from '../../lib/queryLimits.ts';
import { PRODUCER_NAMES } from '../../subgraphs/registry.ts';
import type { Hub } from '../../hub/hub.ts';
import { testHub } from '../support/hub.ts';
import { bearer, testVerifier } from '../support/auth.ts';
import { serveApp, type ClaimedServer } from '../support/subgraph.ts';
import { ODD_BODIES, rawPost, type RawAnswer } from '../support/rawPost.ts';
import { INTERNALS } from './http.ts';
import createETag from 'etag';

/**
 * The gateway answers the common anonymous POST /graphql without Express (gateway/directGateway.ts). Each story
 * sends the same request to the gateway (`app`, which takes that path) and to the same gateway's Express app alone
 * (`expressApp`, the reference): one gateway, one answer cache, one set of budgets, two doors. The answers must be the
 * same, byte for byte, ETag included.
 */
const randomClient = () => `127.${randomInt(1, 254)}.${randomInt(1, 254)}.${randomInt(2, 254)}`;
const replays = async () => (await answerCacheLookups.get()).values.find((v) => v.labels.result === 'hit')?.value ?? 0;

describe('the gateway answers anonymous GraphQL without Express, exactly as its Express route does', () => {
  let hub: Hub;
  const started: { stop(): Promise<void> }[] = [];

  /** One gateway in front of the hub's subgraphs, served twice: its direct door and its Express app. */
  async function gateway(overrides: Partial<GatewayOptions> = {}) {
    const built = await createGatewayApp({
      subgraphUrls: Object.fromEntries(Object.entries(hub.subgraphs).map(([name, s]) => [name, s.url])),
      verifier: await testVerifier(),
      audit: async () => {},
      log: () => {},
      changes: changeSourcesOf(PRODUCER_NAMES.map((name) => hub.subgraph(name).db)),
      limits: { perSecond: 1000, burst: 1000, concurrent: 1000 },
      ...overrides,
    });
    const direct: ClaimedServer = await serveApp(built.app);
    const viaExpress: ClaimedServer = await serveApp(built.expressApp);
    started.push({ stop: async () => (await direct.close(), await viaExpress.close(), await built.server.stop()) });
    return { direct: direct.url, express: viaExpress.url, answerCache: built.answerCache! };
  }

  /** The same request through both doors, from one client; the two answers. */
  async function both(doors: { direct: string; express: string }, body: string | Buffer, options: { headers?: Record<string, string>; from?: string } = {}): Promise<[RawAnswer, RawAnswer]> {
    const from = options.from ?? randomClient();
    return [await rawPost(doors.direct, body, { ...options, from }), await rawPost(doors.express, body, { ...options, from })];
  }

  /** The answer with its id set aside; its ETag checked to be Express's for the bytes sent (they hold the id), then set aside too. */
  const same = (answer: RawAnswer) => {
    expect(answer.etag).toBe(createETag(Buffer.from(answer.body.replaceAll('<request id>', answer.id)), { weak: true }));
    return { ...answer, id: '', etag: '' };
  };

  beforeAll(async () => {
    hub = await testHub();
  });
  afterAll(async () => {
    for (const { stop } of started) await stop();
  });

  const requests: [string, string | Buffer][] = [
    ['an open query', JSON.stringify({ query: '{ territory(code: "67482") { code name } }' })],
    ['an unknown territory', JSON.stringify({ query: '{ territory(code: "nowhere") { code } }' })],
    ['a restricted field, anonymously', JSON.stringify({ query: '{ territory(code: "67482") { name healthDetailed(indicator: "COPD_HOSPITALISATION") { period cases } } }' })],
    ['a syntax error', JSON.stringify({ query: '{ territory(code: "67482") {' })],
    ['a validation error', JSON.stringify({ query: '{ noSuchField }' })],
    ['variables of the wrong type', JSON.stringify({ query: 'query($c: String!) { territory(code: $c) { code } }', variables: { c: { not: 'a code' } } })],
    ...ODD_BODIES,
  ];

  it.each(requests)('%s: same status, headers, body and ETag rule either way', async (_name, body) => {
    const doors = await gateway();
    // Each door answers it once unkept, then once more (kept, if it may be): four answers, one answer.
    doors.answerCache.clear();
    const [direct, viaExpress] = await both(doors, body);
    doors.answerCache.clear();
    const [viaExpressFirst, directSecond] = (await both({ direct: doors.express, express: doors.direct }, body)).reverse() as [RawAnswer, RawAnswer];
    for (const answer of [direct, viaExpressFirst, directSecond]) expect(same(answer)).toEqual(same(viaExpress));
    expect(direct.etag).toMatch(/^W\/"/);
    expect(direct.body).not.toMatch(INTERNALS);
  });

  it('keeps and replays answers as the Express route does: kept by one door, replayed by the other, counted as replays', async () => {
    const doors = await gateway();
    const query = JSON.stringify({ query: 'query DirectKept { territory(code: "67482") { name airQuality(from: "2025-03-01", to: "2025-03-07") { date index } } }' });
    doors.answerCache.clear();
    const before = await replays();
    const kept = await rawPost(doors.direct, query);
    expect(doors.answerCache.size).toBe(1);
    const [replayedDirect, replayedExpress] = await both(doors, query);
    expect(await replays()).toBe(before + 2);
    expect(same(replayedDirect)).toEqual(same(kept));
    expect(same(replayedExpress)).toEqual(same(kept));
    expect(JSON.parse(kept.body).data.territory.airQuality).toHaveLength(7);
    // Kept by Express, replayed directly.
    doors.answerCache.clear();
    const keptByExpress = await rawPost(doors.express, query);
    expect(same(await rawPost(doors.direct, query))).toEqual(same(keptByExpress));
    expect(await replays()).toBe(before + 3);
  });

  it('refuses a restricted read to an anonymous caller and leaves every token to the Express route, which serves a researcher', async () => {
    const doors = await gateway();
    const query = JSON.stringify({ query: '{ territory(code: "67482") { name healthDetailed(indicator: "COPD_HOSPITALISATION") { period cases } } }' });
    const anonymous = JSON.parse((await rawPost(doors.direct, query)).body);
    expect(anonymous.data.territory.healthDetailed).toBeNull();
    expect(anonymous.errors[0].extensions.code).toMatch(/^(UNAUTHENTICATED|FORBIDDEN)$/);
    const researcher = await bearer(['orsal:restricted'], 'direct-gateway-researcher');
    const [direct, viaExpress] = await both(doors, query, { headers: researcher });
    expect(same(direct)).toEqual(same(viaExpress));
    expect(direct.headers['cache-control']).toBe('private, no-store');
    expect(JSON.parse(direct.body).data.territory.healthDetailed.length).toBeGreaterThan(0);
    const forged = await rawPost(doors.direct, query, { headers: { authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJzY29wZSI6Im9yc2FsOnJlc3RyaWN0ZWQifQ.' } });
    expect(JSON.parse(forged.body).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect(forged.body).not.toContain('"cases"');
  });

  it('gives an untrusted caller a new request id, as the Express route does, and the same CORS and security headers', async () => {
    const doors = await gateway();
    const body = JSON.stringify({ query: '{ __typename }' });
    const [direct, viaExpress] = await both(doors, body, { headers: { 'x-request-id': 'spoofed-id-0001' } });
    expect(direct.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(viaExpress.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(direct.headers).toEqual(viaExpress.headers);
    expect(direct.headers).toMatchObject({ 'access-control-allow-origin': '*', 'cross-origin-resource-policy': 'cross-origin', vary: expect.stringContaining('Authorization'), 'x-content-type-options': 'nosniff' });
  });

  it('behind a trusted proxy, takes the client it forwarded for and the id it sent, as the Express route does', async () => {
    const doors = await gateway({ trustedProxies: ['127.0.0.1'], limits: { perSecond: 1, burst: 2, concurrent: 1000 } });
    const proxy = '127.0.0.1';
    const body = JSON.stringify({ query: '{ __typename }' });
    const forwarded = (client: string, id: string) => ({ 'x-forwarded-for': client, 'x-request-id': id });
    const [direct, viaExpress] = await both(doors, body, { from: proxy, headers: forwarded('203.0.113.7', 'proxy.req-00001') });
    expect([direct.id, viaExpress.id]).toEqual(['proxy.req-00001', 'proxy.req-00001']);
    expect(same(direct)).toEqual(same(viaExpress));
    // One client behind the proxy spends its own budget at both doors; another behind the same proxy is still served.
    const answers: RawAnswer[] = [];
    for (let i = 0; i < 6; i++) answers.push(await rawPost(i % 2 ? doors.express : doors.direct, body, { from: proxy, headers: forwarded('203.0.113.7', `proxy.req-1000${i}`) }));
    expect(answers.map((a) => a.status).slice(-2)).toEqual([429, 429]);
    expect((await rawPost(doors.direct, body, { from: proxy, headers: forwarded('203.0.113.8', 'proxy.req-20000') })).status).toBe(200);
    // A caller that is not the proxy cannot pose as another client: its own address is what counts.
    const outsider = randomClient();
    const posing = await rawPost(doors.direct, body, { from: outsider, headers: forwarded('203.0.113.9', 'spoofed-id-0002') });
    expect(posing.status).toBe(200);
    expect(posing.id).not.toBe('spoofed-id-0002');
  });

  it('keeps an answer per Accept header, as the Express route does: one kept for JSON is not replayed for graphql-response+json', async () => {
    const doors = await gateway();
    const query = JSON.stringify({ query: 'query DirectAccept { territory(code: "67482") { code population } }' });
    doors.answerCache.clear();
    const json = await rawPost(doors.direct, query, { headers: { accept: 'application/json' } });
    expect(json.headers['content-type']).toBe('application/json; charset=utf-8');
    const [direct, viaExpress] = await both(doors, query, { headers: { accept: 'application/graphql-response+json' } });
    expect(same(direct)).toEqual(same(viaExpress));
    expect(direct.headers['content-type']).toBe('application/graphql-response+json; charset=utf-8');
    expect(JSON.parse(direct.body)).toEqual(JSON.parse(json.body));
  });

  it('answers with the same Vary when CORS is a list of origins (an answer for no Origin must not serve another)', async () => {
    const doors = await gateway({ corsOrigins: ['https://portal.example.fr'] });
    const [direct, viaExpress] = await both(doors, JSON.stringify({ query: '{ __typename }' }));
    expect(same(direct)).toEqual(same(viaExpress));
    expect(direct.headers.vary).toBe('Authorization, Origin');
    expect(direct.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('holds a client to its places in flight at either door, and frees them when its requests end', async () => {
    const doors = await gateway({ limits: { perSecond: 1000, burst: 1000, concurrent: 1 } });
    const client = randomClient();
    const { port, hostname } = new URL(doors.direct);
    // One request whose body never ends holds the client's one place.
    const holder = net.connect({ port: Number(port), host: hostname, localAddress: client });
    await new Promise<void>((resolve) => holder.once('connect', () => resolve()));
    holder.on('error', () => {});
    holder.write(`POST /graphql HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"query":"{ __ty`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const [direct, viaExpress] = await both(doors, JSON.stringify({ query: '{ __typename }' }), { from: client });
    expect([direct.status, viaExpress.status]).toEqual([429, 429]);
    expect(same(direct)).toEqual(same(viaExpress));
    expect(JSON.parse(direct.body).errors[0].message).toMatch(/too many requests in flight from this client: at most 1 at once/);
    holder.destroy();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await rawPost(doors.direct, JSON.stringify({ query: '{ __typename }' }), { from: client })).status).toBe(200);
  });

  it('spends the same rate limits: a client over its budget is refused alike at either door', async () => {
    const doors = await gateway({ limits: { perSecond: 1, burst: 2, concurrent: 1000 } });
    const client = randomClient();
    const body = JSON.stringify({ query: '{ __typename }' });
    const answers: RawAnswer[] = [];
    for (let i = 0; i < 8; i++) answers.push(await rawPost(i % 2 ? doors.express : doors.direct, body, { from: client }));
    const refused = answers.filter((a) => a.status === 429);
    expect(answers.filter((a) => a.status === 200).length).toBeLessThanOrEqual(4);
    // Refused at both doors, with the same headers and words (the seconds to wait aside).
    const normal = (a: RawAnswer) => ({ ...a, id: '', etag: '', headers: { ...a.headers, 'retry-after': 'n' }, body: a.body.replace(/\d+ s\b/g, 'n s').replace(/"retryAfterSeconds":\d+/, '"retryAfterSeconds":n') });
    const direct = refused.filter((_, i) => answers.indexOf(refused[i]!) % 2 === 0);
    const viaExpress = refused.filter((_, i) => answers.indexOf(refused[i]!) % 2 === 1);
    expect(direct.length).toBeGreaterThan(0);
    expect(viaExpress.length).toBeGreaterThan(0);
    expect(normal(direct[0]!)).toEqual(normal(viaExpress[0]!));
    expect(JSON.parse(direct[0]!.body).errors[0].extensions).toMatchObject({ code: 'RATE_LIMITED', requestId: '<request id>' });
    // Another client is still served.
    expect((await rawPost(doors.direct, body, { from: randomClient() })).status).toBe(200);
  });

  it('refuses again before Apollo an operation priced over the budget, alike at either door', async () => {
    const doors = await gateway({ costBudget: 10 });
    const body = JSON.stringify({ query: '{ territory(code: "67482") { airQuality(from: "2025-01-01", to: "2025-01-31") { date index } } }' });
    const priced = await rawPost(doors.direct, body);
    expect(JSON.parse(priced.body).errors[0].extensions.code).toBe('COST_LIMIT_EXCEEDED');
    const [direct, viaExpress] = await both(doors, body);
    expect(same(direct)).toEqual(same(viaExpress));
    expect(direct.status).toBe(400);
    expect(JSON.parse(direct.body).errors[0].extensions).toMatchObject({ code: 'COST_LIMIT_EXCEEDED', budget: 10, requestId: '<request id>' });
  });

  it('lets go of a client that leaves in the middle of its body: its place in flight is freed, and it is served next', async () => {
    const doors = await gateway({ limits: { perSecond: 1000, burst: 1000, concurrent: 1 } });
    const client = randomClient();
    const { port, hostname } = new URL(doors.direct);
    for (let i = 0; i < 3; i++) {
      await new Promise<void>((resolve) => {
        const socket = net.connect({ port: Number(port), host: hostname, localAddress: client }, () => {
          socket.write(`POST /graphql HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"query":"{ __ty`);
          setTimeout(() => socket.destroy(), 50);
        });
        socket.on('close', () => resolve());
        socket.on('error', () => {});
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    const next = await rawPost(doors.direct, JSON.stringify({ query: '{ __typename }' }), { from: client });
    expect({ status: next.status, body: JSON.parse(next.body) }).toEqual({ status: 200, body: { data: { __typename: 'Query' } } });
  });

  it('leaves a body beyond the limit to the Express route, which refuses it with 413', async () => {
    const doors = await gateway();
    const answer = await rawPost(doors.direct, JSON.stringify({ query: '{ __typename }', variables: { x: 'a'.repeat(MAX_REQUEST_BYTES) } }));
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body).errors[0]).toMatchObject({ message: `the request body is larger than ${MAX_REQUEST_BYTES} bytes`, extensions: { code: 'BAD_REQUEST' } });
  });
});
