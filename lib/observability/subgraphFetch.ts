import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { subgraphFetchDuration, subgraphFetchFailures } from './metrics.ts';
import { tracer, tracingUrl } from './tracing.ts';

export type FetchOutcome = 'ok' | 'timeout' | 'unreachable';

export interface SubgraphFetch {
  /** Runs the call inside the fetch's span, so the `traceparent` sent to the subgraph names it. */
  run<T>(call: () => Promise<T>): Promise<T>;
  /** Records the call's latency and outcome (a failure: the producer's fields were null in the answer). */
  end(outcome: FetchOutcome): void;
}

/** One gateway → subgraph call, as the metrics and the trace see it. */
export function observeSubgraphFetch(subgraph: string): SubgraphFetch {
  const started = performance.now();
  const record = (outcome: FetchOutcome) => {
    subgraphFetchDuration.observe({ subgraph, outcome }, (performance.now() - started) / 1000);
    if (outcome !== 'ok') subgraphFetchFailures.inc({ subgraph, reason: outcome });
  };
  // Tracing off: the metrics only (no-op spans and contexts still cost every call some work).
  if (!tracingUrl()) {
    let ended = false;
    return { run: (call) => call(), end: (outcome) => void (ended || ((ended = true), record(outcome))) };
  }
  const span = tracer().startSpan(`fetch ${subgraph}`, { kind: SpanKind.CLIENT, attributes: { 'tiga.subgraph': subgraph } });
  let ended = false;
  return {
    run: (call) => context.with(trace.setSpan(context.active(), span), call),
    end(outcome) {
      if (ended) return;
      ended = true;
      record(outcome);
      if (outcome !== 'ok') span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
      span.setAttribute('tiga.outcome', outcome);
      span.end();
    },
  };
}
