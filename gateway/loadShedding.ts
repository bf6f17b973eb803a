import type { ServerResponse } from 'node:http';
import type { Request, RequestHandler, Response } from 'express';
import { BurstyRateLimiter, RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { Redis } from 'ioredis';
import type { Principal } from '../lib/auth/principal.ts';
import { requestIdOf } from '../lib/http/requestId.ts';

export interface LoadSheddingOptions {
  /** Requests per second a client may sustain (per address, and per token subject). */
  perSecond: number;
  /** Requests a client may send above that rate within 10 s, then the rate alone. */
  burst: number;
  /** Requests one client may have in flight at once; more wait for nothing and get 429. */
  concurrent: number;
  /** A bearer token's subject, verified: a token gets its own budget, beside its address's. Throws for a bad token. */
  verify: (authorization: string | undefined) => Promise<Principal>;
  /** `redis://…`: budgets shared by every gateway using it. @default in memory, per gateway */
  redisUrl?: string;
  /** Where a Redis failure is told; the budget then falls back to this gateway's memory, never to none. */
  log: (line: string) => void;
  /** Called for each refused request, with why (metrics). */
  onRefused?: (reason: 'rate' | 'concurrency' | 'early') => void;
}

/** A budget keyed by client: a steady rate, plus a burst allowance over 10 s (a token bucket in two windows). */
function budget(prefix: string, options: LoadSheddingOptions, redis: Redis | undefined): RateLimiterAbstract & { consume: BurstyRateLimiter['consume'] } {
  const memory = (keyPrefix: string, points: number, duration: number) => new RateLimiterMemory({ keyPrefix, points, duration });
  const store = (keyPrefix: string, points: number, duration: number) =>
    redis
      ? // When Redis does not answer, the gateway keeps a budget of its own rather than none (insurance).
        new RateLimiterRedis({ storeClient: redis, useRedisPackage: false, keyPrefix: `tiga:${keyPrefix}`, points, duration, rejectIfRedisNotReady: true, insuranceLimiter: memory(keyPrefix, points, duration) })
      : memory(keyPrefix, points, duration);
  return new BurstyRateLimiter(store(`${prefix}:rate`, options.perSecond, 1), store(`${prefix}:burst`, options.burst, 10)) as never;
}

export interface Refusal {
  status: 429;
  retryAfterSeconds: number;
  message: string;
}

/**
 * Calls `release` once the response is sent or its client has left: now, if it left while the request was being
 * admitted (its 'close' already fired, and would never reach a listener added now).
 */
export function releaseWhenDone(res: ServerResponse, release: () => void): void {
  res.once('finish', release);
  res.once('close', release);
  if (res.socket?.destroyed === true) release();
}

/** The body of a refusal's 429 answer. */
export function refusalBody(refusal: Refusal, requestId: string): unknown {
  return { errors: [{ message: refusal.message, extensions: { code: 'RATE_LIMITED', retryAfterSeconds: refusal.retryAfterSeconds, requestId } }] };
}

function refuse(res: Response, refusal: Refusal): void {
  res.setHeader('Retry-After', String(refusal.retryAfterSeconds));
  res.status(refusal.status).json(refusalBody(refusal, requestIdOf(res)));
}

/**
 * Load shedding in front of GraphQL: each client — its address (`req.ip`: the socket's peer, or the address a
 * trusted proxy forwarded, see `trust proxy`) and, when it sends a valid token, its token subject — has a
 * budget of requests and a cap on requests in flight. Beyond either, the answer is 429 with `Retry-After`,
 * before any parsing, planning or subgraph call. An invalid token is left to the GraphQL layer to refuse
 * (UNAUTHENTICATED) and still spends its address's budget.
 */
export type LoadShedding = RequestHandler & {
  close(): Promise<void>;
  redis: Redis | undefined;
  admit(address: string, authorization: string | undefined): Promise<{ refusal: Refusal } | { release: () => void }>;
};

export function loadShedding(options: LoadSheddingOptions): LoadShedding {
  const redis = options.redisUrl
    ? new Redis(options.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 1000, lazyConnect: false })
    : undefined;
  let redisDown = false;
  redis?.on('error', (error: Error) => {
    if (!redisDown) options.log(`gateway: rate-limit store unavailable, budgets are per gateway until it answers: ${error.message}`);
    redisDown = true;
  });
  redis?.on('ready', () => {
    if (redisDown) options.log('gateway: rate-limit store answers again, budgets are shared');
    redisDown = false;
  });
  const byAddress = budget('address', options, redis);
  const byToken = budget('token', options, redis);
  const inFlight = new Map<string, number>();
  // Retry-After is a promise the hub keeps to itself too: an address told by the rate limit to wait that
  // comes back before the time is refused at the door, before its token is verified or its body read. A
  // crowd ignoring Retry-After then costs a map lookup per request, and the hub's time goes to the clients
  // that wait as told. (Only the rate limit's waits are exact: "one in flight too many" and the expensive-
  // request refusals concern some requests, not all, and are refused cheaply where they are decided.)
  const heldOff = new Map<string, number>();
  const tooFast = (seconds: number) => `too many requests from this client: at most ${options.perSecond} per second (bursts up to ${options.burst} within 10 s); retry in ${seconds} s`;
  const holdOff = (address: string, seconds: number) => {
    if (heldOff.size >= 100_000) heldOff.clear();
    heldOff.set(address, Date.now() + seconds * 1000);
  };

  /**
   * Admits one request from `address` (and the token in `authorization`, if valid) or refuses it. Admitted, it
   * counts as in flight until `release` is called (once its answer is sent or its client left). Shared by the
   * Express middleware below and the gateway's direct route (gateway/directGateway.ts).
   */
  const admit = async (address: string, authorization: string | undefined): Promise<{ refusal: Refusal } | { release: () => void }> => {
    const until = heldOff.get(address);
    if (until !== undefined) {
      const left = until - Date.now();
      if (left > 0) {
        options.onRefused?.('early');
        const retryAfterSeconds = Math.max(1, Math.ceil(left / 1000));
        // The same words as the rate limit that set the wait: it is the reason, whenever the request was sent.
        return { refusal: { status: 429, retryAfterSeconds, message: tooFast(retryAfterSeconds) } };
      }
      heldOff.delete(address);
    }

    let subject: string | undefined;
    try {
      const principal = await options.verify(authorization);
      subject = principal.kind === 'user' ? principal.subject : undefined;
    } catch {
      subject = undefined;
    }
    try {
      await byAddress.consume(address);
      if (subject) await byToken.consume(subject);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      options.onRefused?.('rate');
      const retryAfterSeconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      holdOff(address, rejection.msBeforeNext / 1000);
      return { refusal: { status: 429, retryAfterSeconds, message: tooFast(retryAfterSeconds) } };
    }
    // The concurrency cap is per gateway: requests in flight live in one process.
    const key = subject ? `token:${subject}` : `address:${address}`;
    const running = inFlight.get(key) ?? 0;
    if (running >= options.concurrent) {
      options.onRefused?.('concurrency');
      return { refusal: { status: 429, retryAfterSeconds: 1, message: `too many requests in flight from this client: at most ${options.concurrent} at once; retry when one has answered` } };
    }
    inFlight.set(key, running + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        const left = (inFlight.get(key) ?? 1) - 1;
        if (left <= 0) inFlight.delete(key);
        else inFlight.set(key, left);
      },
    };
  };

  const handler = (async (req: Request, res: Response, next: (error?: unknown) => void) => {
    if (req.method === 'OPTIONS') return next();
    let admitted: Awaited<ReturnType<typeof admit>>;
    try {
      admitted = await admit(req.ip ?? req.socket.remoteAddress ?? 'unknown', req.headers.authorization);
    } catch (error) {
      return next(error);
    }
    if ('refusal' in admitted) return refuse(res, admitted.refusal);
    releaseWhenDone(res, admitted.release);
    next();
  }) as LoadShedding;
  handler.admit = admit;
  handler.redis = redis;
  handler.close = async () => {
    if (redis) await redis.quit().catch(() => redis.disconnect());
  };
  return handler;
}
