import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testHub } from '../support/hub.ts';
import { postJson } from '../protection/http.ts';
import { flushTracing, startTracing, stopTracing, tracingUrl } from '../../lib/observability/tracing.ts';
import { loadConfig } from '../../lib/config.ts';
import type { Hub } from '../../hub/hub.ts';

/** A loopback HTTP server that keeps what it is sent: a stand-in for an OpenTelemetry collector, or a subgraph's front. */
async function listen(handler: (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handler(req, Buffer.concat(chunks).toString('utf8'), res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: { key: string; value: { stringValue?: string } }[];
}

const attribute = (span: OtlpSpan, key: string) => span.attributes.find((a) => a.key === key)?.value.stringValue;

describe('tracing is off unless an OTLP endpoint is configured', () => {
  let hub: Hub;
  beforeAll(async () => {
    hub = await testHub();
  });

  it('is off by default, and on with OTEL_EXPORTER_OTLP_ENDPOINT or TIGA_TRACING=true', () => {
    expect(loadConfig({}).observability.tracing).toBeUndefined();
    expect(loadConfig({ TIGA_TRACING: 'false', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).observability.tracing).toBeUndefined();
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).observability.tracing).toEqual({ url: 'http://collector:4318/v1/traces', serviceName: 'tiga-hub' });
    expect(loadConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/custom', OTEL_SERVICE_NAME: 'tiga-eu' }).observability.tracing).toEqual({ url: 'http://collector:4318/custom', serviceName: 'tiga-eu' });
    expect(loadConfig({ TIGA_TRACING: 'true' }).observability.tracing?.url).toBe('http://localhost:4318/v1/traces');
  });

  it('makes no exporter, adds no traceparent and connects nowhere but to the hub itself', async () => {
    expect(tracingUrl()).toBeUndefined();
    const seen: http.IncomingHttpHeaders[] = [];
    const adeus = hub.subgraph('adeus').url;
    // The gateway's own subgraph fetches go through keep-alive sockets opened before: a fresh gateway would
    // show them; here the headers a subgraph receives tell the same story.
    const front = await listen((req, body, res) => {
      seen.push(req.headers);
      void fetch(adeus, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': String(req.headers['x-request-id']) }, body }).then(async (answer) => {
        res.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text());
      });
    });
    const { createGatewayApp } = await import('../../gateway/gateway.ts');
    const { serveApp } = await import('../support/subgraph.ts');
    const { testVerifier } = await import('../support/auth.ts');
    const urls = { ...Object.fromEntries(Object.entries(hub.subgraphs).map(([name, s]) => [name, s.url])), adeus: `${front.url}/graphql` };
    const { app, server } = await createGatewayApp({ subgraphUrls: urls, verifier: await testVerifier(), audit: async () => {}, log: () => {} });
    const gateway = await serveApp(app);
    const connects: string[] = [];
    const original = net.Socket.prototype.connect;
    net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
      const first = Array.isArray(args[0]) ? args[0][0] : args[0];
      const options = first as { host?: string; port?: number; path?: string } | number | string;
      // A path is a Unix socket or pipe (PostgreSQL's): local by definition.
      if (typeof options === 'object' && options.path) return (original as (...a: unknown[]) => net.Socket).apply(this, args);
      connects.push(typeof options === 'object' ? `${options.host ?? 'localhost'}:${options.port}` : `${typeof args[1] === 'string' ? args[1] : 'localhost'}:${options}`);
      return (original as (...a: unknown[]) => net.Socket).apply(this, args);
    } as typeof original;
    try {
      const response = await postJson(gateway.url, { query: '{ territory(code: "67482") { name } }' }, { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
      expect(response.json?.data).toEqual({ territory: { name: 'Strasbourg' } });
    } finally {
      net.Socket.prototype.connect = original;
      await gateway.close();
      await server.stop();
      await front.close();
    }
    expect(seen.length).toBeGreaterThan(0);
    for (const headers of seen) expect(headers).not.toHaveProperty('traceparent');
    const allowed = new Set([gateway.url, front.url, ...Object.values(hub.subgraphs).map((s) => s.url)].map((url) => new URL(url).port));
    for (const target of connects) expect({ target, local: /^(127\.0\.0\.1|localhost|::1)$/.test(target.slice(0, target.lastIndexOf(':'))), known: allowed.has(target.slice(target.lastIndexOf(':') + 1)) }).toEqual({ target, local: true, known: true });
  });
});

describe('with an OTLP collector configured, one trace follows a request from the gateway into each subgraph', () => {
  let hub: Hub;
  let collector: Awaited<ReturnType<typeof listen>>;
  const received: { path: string; type: string | undefined; spans: OtlpSpan[] }[] = [];
  beforeAll(async () => {
    hub = await testHub();
    collector = await listen((req, body, res) => {
      const parsed = JSON.parse(body) as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] };
      received.push({ path: req.url ?? '', type: req.headers['content-type'], spans: parsed.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)) });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    await startTracing({ url: `${collector.url}/v1/traces`, serviceName: 'tiga-test' });
  });
  afterAll(async () => {
    await stopTracing();
    await collector?.close();
  });

  it('sends spans of the gateway and of a subgraph that share one trace id, the subgraph under the gateway’s fetch', async () => {
    const response = await postJson(hub.gatewayUrl, { query: 'query ObsTraced { territory(code: "67482") { name } }' });
    expect(response.json?.errors).toBeUndefined();
    const requestId = response.headers.get('x-request-id');
    await flushTracing();
    expect(received.length).toBeGreaterThan(0);
    expect(received[0]).toMatchObject({ path: '/v1/traces', type: expect.stringMatching(/json/) });
    const spans = received.flatMap((r) => r.spans);
    const gateway = spans.find((s) => attribute(s, 'tiga.service') === 'gateway' && attribute(s, 'tiga.request_id') === requestId);
    expect(gateway?.name).toBe('gateway query ObsTraced');
    const trace = spans.filter((s) => s.traceId === gateway!.traceId);
    const adeus = trace.find((s) => attribute(s, 'tiga.service') === 'subgraph:adeus');
    expect(adeus).toBeDefined();
    const fetchSpan = trace.find((s) => s.spanId === adeus!.parentSpanId);
    expect(fetchSpan).toMatchObject({ name: 'fetch adeus' });
    expect(attribute(adeus!, 'tiga.request_id')).toBe(requestId);
  });
});
