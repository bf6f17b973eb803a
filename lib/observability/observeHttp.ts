import express from 'express';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { metricsEnabled, registry } from './metrics.ts';
import { incomingContext, tracer, tracingUrl } from './tracing.ts';

/** Probes and scrapes: asked every few seconds, they would drown the requests in a trace view. */
const UNTRACED = new Set(['/health', '/ready', '/metrics']);

/**
 * The observability routes and middleware of one HTTP service (the gateway, a subgraph): `GET /metrics` (the
 * process's Prometheus registry) and, while tracing is on, one server span per request, child of the
 * caller's `traceparent` when it sent one. Mount it after `requestId()`: the span carries the request id.
 */
export function observeHttp(service: string): express.Router {
  const router = express.Router();
  router.get('/metrics', async (_req, res, next) => {
    if (!metricsEnabled()) return next();
    res.set('content-type', registry.contentType).send(await registry.metrics());
  });
  router.use((req, res, next) => {
    if (!tracingUrl() || UNTRACED.has(req.path)) return next();
    const parent = incomingContext(req.headers);
    const span = tracer().startSpan(
      `${service} ${req.method} ${req.path}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'tiga.service': service,
          'http.request.method': req.method,
          'url.path': req.path,
          ...(typeof res.locals.requestId === 'string' ? { 'tiga.request_id': res.locals.requestId } : {}),
        },
      },
      parent,
    );
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    };
    res.once('finish', end);
    res.once('close', end);
    context.with(trace.setSpan(parent, span), next);
  });
  return router;
}
