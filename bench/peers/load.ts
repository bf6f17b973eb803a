import autocannon from 'autocannon';
import type { MixRequest } from './mix.ts';

export interface LoadResult {
  /** Answers that were 200 without GraphQL errors. */
  ok: number;
  /** Transport errors, timeouts, non-2xx and answers carrying `errors`. */
  failed: number;
  /** The first failures, by what they said. */
  failures: Map<string, number>;
  seconds: number;
  p50: number;
  p99: number;
}

export interface LoadOptions {
  url: string;
  seconds: number;
  connections: number;
  /** The next request of the mix (fresh variables each call). */
  next: () => MixRequest;
  /** Headers of the n-th request (e.g. the client a proxy forwards for). */
  headers: (n: number) => Record<string, string>;
}

/**
 * Sends the mix for `seconds` over `connections` keep-alive connections, one request in flight on each, every
 * request built when it is sent (autocannon's setupRequest) and every answer read: a 200 whose body carries
 * `errors` is a failure too.
 */
export async function load(options: LoadOptions): Promise<LoadResult> {
  const path = new URL(options.url).pathname;
  const failures = new Map<string, number>();
  let failed = 0;
  let sent = 0;
  const onResponse = (status: number, body: string) => {
    if (status === 200 && !body.includes('"errors"')) return;
    failed++;
    const first = (() => {
      try {
        const error = (JSON.parse(body) as { errors?: { message?: string; extensions?: { code?: string } }[] }).errors?.[0];
        return `${error?.extensions?.code ?? '?'} ${error?.message ?? ''}`;
      } catch {
        return body.slice(0, 120);
      }
    })();
    const key = `HTTP ${status}: ${first}`.slice(0, 200);
    failures.set(key, (failures.get(key) ?? 0) + 1);
  };
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.seconds,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        path,
        setupRequest: (request) => {
          const { query, variables } = options.next();
          return { ...request, headers: { 'content-type': 'application/json', ...options.headers(sent++) }, body: JSON.stringify({ query, variables }) };
        },
        onResponse,
      },
    ],
  });
  const transport = result.errors + result.timeouts;
  if (transport) failures.set('transport errors or timeouts', transport);
  // autocannon counts a non-2xx answer in `non2xx`, and onResponse saw it too.
  return { ok: result.requests.total - failed, failed: failed + transport, failures, seconds: result.duration, p50: result.latency.p50, p99: result.latency.p99 };
}
