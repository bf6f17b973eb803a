import type { ObservabilityConfig } from '../config.ts';
import type { Lifecycle } from '../runtime/lifecycle.ts';
import { configureLogging, loggerFor } from './logger.ts';
import { serveMetrics } from './metrics.ts';
import { startTracing, stopTracing } from './tracing.ts';

/**
 * An entry point's observability, from its config: the log level and repeat interval, `/metrics` on or off,
 * and tracing when an OTLP endpoint is configured (off otherwise: no exporter, no connection). Call it first:
 * the tracing's shutdown, registered first, runs last, after the servers drained, and sends their last spans.
 */
export async function startObservability(config: ObservabilityConfig, lifecycle: Lifecycle): Promise<void> {
  configureLogging({ level: config.logLevel, repeatIntervalMs: config.logRepeatIntervalMs });
  serveMetrics(config.metrics);
  if (!config.tracing) return;
  await startTracing(config.tracing);
  lifecycle.onStop('tracing', stopTracing);
  loggerFor('process').info({ url: config.tracing.url, serviceName: config.tracing.serviceName }, 'tracing: sending spans over OTLP/HTTP');
}
