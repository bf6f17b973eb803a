import http from 'node:http';
import net from 'node:net';
import { randomInt, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createGatewayApp, type GatewayOptions } from '../../gateway/gateway.ts';
import { testHub } from '../support/hub.ts';
import { bearer, testVerifier } from '../support/auth.ts';
import { serveApp, type ClaimedServer } from '../support/subgraph.ts';
import type { Hub } from '../../hub/hub.ts';

/**
 * A crowd at the door: one client bursting, clients hiding behind forged X-Forwarded-For headers, several
 * gateway replicas behind one load balancer. Each client is one loopback address (127.x.y.z), as distinct
 * machines would be; addresses are drawn at random per run so budgets left in Redis by an earlier run never
 * meet this one.
 */
const CHEAP = '{ territory(code: "67482") { name } }';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

interface Answer {
  status: number;
  retryAfter: string | undefined;
  body: any;
}

/** POSTs a query from a given local address (the client's identity as the gateway's socket sees it). */
function post(url: string, from: string, query = CHEAP, headers: Record<string, string> = {}): Promise<Answer> {
  const body = JSON.stringify({ query });
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST', localAddress: from, agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers } }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, retryAfter: response.headers['retry-after'] as string | undefined, body: JSON.parse(text) }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

/** The most a budget of `perSecond` plus `burst` (in 10 s) lets through in `ms` of fixed one-second windows. */
const allowed = (perSecond: number, burst: number, ms: number) => burst + perSecond * (Math.ceil(ms / 1000) + 1);

const randomClient = () => `127.${randomInt(1, 254)}.${randomInt(1, 254)}.${randomInt(2, 254)}`;

async function redisAnswers(): Promise<boolean> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, connectTimeout: 500, retryStrategy: () => null });
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

describe('load shedding: budgets per client, 429 with Retry-After', () => {
  let hub: Hub;
  const started: { server: ClaimedServer; stop(): Promise<void> }[] = [];

  async function gateway(overrides: Partial<GatewayOptions> = {}): Promise<string> {
    const subgraphUrls = Object.fromEntries(Object.entries(hub.subgraphs).map(([name, s]) => [name, s.url]));
    const { app, server } = await createGatewayApp({
      subgraphUrls,
      verifier: await testVerifier(),
      audit: async () => {},
      log: () => {},
      // No cap on requests in flight unless a test is about it: the bursts below are sent at once.
      limits: { perSecond: 5, burst: 10, concurrent: 1000 },
      ...overrides,
    });
    const served = await serveApp(app);
    started.push({ server: served, stop: () => server.stop() });
    return served.url;
  }

  beforeAll(async () => {
    hub = await testHub();
  });

  afterAll(async () => {
    for (const { server, stop } of started) {
      await server.close();
      await stop();
    }
  });

  it('a burst beyond the budget gets 429 with Retry-After, and another client is still served', async () => {
    const url = await gateway();
    const client = randomClient();
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: 40 }, () => post(url, client)));
    const served = answers.filter((a) => a.status === 200);
    const refused = answers.filter((a) => a.status === 429);
    // 5 per second plus a burst of 10 in 10 s: 15 in the first second, 5 more in each second the burst lasted.
    expect(served.length).toBeGreaterThanOrEqual(5);
    expect(served.length).toBeLessThanOrEqual(allowed(5, 10, Date.now() - started));
    expect(served.length + refused.length).toBe(40);
    for (const answer of refused) {
      expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(answer.body.errors[0].extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: Number(answer.retryAfter), requestId: expect.any(String) });
      expect(answer.body.errors[0].message).toMatch(/at most 5 per second/);
    }
    const other = await post(url, randomClient());
    expect(other.status).toBe(200);
    expect(other.body.data.territory.name).toBe('Strasbourg');
  });

  it('a forged X-Forwarded-For from an untrusted peer changes nothing: the socket\'s address is the client', async () => {
    const url = await gateway();
    const client = randomClient();
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => post(url, client, CHEAP, { 'x-forwarded-for': `203.0.113.${i + 1}` })));
    // Thirty "different" clients would all be served; one client is held to its budget.
    expect(answers.filter((a) => a.status === 200).length).toBeLessThanOrEqual(Math.min(allowed(5, 10, Date.now() - started), 29));
    expect(answers.some((a) => a.status === 429)).toBe(true);
  });

  it('behind a trusted proxy, each forwarded client has its own budget, and the proxy\'s request id is kept', async () => {
    const proxy = randomClient();
    const url = await gateway({ trustedProxies: [proxy] });
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => post(url, proxy, CHEAP, { 'x-forwarded-for': `198.51.100.${i + 1}` })));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const id = `proxy-${randomUUID()}`;
    const traced = await post(url, proxy, '{ territory(code: "00000") { name } }', { 'x-request-id': id });
    expect(traced.body.errors[0].extensions.requestId).toBe(id);
    // The same header from a client the gateway does not trust is replaced by an id of its own.
    const untrusted = await post(url, randomClient(), '{ territory(code: "00000") { name } }', { 'x-request-id': id });
    expect(untrusted.body.errors[0].extensions.requestId).not.toBe(id);
  });

  it('a token has a budget of its own, wherever it comes from', async () => {
    const url = await gateway();
    const token = await bearer(['orsal:restricted'], `burst-${randomUUID()}`);
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: 30 }, () => post(url, randomClient(), CHEAP, token)));
    // Thirty addresses would each have a budget of their own; the one token is held to its budget.
    expect(answers.filter((a) => a.status === 200).length).toBeLessThanOrEqual(Math.min(allowed(5, 10, Date.now() - started), 29));
    expect(answers.some((a) => a.status === 429)).toBe(true);
  });

  it('caps the requests one client has in flight at once', async () => {
    // A producer that never answers keeps requests in flight until the subgraph deadline.
    const frozen = net.createServer(() => {});
    await new Promise<void>((resolve) => frozen.listen(0, '127.0.0.1', resolve));
    try {
      const subgraphUrls = { ...Object.fromEntries(Object.entries(hub.subgraphs).map(([name, s]) => [name, s.url])), orsal: `http://127.0.0.1:${(frozen.address() as net.AddressInfo).port}/graphql` };
      const url = await gateway({ subgraphUrls, subgraphTimeoutMs: 1000, limits: { perSecond: 100, burst: 100, concurrent: 2 } });
      const client = randomClient();
      const slow = '{ territory(code: "67482") { health { value } } }';
      const answers = await Promise.all(Array.from({ length: 4 }, () => post(url, client, slow)));
      expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 429, 429]);
      const refusal = answers.find((a) => a.status === 429)!;
      expect(refusal.retryAfter).toBe('1');
      expect(refusal.body.errors[0].message).toMatch(/at most 2 at once/);
      // Once answered, the client may send again.
      expect((await post(url, client, CHEAP)).status).toBe(200);
    } finally {
      frozen.close();
    }
  });

  describe('expensive requests (priced by the cost model) wait their turn; cheap ones never do', () => {
    const EXPENSIVE = '{ territories(kind: COMMUNE) { code health { value } } }';

    async function gatewayWithFrozenOrsal(limits: Partial<NonNullable<GatewayOptions['limits']>>) {
      // ORSAL never answers, so an expensive request holds its slot until the 1 s subgraph deadline.
      const frozen = net.createServer(() => {});
      await new Promise<void>((resolve) => frozen.listen(0, '127.0.0.1', resolve));
      const subgraphUrls = { ...Object.fromEntries(Object.entries(hub.subgraphs).map(([name, s]) => [name, s.url])), orsal: `http://127.0.0.1:${(frozen.address() as net.AddressInfo).port}/graphql` };
      const url = await gateway({ subgraphUrls, subgraphTimeoutMs: 1000, limits: { perSecond: 100, burst: 100, concurrent: 100, expensiveCost: 100, expensiveSlots: 1, expensivePerClient: 1, expensiveWaitMs: 200, costPerMinute: 1e12, ...limits } });
      return { url, close: () => frozen.close() };
    }

    it('one expensive request per client, a few hub-wide, refused with 429 past a short wait; a cheap query goes straight through', async () => {
      const { url, close } = await gatewayWithFrozenOrsal({});
      try {
        const [a, b, c] = [randomClient(), randomClient(), randomClient()];
        const first = post(url, a, EXPENSIVE);
        await new Promise((resolve) => setTimeout(resolve, 150));
        const again = await post(url, a, EXPENSIVE);
        expect(again.status).toBe(429);
        expect(again.retryAfter).toBe('1');
        expect(again.body.errors[0]).toMatchObject({ message: expect.stringMatching(/already has 1 expensive request running \(at most 1\)/), extensions: { code: 'RATE_LIMITED' } });
        const waited = Date.now();
        const other = await post(url, b, EXPENSIVE);
        expect(other.status).toBe(429);
        expect(other.body.errors[0].message).toMatch(/the hub is busy with expensive requests/);
        expect(Date.now() - waited).toBeGreaterThanOrEqual(190);
        const cheapStarted = Date.now();
        const cheap = await post(url, c, CHEAP);
        expect(cheap.status).toBe(200);
        expect(cheap.body.data.territory.name).toBe('Strasbourg');
        expect(Date.now() - cheapStarted).toBeLessThan(500);
        // The first one ran (ORSAL's fields null, the rest there); its slot is free again for the next client.
        const answered = await first;
        expect(answered.status).toBe(200);
        expect(answered.body.data.territories).toHaveLength(68);
        expect((await post(url, b, EXPENSIVE)).status).toBe(200);
      } finally {
        close();
      }
    });

    it('smaller expensive requests share a slot while their costs add up to what it holds; one of that cost or more runs alone', async () => {
      // One slot of 450 cost units; MID is priced 201, EXPENSIVE 201,000.
      const MID = '{ territory(code: "67482") { health { value } } }';
      const { url, close } = await gatewayWithFrozenOrsal({ expensiveSlotCost: 450 });
      try {
        const [a, b, c, d] = [randomClient(), randomClient(), randomClient(), randomClient()];
        const side = [post(url, a, MID), post(url, b, MID)];
        await new Promise((resolve) => setTimeout(resolve, 150));
        // Two run side by side (402 units); a third would exceed the slot: it waits, then 429.
        const third = await post(url, c, MID);
        expect(third.status).toBe(429);
        expect(third.body.errors[0].message).toMatch(/the hub is busy with expensive requests/);
        for (const answered of await Promise.all(side)) expect(answered.status).toBe(200);
        const alone = post(url, a, EXPENSIVE);
        await new Promise((resolve) => setTimeout(resolve, 150));
        expect((await post(url, d, MID)).status).toBe(429);
        expect((await alone).status).toBe(200);
        expect((await post(url, d, MID)).status).toBe(200);
      } finally {
        close();
      }
    });
    it('an expensive request spends its client\'s cost budget per minute; spent, the next one is refused with when to retry', async () => {
      const { url, close } = await gatewayWithFrozenOrsal({ costPerMinute: 100, expensiveSlots: 10 });
      try {
        const client = randomClient();
        expect((await post(url, client, EXPENSIVE)).status).toBe(200);
        const refused = await post(url, client, EXPENSIVE);
        expect(refused.status).toBe(429);
        expect(refused.body.errors[0].message).toMatch(/spent its budget of expensive requests: 100 cost units per minute/);
        expect(Number(refused.retryAfter)).toBeGreaterThan(1);
        // Cheap requests never spend it.
        expect((await post(url, client, CHEAP)).status).toBe(200);
      } finally {
        close();
      }
    });
    it('a crowd, each client within its own budget, spends the hub\'s: past it, expensive requests wait for the minute, cheap ones still pass', async () => {
      const { url, close } = await gatewayWithFrozenOrsal({ hubCostPerMinute: 150, expensiveSlots: 10, expensivePerClient: 10 });
      try {
        const [a, b, c] = [randomClient(), randomClient(), randomClient()];
        expect((await post(url, a, EXPENSIVE)).status).toBe(200);
        // b has spent nothing, yet the hub has: refused with the time the hub's budget refills.
        const refused = await post(url, b, EXPENSIVE);
        expect(refused.status).toBe(429);
        expect(refused.body.errors[0]).toMatchObject({ message: expect.stringMatching(/the hub has spent its budget of expensive requests for this minute \(150 cost units, all clients together\)/), extensions: { code: 'RATE_LIMITED' } });
        expect(Number(refused.retryAfter)).toBeGreaterThan(1);
        // Sent again, it is refused before Apollo parses it (the same answer), and cheap queries never wait.
        const again = await post(url, c, EXPENSIVE);
        expect(again.status).toBe(429);
        expect(again.body.errors[0].message).toMatch(/all clients together/);
        expect((await post(url, b, CHEAP)).status).toBe(200);
        expect((await post(url, c, CHEAP)).status).toBe(200);
      } finally {
        close();
      }
    });
  });

  it('an expensive request is charged what its answer actually holds: a dashboard of 33 communes, priced for 1,000, spends 66', async () => {
    // Estimated 2,000 (a list of territories may hold 1,000), answered with 33 communes and their day's index.
    const DASHBOARD = '{ territories(kind: COMMUNE, in: "246700488") { code airQuality(from: "2025-01-02", to: "2025-01-02") { index } } }';
    const url = await gateway({ limits: { perSecond: 100, burst: 100, concurrent: 100, expensiveCost: 100, expensiveSlots: 10, expensivePerClient: 10, expensiveWaitMs: 2000, costPerMinute: 5000, hubCostPerMinute: 1e12 } });
    const client = randomClient();
    // Charged the estimate, the third would be refused (3 × 2,000 > 5,000): charged 66 each, ten pass.
    for (let i = 0; i < 10; i++) {
      const answer = await post(url, client, DASHBOARD);
      expect(answer.status, JSON.stringify(answer.body.errors)).toBe(200);
      expect(answer.body.data.territories).toHaveLength(33);
    }
    // A big answer keeps what it spent: a year of every commune's indices (68 × 366 of them) leaves nothing for another.
    const YEAR = '{ territories(kind: COMMUNE) { code airQuality(from: "2024-01-01", to: "2024-12-31") { index } } }';
    const other = randomClient();
    const year = await post(url, other, YEAR);
    expect(year.status).toBe(200);
    expect(year.body.data.territories).toHaveLength(68);
    const refused = await post(url, other, DASHBOARD);
    expect(refused.status).toBe(429);
    expect(refused.body.errors[0].message).toMatch(/spent its budget of expensive requests: 5,000 cost units per minute/);
  });

  it('a client that comes back before the Retry-After of its rate limit is refused at the door until then, and served after', async () => {
    const url = await gateway({ limits: { perSecond: 1, burst: 1, concurrent: 1000 } });
    const client = randomClient();
    const answers = await Promise.all(Array.from({ length: 5 }, () => post(url, client)));
    const limited = answers.find((a) => a.status === 429)!;
    expect(limited).toBeDefined();
    const early = await post(url, client);
    expect(early.status).toBe(429);
    expect(early.body.errors[0]).toMatchObject({ message: expect.stringMatching(/at most 1 per second/), extensions: { code: 'RATE_LIMITED', requestId: expect.any(String) } });
    // Never held off longer than it was told.
    expect(Number(early.retryAfter)).toBeLessThanOrEqual(Number(limited.retryAfter));
    // Another client is not concerned; and once the wait is over, this one is served again.
    expect((await post(url, randomClient())).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, Number(limited.retryAfter) * 1000 + 100));
    expect((await post(url, client)).status).toBe(200);
  });

  describe('several gateways, one Redis', () => {
    let redis = false;
    beforeAll(async () => {
      redis = await redisAnswers();
    });

    it('two gateways on one Redis share a client\'s budget', async (context) => {
      if (!redis) context.skip();
      const limits = { perSecond: 1, burst: 10, concurrent: 1000, redisUrl: REDIS_URL };
      const [a, b] = [await gateway({ limits }), await gateway({ limits })];
      // Until a gateway's Redis connection is up it counts in its own memory: wait for both to be connected.
      await new Promise((resolve) => setTimeout(resolve, 300));
      await Promise.all([post(a, randomClient()), post(b, randomClient())]);
      const client = randomClient();
      // 20 to each gateway: apart, each would serve 11 or more (22 in all); sharing one budget, 11 or 12 in all.
      const started = Date.now();
      const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => post(i % 2 ? a : b, client)));
      const served = answers.filter((x) => x.status === 200).length;
      expect(served).toBeGreaterThanOrEqual(10);
      expect(served).toBeLessThanOrEqual(Math.min(allowed(1, 10, Date.now() - started), 21));
      expect(answers.filter((x) => x.status === 200 && x.body.data?.territory?.name === 'Strasbourg').length).toBe(served);
    });

    it('with Redis unreachable, each gateway keeps a budget of its own and keeps serving', async () => {
      const dead = net.createServer();
      await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
      const port = (dead.address() as net.AddressInfo).port;
      await new Promise<void>((resolve) => dead.close(() => resolve()));
      const url = await gateway({ limits: { perSecond: 5, burst: 10, concurrent: 1000, redisUrl: `redis://127.0.0.1:${port}` } });
      const client = randomClient();
      const started = Date.now();
      const answers = await Promise.all(Array.from({ length: 30 }, () => post(url, client)));
      const served = answers.filter((x) => x.status === 200).length;
      expect(served).toBeGreaterThanOrEqual(5);
      expect(served).toBeLessThanOrEqual(allowed(5, 10, Date.now() - started));
    });
  });
});
