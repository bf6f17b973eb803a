import type { RequestHandler } from 'express';
import { loggerFor } from '../lib/observability/logger.ts';

/** How long one producer may take to say it is ready. */
const READY_TIMEOUT_MS = 2000;

export interface ProducerEndpoint {
  name: string;
  /** The public title, shown to the operator beside the name. */
  title: string;
  /** Its GraphQL URL; readiness is asked at `/ready` beside it. */
  url: string;
}

const readyUrl = (graphqlUrl: string) => new URL('/ready', graphqlUrl).toString();

/**
 * `GET /ready` on the gateway: asks every producer's `/ready` (its database answers) at once, with a short
 * deadline, and answers 200 when all are ready, 503 otherwise, with each producer's state. A load balancer
 * or an orchestrator reads the status; an operator reads which producer is down. No URL or cause is shown:
 * the gateway's log has them.
 */
export function readiness(producers: ProducerEndpoint[], log?: (line: string) => void): RequestHandler {
  const logger = loggerFor('gateway', log);
  return async (_req, res) => {
    const states = await Promise.all(
      producers.map(async ({ name, title, url }) => {
        try {
          const response = await fetch(readyUrl(url), { signal: AbortSignal.timeout(READY_TIMEOUT_MS) });
          if (response.ok) return { name, title, state: 'ready' as const };
          logger.warn({ producer: name, status: response.status }, 'readiness: producer not ready');
        } catch (error) {
          logger.warn({ producer: name, err: error }, 'readiness: producer did not answer');
        }
        return { name, title, state: 'unavailable' as const };
      }),
    );
    const ready = states.every((s) => s.state === 'ready');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'degraded', service: 'gateway', producers: states });
  };
}
