import { beforeAll, describe, expect, it } from 'vitest';
import { testHub } from '../support/hub.ts';
import type { Hub } from '../../hub/hub.ts';
import { postJson, send } from './http.ts';

/** A directive of a Content-Security-Policy header, as its list of sources. */
function directive(policy: string | null, name: string): string[] | undefined {
  const found = (policy ?? '').split(';').map((part) => part.trim().split(/\s+/)).find(([key]) => key === name);
  return found?.slice(1);
}

describe('a developer opens GraphiQL in a browser, under a policy that lets nothing else run', () => {
  let hub: Hub;
  let origin: string;
  beforeAll(async () => {
    hub = await testHub();
    origin = new URL(hub.gatewayUrl).origin;
  });

  it('serves the page with a CSP, nosniff, a referrer policy and no framing', async () => {
    const page = await send(hub.gatewayUrl, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = page.headers.get('content-security-policy');
    expect(directive(csp, 'script-src')).toEqual(["'self'"]);
    expect(directive(csp, 'frame-ancestors')).toEqual(["'none'"]);
    expect(directive(csp, 'connect-src')).toEqual(["'self'"]);
    expect(directive(csp, 'object-src')).toEqual(["'none'"]);
    expect(directive(csp, 'default-src')).toEqual(["'self'"]);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('x-powered-by')).toBeNull();
  });

  it('loads every script from a file the hub serves: none inline, none from elsewhere', async () => {
    const page = await send(hub.gatewayUrl, { headers: { accept: 'text/html' } });
    const scripts = [...page.text.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, body] of scripts) {
      expect(body!.trim()).toBe('');
      const src = /src="([^"]+)"/.exec(attributes!)?.[1];
      expect(src).toMatch(/^\/graphiql\/assets\//);
      const asset = await send(`${origin}${src}`);
      expect({ src, status: asset.status, type: asset.headers.get('content-type') }).toEqual({ src, status: 200, type: expect.stringMatching(/javascript/) });
    }
    const start = await send(`${origin}/graphiql/assets/start.js`);
    expect(start.text).toContain(JSON.stringify('/graphql'));
    const css = await send(`${origin}/graphiql/assets/graphiql.min.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
  });

  it('answers 404 for any asset it does not hold, including the names every JavaScript object has', async () => {
    for (const name of ['constructor', '__proto__', 'hasOwnProperty', 'toString', 'valueOf', 'nope.js', '..%2Fpackage.json']) {
      const response = await send(`${origin}/graphiql/assets/${name}`);
      expect({ name, status: response.status, code: response.json?.errors?.[0]?.extensions?.code }).toEqual({ name, status: 404, code: 'NOT_FOUND' });
    }
  });
});

describe('no service of the hub says what it runs on', () => {
  it('sends no X-Powered-By, from the gateway or any subgraph, on any answer', async () => {
    const hub = await testHub();
    for (const url of [hub.gatewayUrl, ...Object.values(hub.subgraphs).map((s) => s.url)]) {
      const origin = new URL(url).origin;
      const answers = [
        await postJson(url, { query: '{ __typename }' }),
        await send(`${origin}/health`),
        await send(`${origin}/nowhere`),
        await send(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' }),
      ];
      for (const answer of answers) {
        expect({ url, poweredBy: answer.headers.get('x-powered-by') }).toEqual({ url, poweredBy: null });
        expect({ url, nosniff: answer.headers.get('x-content-type-options') }).toEqual({ url, nosniff: 'nosniff' });
      }
    }
  });
});
