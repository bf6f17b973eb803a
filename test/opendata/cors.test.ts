import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatewayApp } from '../../gateway/gateway.ts';
import { testHub } from '../support/hub.ts';
import { bearer, testVerifier } from '../support/auth.ts';
import { serveApp, type ClaimedServer } from '../support/subgraph.ts';
import type { Hub } from '../../hub/hub.ts';
import { loadConfig } from '../../lib/config.ts';

const PORTAL = 'https://data.strasbourg.eu';
const QUERY = JSON.stringify({ query: '{ territory(code: "67482") { name } }' });

/** What a browser sends before a cross-origin JSON POST. */
const preflight = (url: string, origin: string, headers = 'content-type') =>
  fetch(url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': headers } });
const post = (url: string, origin: string, extra: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { origin, 'content-type': 'application/json', ...extra }, body: QUERY });

describe('a portal widget on another origin reads open data (CORS)', () => {
  let hub: Hub;
  let graphql: string;
  let catalog: string;
  beforeAll(async () => {
    hub = await testHub();
    graphql = hub.gatewayUrl;
    catalog = hub.gatewayUrl.replace(/\/graphql$/, '/catalog.ttl');
  });

  it('the preflight and the query succeed anonymously from any origin, without credentials', async () => {
    const answer = await preflight(graphql, PORTAL, 'content-type,apollo-require-preflight,x-request-id,authorization');
    expect(answer.status).toBe(204);
    expect(answer.headers.get('access-control-allow-origin')).toBe('*');
    expect(answer.headers.get('access-control-allow-methods')).toMatch(/POST/);
    expect(answer.headers.get('access-control-allow-headers')?.split(',')).toEqual(expect.arrayContaining(['content-type', 'authorization', 'x-request-id', 'apollo-require-preflight']));
    expect(answer.headers.get('access-control-allow-credentials')).toBeNull();
    const response = await post(graphql, PORTAL);
    expect(response.status).toBe(200);
    expect((await response.json()).data.territory.name).toBe('Strasbourg');
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-expose-headers')?.split(',')).toEqual(expect.arrayContaining(['x-request-id', 'retry-after', 'etag', 'link']));
    expect(response.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
  });

  it('the catalogue is readable from another origin too', async () => {
    const response = await fetch(catalog, { headers: { origin: PORTAL } });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect((await preflight(catalog, PORTAL)).headers.get('access-control-allow-origin')).toBe('*');
  });

  it('an answer to a request carrying a token is private and never stored by a shared cache', async () => {
    const response = await post(graphql, PORTAL, await bearer(['orsal:restricted']));
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('private, no-store');
    expect(response.headers.get('vary')).toMatch(/authorization/i);
    // Refused tokens too: a 401 is for that caller alone.
    const refused = await post(graphql, PORTAL, { authorization: 'Bearer not-a-token' });
    expect(refused.headers.get('cache-control')).toBe('private, no-store');
    // A restricted field still needs the token.
    const anonymous = await fetch(graphql, { method: 'POST', headers: { origin: PORTAL, 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ territory(code: "67482") { health { cases } } }' }) });
    expect((await anonymous.json()).errors[0].extensions.code).toBe('FORBIDDEN');
  });

  it('a cross-origin form post is still refused by CSRF prevention', async () => {
    const response = await fetch(graphql, { method: 'POST', headers: { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' }, body: 'query=%7B__typename%7D' });
    expect(response.status).toBe(400);
    expect((await response.json()).errors[0].extensions.code).toBe('BAD_REQUEST');
    const get = await fetch(`${graphql}?query=%7B__typename%7D`, { headers: { origin: 'https://evil.example', accept: 'application/json' } });
    expect(get.status).toBe(400);
  });
});

describe('an operator lists the origins allowed (TIGA_CORS_ORIGINS)', () => {
  let server: ClaimedServer;
  let stop: () => Promise<void>;
  let url: string;
  beforeAll(async () => {
    const hub = await testHub();
    const { app, server: apollo } = await createGatewayApp({
      subgraphUrls: Object.fromEntries(Object.entries(hub.subgraphs).map(([name, s]) => [name, s.url])),
      verifier: await testVerifier(),
      audit: async () => {},
      log: () => {},
      limits: { perSecond: 1000, burst: 10000, concurrent: 1000 },
      corsOrigins: [PORTAL, 'http://localhost:5173'],
    });
    server = await serveApp(app);
    stop = () => apollo.stop();
    url = server.url;
  });
  afterAll(async () => {
    await server?.close();
    await stop?.();
  });

  it('a listed origin is echoed with Vary: Origin; another gets no CORS header, so its browser refuses', async () => {
    const allowed = await preflight(url, PORTAL);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(PORTAL);
    expect(allowed.headers.get('vary')).toMatch(/origin/i);
    const response = await post(url, PORTAL);
    expect(response.headers.get('access-control-allow-origin')).toBe(PORTAL);
    expect(response.headers.get('vary')).toMatch(/origin/i);
    const other = await preflight(url, 'https://elsewhere.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const otherPost = await post(url, 'https://elsewhere.example');
    expect(otherPost.headers.get('access-control-allow-origin')).toBeNull();
    expect(otherPost.headers.get('vary')).toMatch(/origin/i);
  });
});

describe('TIGA_CORS_ORIGINS and TIGA_PUBLIC_URL are read once, and checked', () => {
  it('`*` by default, a list of origins, and an origin with a path refused at start', () => {
    expect(loadConfig({}).corsOrigins).toBe('*');
    expect(loadConfig({ TIGA_CORS_ORIGINS: `${PORTAL}, http://localhost:5173` }).corsOrigins).toEqual([PORTAL, 'http://localhost:5173']);
    expect(() => loadConfig({ TIGA_CORS_ORIGINS: `${PORTAL}/` })).toThrow(/TIGA_CORS_ORIGINS/);
    expect(loadConfig({ TIGA_PUBLIC_URL: 'https://tiga.example.fr/' }).publicUrl).toBe('https://tiga.example.fr');
    expect(() => loadConfig({ TIGA_PUBLIC_URL: 'tiga.example.fr' })).toThrow(/TIGA_PUBLIC_URL/);
  });
});
