import http from 'node:http';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { requestId } from '../../lib/http/requestId.ts';
import { OpenDataError, type AnonymousQuery } from '../../gateway/catalog/anonymousQuery.ts';
import { exportsRoute } from '../../gateway/exports/exportsRoute.ts';
import { serveApp, type ClaimedServer } from '../support/subgraph.ts';

/**
 * The exports route in front of a scripted open contract: what a client sees when the contract refuses or
 * fails, before and after the first byte. (The real contract is tested in exports.test.ts.)
 */
let server: ClaimedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serveExports(query: AnonymousQuery, lines: string[] = []): Promise<string> {
  const app = express();
  app.use(requestId());
  // Exports never read the catalogue's extents: a reader that says so if they ever did.
  app.use(exportsRoute({ query, openData: () => Promise.reject(new Error('exports read no catalogue')), titles: new Map([['aprona', 'APRONA']]), clientOf: () => 'address:test', log: (line) => lines.push(line) }));
  server = await serveApp(app);
  return server.url.replace(/\/graphql$/, '');
}

function get(url: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string; complete: boolean }> {
  return new Promise((resolve, reject) => {
    http.get(url, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('close', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body, complete: response.complete }));
    }).on('error', reject);
  });
}

const analysis = (day: string) => ({
  parameter: { code: '1340', name: 'Nitrates', kind: 'NITRATE' }, sampledAt: `${day}T09:00:00.000Z`, value: 31.5, unit: 'mg/L', qualifier: 'QUANTIFIED',
  quantificationLimit: 0.5, exceedsLimit: false, validated: true, source: 'scripted', synthetic: true,
});

describe('an export whose contract refuses or fails', () => {
  it('a client over its budget gets 429 and Retry-After before any byte; a producer down, 503', async () => {
    let refusal = new OpenDataError('too many expensive requests: retry in 7 s', 'RATE_LIMITED', 7);
    const base = await serveExports(async () => {
      throw refusal;
    });
    const limited = await get(`${base}/exports/groundwater-points.csv`);
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('7');
    expect(JSON.parse(limited.body).errors[0].extensions).toEqual({ code: 'RATE_LIMITED', requestId: limited.headers['x-request-id'] });

    refusal = new OpenDataError('APRONA did not answer', 'PRODUCER_UNAVAILABLE');
    const down = await get(`${base}/exports/groundwater-points.geojson`);
    expect(down.status).toBe(503);
    expect(down.headers['retry-after']).toBeDefined();
    expect(JSON.parse(down.body).errors[0]).toMatchObject({ message: expect.stringContaining('APRONA did not answer'), extensions: { code: 'PRODUCER_UNAVAILABLE' } });
  });

  it('a producer failing after the first byte cuts the transfer (no last chunk) and the hub logs it with the request id', async () => {
    const lines: string[] = [];
    let pages = 0;
    // A long series read page by page: the first page comes, the second fails.
    const base = await serveExports(async (query) => {
      if (query.includes('w0:')) {
        const aliases = [...query.matchAll(/(w\d+):/g)].map((m) => m[1]!);
        return Object.fromEntries(aliases.map((alias) => [alias, [{ analyses: { edges: [{ node: { sampledAt: '2024-06-01T09:00:00.000Z' } }] } }]]));
      }
      if (query.includes('groundwaterPoints { id location')) return { groundwaterPoints: [{ id: 'BSS001', location: { type: 'Point', coordinates: [7.75, 48.58] } }] };
      if (query.includes('groundwaterPoint(id:')) {
        if (pages++ > 0) throw new OpenDataError('APRONA did not answer', 'PRODUCER_UNAVAILABLE');
        return { groundwaterPoint: { analyses: { edges: Array.from({ length: 500 }, (_, i) => ({ node: analysis(`2001-01-${String((i % 28) + 1).padStart(2, '0')}`) })), pageInfo: { hasNextPage: true, endCursor: 'c1' } } } };
      }
      throw new Error(`unscripted query ${query}`);
    }, lines);
    const cut = await get(`${base}/exports/groundwater-analyses.csv`);
    expect(cut.status).toBe(200);
    // What was read before the failure was sent: the client had its first rows at once.
    expect(cut.body.split('\r\n').length).toBeGreaterThan(200);
    expect(cut.complete).toBe(false);
    const logged = lines.map((line) => JSON.parse(line)).find((entry) => entry.msg?.includes('broke off'));
    expect(logged).toMatchObject({ level: 'error', requestId: cut.headers['x-request-id'], collection: 'groundwater-analyses' });
  });
});
