import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { bearer, testVerifier } from '../support/auth.ts';
import { testHub } from '../support/hub.ts';
import { serveApp, type ClaimedServer } from '../support/subgraph.ts';
import { createGatewayApp, QUERY_LIMITS } from '../../gateway/gateway.ts';
import type { Hub } from '../../hub/hub.ts';
import { INTERNALS, postJson, send, type Exchange } from './http.ts';
import { captureLogs } from '../../lib/observability/logger.ts';

/** An id in a string that breaks PostgreSQL's text encoding: today's surest way to make a subgraph fail. */
const NUL_STATION = '{ airStation(id: "FR\\u0000") { id } }';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The hub's subgraph URLs, with some replaced. */
function urlsOf(hub: Hub, replaced: Record<string, string> = {}): Record<string, string> {
  return { ...Object.fromEntries(Object.entries(hub.subgraphs).map(([name, s]) => [name, s.url])), ...replaced };
}

/** A gateway of its own in front of `subgraphUrls`, whose log lines the test reads. */
async function gatewayWith(subgraphUrls: Record<string, string>) {
  const lines: string[] = [];
  const { app, server } = await createGatewayApp({ subgraphUrls, verifier: await testVerifier(), audit: async () => {}, log: (line) => lines.push(line) });
  const served = await serveApp(app);
  const entries = (id: string | null) => lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.requestId === id && entry.service === 'gateway');
  return { url: served.url, lines, entries, close: async () => (await served.close(), await server.stop()) };
}

/**
 * A gateway whose ATMO is a stand-in server answering with `handler` (a proxy's error page, a wrong endpoint):
 * `run` gets the gateway and what the stand-in saw; both are stopped afterwards.
 */
async function withAtmoAnswering(hub: Hub, handler: http.RequestListener, run: (gateway: Awaited<ReturnType<typeof gatewayWith>>) => Promise<void>): Promise<void> {
  const standIn = http.createServer(handler);
  await new Promise<void>((resolve) => standIn.listen(0, '127.0.0.1', resolve));
  const gateway = await gatewayWith(urlsOf(hub, { atmo: `http://127.0.0.1:${(standIn.address() as AddressInfo).port}/graphql` }));
  try {
    await run(gateway);
  } finally {
    await gateway.close();
    standIn.close();
  }
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('a failure inside the hub tells the caller nothing but a request id to quote', () => {
  let hub: Hub;
  let capture: ReturnType<typeof captureLogs> | undefined;
  beforeAll(async () => {
    hub = await testHub();
  });
  afterEach(() => {
    vi.restoreAllMocks();
    capture?.stop();
  });
  // The process's log: one JSON object per line (lib/observability/logger.ts).
  const captureConsole = () => {
    capture = captureLogs();
  };
  const loggedBy = (id: string | null, service: string) => capture!.entries().filter((entry) => entry.requestId === id && entry.service === service);

  it('masks a database error at the gateway, and the gateway and the subgraph log its detail under the same id', async () => {
    captureConsole();
    const response = await postJson(hub.gatewayUrl, { query: NUL_STATION });
    const id = response.headers.get('x-request-id');
    expect(id).toMatch(UUID);
    expect(response.json).toEqual({
      errors: [{ message: 'internal error', path: ['airStation'], extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: id } }],
      data: { airStation: null },
    });
    expect(response.text).not.toMatch(INTERNALS);
    expect(JSON.stringify(loggedBy(id, 'subgraph:atmo'))).toMatch(/invalid byte sequence/);
    expect(loggedBy(id, 'gateway')).toContainEqual(expect.objectContaining({ level: 'error', subgraph: 'atmo' }));
  });

  it('masks the same error when the subgraph is called directly', async () => {
    captureConsole();
    const response = await postJson(hub.subgraph('atmo').url, { query: NUL_STATION });
    const id = response.headers.get('x-request-id');
    expect(response.json?.errors).toEqual([{ message: 'internal error', path: ['airStation'], extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: id } }]);
    expect(response.text).not.toMatch(INTERNALS);
    expect(loggedBy(id, 'subgraph:atmo')).not.toEqual([]);
  });

  it('keeps the message of a typed error, without naming the subgraph that raised it', async () => {
    const response = await postJson(hub.gatewayUrl, { query: '{ territory(code: "67999") { name } }' });
    expect(response.json?.errors).toEqual([{ message: 'no territory has the code "67999"', path: ['territory'], extensions: { code: 'NOT_FOUND', argument: 'code', requestId: response.headers.get('x-request-id') } }]);
    const forbidden = await postJson(hub.gatewayUrl, { query: '{ territory(code: "67482") { health { cases } } }' });
    expect(forbidden.json?.errors?.[0]?.extensions).not.toHaveProperty('serviceName');
    expect(forbidden.json?.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('answers a GraphQL syntax error, or a query beyond the token limit, with 400 at the gateway as at a subgraph', async () => {
    for (const url of [hub.gatewayUrl, hub.subgraph('atmo').url]) {
      const broken = await postJson(url, { query: '{ territory(code: "67482") { name }' });
      expect({ url, status: broken.status, code: broken.json?.errors?.[0]?.extensions?.code }).toEqual({ url, status: 400, code: 'GRAPHQL_PARSE_FAILED' });
    }
    const huge = `{ ${Array.from({ length: QUERY_LIMITS.maxTokens }, () => '__typename').join(' ')} }`;
    const tooMany = await postJson(hub.gatewayUrl, { query: huge });
    expect(tooMany.status).toBe(400);
    expect(tooMany.json?.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
  });
});

describe('one request id per request, from the client to every subgraph and back', () => {
  let hub: Hub;
  beforeAll(async () => {
    hub = await testHub();
  });

  it("keeps a trusted proxy's X-Request-Id when it looks sane, and gives a new one otherwise", async () => {
    // Behind a proxy the operator trusts (TIGA_TRUSTED_PROXIES), and at a subgraph (called by the gateway).
    const { app, server } = await createGatewayApp({ subgraphUrls: urlsOf(hub, {}), verifier: await testVerifier(), audit: async () => {}, log: () => {}, trustedProxies: ['loopback'] });
    const behindProxy = await serveApp(app);
    try {
      for (const url of [behindProxy.url, hub.subgraph('adeus').url]) {
        const kept = await postJson(url, { query: '{ __typename }' }, { 'x-request-id': 'client.trace-0001_A' });
        expect(kept.headers.get('x-request-id')).toBe('client.trace-0001_A');
        for (const insane of ['short', 'has spaces in it', 'x'.repeat(129), 'inject<script>1</script>', 'a,b,c,d,e,f,g,h']) {
          const replaced = await postJson(url, { query: '{ __typename }' }, { 'x-request-id': insane });
          expect({ insane, id: replaced.headers.get('x-request-id') }).toEqual({ insane, id: expect.stringMatching(UUID) });
        }
      }
    } finally {
      await behindProxy.close();
      await server.stop();
    }
    // A gateway that trusts no proxy (the default) never lets a client choose the id its logs are filed under.
    const direct = await postJson(hub.gatewayUrl, { query: '{ __typename }' }, { 'x-request-id': 'client.trace-0001_A' });
    expect(direct.headers.get('x-request-id')).toMatch(UUID);
  });

  it('gives every response an id, GraphQL or not', async () => {
    const base = new URL(hub.gatewayUrl).origin;
    const responses = [
      await send(`${base}/health`),
      await send(hub.gatewayUrl, { headers: { accept: 'text/html' } }),
      await send(`${base}/graphiql/assets/graphiql.min.css`),
      await send(`${base}/no-such-page`),
      await send(hub.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":' }),
      await send(`${new URL(hub.subgraph('atmo').url).origin}/health`),
    ];
    for (const response of responses) expect(response.headers.get('x-request-id')).toMatch(UUID);
  });

  it('forwards the id to the subgraphs, and masks a subgraph that answers an HTML error page', async () => {
    const seen: (string | undefined)[] = [];
    const proxyPage: http.RequestListener = (req, res) => {
      seen.push(req.headers['x-request-id'] as string | undefined);
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html><body><h1>502 Bad Gateway</h1><pre>upstream 10.0.0.7:4001 at /srv/tiga/node_modules/x.js:1:1</pre></body></html>');
    };
    await withAtmoAnswering(hub, proxyPage, async (gateway) => {
      const response = await postJson(gateway.url, { query: '{ airStation(id: "FR16029") { id } }' });
      const id = response.headers.get('x-request-id');
      expect(seen).toEqual([id]);
      // The caller learns which producer is missing and where, never the proxy's page.
      expect(response.json?.errors).toEqual([
        { message: expect.stringMatching(/^ATMO Grand Est.* is unavailable: its fields are null in this answer/), path: ['airStation'], extensions: { code: 'PRODUCER_UNAVAILABLE', producer: 'atmo', reason: 'UNREACHABLE', requestId: id } },
      ]);
      expect(response.text).not.toMatch(INTERNALS);
      expect(response.text).not.toMatch(/10\.0\.0\.7|Bad Gateway|502/);
      expect(JSON.stringify(gateway.entries(id))).toMatch(/subgraph atmo failed.*502/);
    });
  });

  it('says a producer is unavailable when its endpoint answers JSON that is no GraphQL answer (an array), never an empty success', async () => {
    const wrongEndpoint: http.RequestListener = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('[]');
    };
    await withAtmoAnswering(hub, wrongEndpoint, async (gateway) => {
      const response = await postJson(gateway.url, { query: '{ airStation(id: "FR16029") { id } }' });
      expect(response.json?.errors?.map((e: { extensions?: Record<string, unknown> }) => [e.extensions?.code, e.extensions?.producer])).toEqual([['PRODUCER_UNAVAILABLE', 'atmo']]);
    });
  });

  it('masks a subgraph that is down, and still answers what the others serve', async () => {
    const gateway = await gatewayWith(urlsOf(hub, { atmo: `http://127.0.0.1:${await closedPort()}/graphql` }));
    try {
      const response = await postJson(gateway.url, { query: '{ territory(code: "67482") { name } airStation(id: "FR16029") { id } }' });
      const id = response.headers.get('x-request-id');
      expect(response.json?.data).toEqual({ territory: { name: 'Strasbourg' }, airStation: null });
      expect(response.json?.errors?.map((e) => [e.path, e.extensions])).toEqual([[['airStation'], { code: 'PRODUCER_UNAVAILABLE', producer: 'atmo', reason: 'UNREACHABLE', requestId: id }]]);
      expect(response.text).not.toMatch(INTERNALS);
      expect(JSON.stringify(gateway.entries(id))).toMatch(/subgraph atmo failed.*ECONNREFUSED/);
    } finally {
      await gateway.close();
    }
  });
});

/** The request bodies a broken client or a scanner sends. */
function malformedRequests(url: string): [string, () => Promise<Exchange>][] {
  const post = (body: string, contentType: string) => () => send(url, { method: 'POST', headers: { 'content-type': contentType }, body });
  return [
    ['truncated JSON', post('{"query":', 'application/json')],
    ['a JSON string instead of an object', post('"hello"', 'application/json')],
    ['JSON in another charset', post('{"query":"{ __typename }"}', 'application/json; charset=latin1')],
    ['a body beyond the size limit', post(JSON.stringify({ query: '{ __typename }', variables: { x: 'a'.repeat(7 * 1024 * 1024) } }), 'application/json')],
    ['XML', () => send(url, { method: 'POST', headers: { 'content-type': 'application/xml', 'apollo-require-preflight': '1' }, body: '<query/>' })],
    ['a form post (CSRF)', post('query=%7B__typename%7D', 'application/x-www-form-urlencoded')],
  ];
}

describe('a malformed request gets a JSON error with a 4xx status, never an HTML page with a stack trace', () => {
  let hub: Hub;
  beforeAll(async () => {
    hub = await testHub();
  });

  it.each(['gateway', 'atmo'])('at the %s', async (target) => {
    const url = target === 'gateway' ? hub.gatewayUrl : hub.subgraph(target).url;
    for (const [name, request] of malformedRequests(url)) {
      const response = await request();
      expect({ name, status: response.status >= 400 && response.status < 500, type: response.headers.get('content-type') }).toEqual({
        name,
        status: true,
        type: expect.stringMatching(/^application\/json/),
      });
      expect({ name, code: response.json?.errors?.[0]?.extensions?.code }).toEqual({ name, code: 'BAD_REQUEST' });
      // Refused before any GraphQL work, it still names the request's own id, as the response header does.
      const id = response.json?.errors?.[0]?.extensions?.requestId;
      expect({ name, id }).toEqual({ name, id: response.headers.get('x-request-id') });
      expect({ name, leak: INTERNALS.exec(response.text)?.[0] ?? null }).toEqual({ name, leak: null });
    }
  });
});

/**
 * Express shows stack traces on its error page unless NODE_ENV is `production`, and Apollo picks defaults
 * from it: the hub's answers must not depend on it. Each NODE_ENV gets a gateway and an ATMO subgraph
 * built under it, in front of the test hub's database and other subgraphs.
 */
describe.each([undefined, 'development', 'production', 'test'])('whatever NODE_ENV (%s), errors are masked and JSON', (nodeEnv) => {
  let hub: Hub;
  let atmo: ClaimedServer;
  let gateway: Awaited<ReturnType<typeof gatewayWith>>;
  let stopAtmo: () => Promise<void>;
  beforeAll(async () => {
    hub = await testHub();
    const { PRODUCERS } = await import('../../subgraphs/registry.ts');
    const { createSubgraphApp } = await import('../../lib/subgraph.ts');
    const saved = process.env.NODE_ENV;
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
    try {
      const definition = PRODUCERS.find((p) => p.name === 'atmo')!;
      const built = await createSubgraphApp(definition, hub.subgraph('atmo').db, { verifier: await testVerifier(), log: () => {} });
      atmo = await serveApp(built.app);
      stopAtmo = () => built.server.stop();
      gateway = await gatewayWith(urlsOf(hub, { atmo: atmo.url }));
    } finally {
      if (saved === undefined) delete process.env.NODE_ENV;
      else process.env.NODE_ENV = saved;
    }
  });
  afterAll(async () => {
    await gateway?.close();
    await atmo?.close();
    await stopAtmo?.();
  });

  it('masks a database error, at the gateway and at the subgraph', async () => {
    for (const url of [gateway.url, atmo.url]) {
      const response = await postJson(url, { query: NUL_STATION });
      expect(response.json?.errors?.[0]).toMatchObject({ message: 'internal error', extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: response.headers.get('x-request-id') } });
      expect(response.text).not.toMatch(INTERNALS);
    }
  });

  it('answers malformed bodies, syntax errors and unknown paths with JSON and a 4xx status', async () => {
    for (const url of [gateway.url, atmo.url]) {
      const responses = [
        await send(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":' }),
        await postJson(url, { query: '{ airStation(id: "FR16029") {' }),
        await send(new URL('/no/such/path', url).href),
        await send(new URL('/graphiql/assets/constructor', url).href),
      ];
      for (const response of responses) {
        expect({ url, status: response.status, json: response.json !== undefined }).toEqual({ url, status: expect.any(Number), json: true });
        expect(response.status).toBeGreaterThanOrEqual(400);
        expect(response.status).toBeLessThan(500);
        expect(response.text).not.toMatch(INTERNALS);
        expect(response.headers.get('x-powered-by')).toBeNull();
      }
    }
  });

  it('still serves a researcher her restricted data', async () => {
    const response = await postJson(gateway.url, { query: '{ territory(code: "67482") { health { cases } } }' }, await bearer(['orsal:restricted'], 'env-researcher'));
    expect(response.json?.errors).toBeUndefined();
    expect(response.json?.data?.territory?.health?.[0]?.cases).toEqual(expect.any(Number));
  });
});
