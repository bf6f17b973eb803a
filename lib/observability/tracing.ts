import type { IncomingHttpHeaders } from 'node:http';
import { context, propagation, ROOT_CONTEXT, trace, type Context, type Tracer } from '@opentelemetry/api';

export interface TracingOptions {
  /** Where spans are sent: an OTLP/HTTP traces URL (`…/v1/traces`). */
  url: string;
  /** The resource's `service.name`. */
  serviceName: string;
}

interface Running {
  url: string;
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

let running: Running | undefined;

/**
 * Starts sending spans (OTLP over HTTP, batched) and propagating W3C `traceparent` headers. Until it is called,
 * OpenTelemetry's API is a no-op: no SDK is loaded, no exporter is made and no header is added. The SDK is
 * loaded here, on demand, for that reason. Spans are made by hand (the gateway's and every subgraph's
 * request, each subgraph call) and by @apollo/gateway (plan, fetch, post-processing), which uses the same API.
 */
export async function startTracing(options: TracingOptions): Promise<void> {
  if (running) throw new Error(`tracing already sends spans to ${running.url}`);
  const [{ NodeTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, { resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
  ]);
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: options.url }))],
  });
  // The global tracer provider, AsyncLocalStorage context and the W3C trace-context + baggage propagators.
  provider.register();
  running = {
    url: options.url,
    flush: () => provider.forceFlush(),
    shutdown: async () => {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

/** Sends the spans still buffered (tests; shutdown does it too). */
export async function flushTracing(): Promise<void> {
  await running?.flush();
}

/** Sends what is buffered and makes OpenTelemetry a no-op again. */
export async function stopTracing(): Promise<void> {
  const stopping = running;
  running = undefined;
  await stopping?.shutdown();
}

/** Where spans go, or undefined when tracing is off. */
export function tracingUrl(): string | undefined {
  return running?.url;
}

/** The hub's tracer: a no-op one while tracing is off. */
export function tracer(): Tracer {
  return trace.getTracer('tiga-hub');
}

/** The caller's trace, from its `traceparent` header (none: a new trace). Never the ambient context: a request starts afresh. */
export function incomingContext(headers: IncomingHttpHeaders): Context {
  return propagation.extract(ROOT_CONTEXT, headers);
}

/** Adds `traceparent` (and `tracestate`) for the current span to an outgoing request's headers; nothing when off. */
export function injectTraceContext(headers: { set(name: string, value: string): unknown } | undefined): void {
  if (!headers || !running) return;
  propagation.inject(context.active(), headers, { set: (carrier, key, value) => void carrier.set(key, value) });
}
