import net from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { testHub } from '../support/hub.ts';
import type { Hub } from '../../hub/hub.ts';
import { bearer } from '../support/auth.ts';
import { INTERNALS } from './http.ts';
import { MAX_REQUEST_BYTES } from '../../lib/queryLimits.ts';
import { ODD_BODIES, rawPost } from '../support/rawPost.ts';

/**
 * POSTs `body` to a subgraph the way its two paths are told apart (lib/http/directGraphQL.ts): with a
 * Content-Length, as the gateway sends, it is answered without Express; sent chunked (no length known in
 * advance), the same request goes through the Express route, the reference.
 */
const post = rawPost;

describe("a subgraph answers the gateway's calls without Express, exactly as its Express route does", () => {
  let hub: Hub;
  let url: string;
  beforeAll(async () => {
    hub = await testHub();
    url = hub.subgraph('atmo').url;
  });

  const requests: [string, string | Buffer][] = [
    ['an open query', JSON.stringify({ query: '{ airStation(id: "FR16029") { id name } }' })],
    ['an unknown station (NOT_FOUND)', JSON.stringify({ query: '{ airStation(id: "nowhere") { id } }' })],
    ['a syntax error', JSON.stringify({ query: '{ airStation(id: "FR16029") {' })],
    ['a validation error', JSON.stringify({ query: '{ noSuchField }' })],
    ['variables of the wrong type', JSON.stringify({ query: 'query($id: ID!) { airStation(id: $id) { id } }', variables: { id: { not: 'an id' } } })],
    ...ODD_BODIES,
  ];

  it.each(requests)('%s: same status, headers and body either way', async (_name, body) => {
    const direct = await post(url, body);
    const viaExpress = await post(url, body, { chunked: true });
    const { etag: _, ...reference } = viaExpress;
    expect(direct).toEqual({ ...reference, id: expect.any(String) });
    expect(direct.body).not.toMatch(INTERNALS);
  });

  it('sends the security headers and a request id on every answer, as on its other routes', async () => {
    const health = await fetch(new URL('/health', url));
    const direct = await post(url, JSON.stringify({ query: '{ __typename }' }));
    for (const name of ['content-security-policy', 'x-content-type-options', 'referrer-policy', 'x-frame-options', 'strict-transport-security', 'cross-origin-opener-policy']) {
      expect({ name, value: direct.headers[name] }).toEqual({ name, value: health.headers.get(name) });
    }
    expect(direct.headers['x-powered-by']).toBeUndefined();
    // Two paths indeed: Express tags its answers with an ETag (of no use on a POST), the direct path does not.
    expect(direct.etag).toBeUndefined();
    expect((await post(url, JSON.stringify({ query: '{ __typename }' }), { chunked: true })).etag).toBeDefined();
    expect(direct.id).toMatch(/^[0-9a-f-]{36}$/);
    // The gateway's id is kept, so a subgraph's log lines carry the id the client was given.
    const forwarded = await post(url, JSON.stringify({ query: '{ __typename }' }), { headers: { 'x-request-id': 'gateway.req-00042' } });
    expect(forwarded.id).toBe('gateway.req-00042');
    const refused = await post(url, '{"query":', { headers: { 'x-request-id': 'gateway.req-00043' } });
    expect(JSON.parse(refused.body.replace('<request id>', 'gateway.req-00043')).errors[0].extensions).toEqual({ code: 'BAD_REQUEST', requestId: 'gateway.req-00043' });
  });

  it('refuses restricted data to an anonymous or forged caller and serves a researcher, as the Express route does', async () => {
    const query = JSON.stringify({ query: '{ airStation(id: "FR16029") { id rawMeasurements(from: "2025-01-01", to: "2025-01-31", first: 2) { edges { node { validated } } } } }' });
    const forgedToken = { authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJzY29wZSI6ImF0bW86cmVzdHJpY3RlZCJ9.' };
    const researcher = await bearer(['atmo:restricted'], 'direct-path-researcher');
    const answers: Record<string, unknown> = {};
    for (const [who, headers] of Object.entries({ anonymous: {}, forged: forgedToken, researcher })) {
      const direct = await post(url, query, { headers });
      const { etag: _, ...reference } = await post(url, query, { chunked: true, headers });
      expect({ who, ...direct }).toEqual({ who, ...reference, id: expect.any(String) });
      answers[who] = JSON.parse(direct.body);
    }
    expect(answers.anonymous).toMatchObject({ data: { airStation: { id: 'FR16029', rawMeasurements: null } }, errors: [{ extensions: { code: expect.stringMatching(/^(UNAUTHENTICATED|FORBIDDEN)$/) } }] });
    expect(answers.forged).toMatchObject({ errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
    expect(JSON.stringify(answers.forged)).not.toContain('validated');
    expect(answers.researcher).toMatchObject({ data: { airStation: { id: 'FR16029', rawMeasurements: { edges: expect.any(Array) } } } });
    expect(answers.researcher).not.toHaveProperty('errors');
  });

  it('survives a caller that leaves in the middle of its body, and answers the next one', async () => {
    const { port, hostname } = new URL(url);
    for (let i = 0; i < 5; i++) {
      await new Promise<void>((resolve) => {
        const socket = net.connect(Number(port), hostname, () => {
          socket.write(`POST /graphql HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"query":"{ __ty`);
          setTimeout(() => socket.destroy(), 20);
        });
        socket.on('close', () => resolve());
        socket.on('error', () => {});
      });
    }
    const next = await post(url, JSON.stringify({ query: '{ __typename }' }));
    expect({ status: next.status, body: JSON.parse(next.body) }).toEqual({ status: 200, body: { data: { __typename: 'Query' } } });
  });

  it('leaves a body beyond the limit to the Express route, which refuses it with 413 before reading it all', async () => {
    const big = JSON.stringify({ query: '{ __typename }', variables: { x: 'a'.repeat(MAX_REQUEST_BYTES) } });
    const answer = await post(url, big);
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body).errors[0]).toMatchObject({ message: `the request body is larger than ${MAX_REQUEST_BYTES} bytes`, extensions: { code: 'BAD_REQUEST' } });
  });
});
