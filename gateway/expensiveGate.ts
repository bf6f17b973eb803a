import { GraphQLError, type DocumentNode } from 'graphql';
import type { RequestHandler } from 'express';
import type { ApolloServerPlugin } from '@apollo/server';
import { costLimitExceeded } from '../lib/errors.ts';
import { sha256 } from '../lib/sha256.ts';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Redis } from 'ioredis';
import type { GatewayContext } from './auth/AccessControlledGateway.ts';
import { requestIdOf } from '../lib/http/requestId.ts';

export interface ExpensiveGateOptions {
  /** From this estimated cost (lib/cost/) on, a request is expensive. */
  threshold: number;
  /** Expensive requests the gateway runs at once, all clients together; the others wait, then get 429. */
  slots: number;
  /**
   * The estimated cost one slot holds: an expensive request takes min(its cost, this) of the slots' units, so one
   * slot runs one request of this cost or more, or several smaller ones whose costs add up to it. @default the threshold (one request per slot)
   */
  slotCost?: number;
  /** Expensive requests one client may have running or waiting at once. */
  perClient: number;
  /** How long an expensive request may wait for a slot before it is refused. */
  waitMs: number;
  /** Cost units one client may spend per minute on expensive requests (cheap ones never count). */
  costPerMinute: number;
  /** Cost units all clients together may spend per minute on expensive requests: a crowd, each client within
   * its own budget, still leaves the hub time for cheap requests. */
  hubCostPerMinute: number;
  /** The budget of one request (costLimit's): an operation remembered above it is refused before Apollo. */
  budget: number;
  /** Shares the per-client cost budgets between gateways (loadShedding's connection). */
  redis?: Redis;
  onRefused?: (reason: 'cost' | 'expensive' | 'hub') => void;
  /**
   * The actual cost of an answer (lib/cost/actualCost.ts). An expensive request spends its estimate up front;
   * once answered, what the estimate exceeded the actual cost by is given back to its client's and the hub's
   * budgets: a client pays for the 33 communes it got, not for the 1,000 a list may hold. @default none: the estimate stays spent
   */
  actualCost?: (answer: { document: DocumentNode; operationName: string | null | undefined; variables: Record<string, unknown> | undefined; data: unknown }) => number;
}

/**
 * A semaphore of cost units whose waiters give up after a deadline, first come first served (a large request at
 * the head is not overtaken by small ones behind it, so it cannot starve).
 */
class Slots {
  private free: number;
  private readonly waiting: { units: number; grant: () => void }[] = [];
  constructor(size: number) {
    this.free = size;
  }
  acquire(units: number, waitMs: number): Promise<boolean> {
    if (!this.waiting.length && this.free >= units) {
      this.free -= units;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const waiter = { units, grant: () => (clearTimeout(timer), resolve(true)) };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(waiter), 1);
        resolve(false);
        this.grantWaiting();
      }, waitMs);
      this.waiting.push(waiter);
    });
  }
  release(units: number): void {
    this.free += units;
    this.grantWaiting();
  }
  private grantWaiting(): void {
    while (this.waiting.length && this.free >= this.waiting[0]!.units) {
      const next = this.waiting.shift()!;
      this.free -= next.units;
      next.grant();
    }
  }
}

/** Whether a request may go on to Apollo (with its price key), or the answer it gets now. */
export interface EarlyDecision {
  priceKey?: string;
  refusal?: { status: number; retryAfterSeconds?: number; body: (requestId: string) => unknown };
}

function tooMany(message: string, retryAfterSeconds: number): GraphQLError {
  // Apollo Server reads `http.headers` as a Map; typed loosely because GraphQL Yoga's types (a dev dependency of
  // the peer benchmark) augment GraphQLErrorExtensions with a Record instead.
  const extensions: Record<string, unknown> = { code: 'RATE_LIMITED', retryAfterSeconds, http: { status: 429, headers: new Map([['retry-after', String(retryAfterSeconds)]]) } };
  return new GraphQLError(message, { extensions });
}

/**
 * Priority for cheap requests under load. A rate limit counts requests, but one expensive request (a year
 * of daily indices for every commune) costs the hub as much as thousands of cheap ones: a crowd of clients,
 * each within its request budget, would still starve everyone. Once priced (lib/cost/, before any subgraph
 * call), an expensive request spends its cost from its client's budget per minute and from the hub's (all
 * clients together: fifty clients each within budget would otherwise take every core), may not run beside
 * another of the same client's, and waits for one of a few hub-wide slots; past any of these it gets 429
 * with `Retry-After`. Cheap requests never wait here.
 */
export function expensiveGate(options: ExpensiveGateOptions): ApolloServerPlugin<GatewayContext> & {
  early: (clientOf: (req: Parameters<RequestHandler>[0]) => string) => RequestHandler;
  check: (body: unknown, clientOf: () => string) => EarlyDecision;
  charge: (client: string, answer: { cost: number; actualCost: number }) => Promise<boolean>;
} {
  const slotCost = Math.max(options.slotCost ?? options.threshold, options.threshold);
  const slots = new Slots(options.slots * slotCost);
  const perClient = new Map<string, number>();
  // Prices of the operations seen lately, by their text and variables: a client resending an expensive
  // operation it may not run now is refused before Apollo parses, validates and prices it again.
  const prices = new Map<string, number>();
  const priceKey = (body: { query?: unknown; operationName?: unknown; variables?: unknown }) =>
    typeof body.query === 'string' ? sha256(`${body.query}\0${String(body.operationName ?? '')}\0${JSON.stringify(body.variables ?? null)}`) : undefined;
  const remember = (key: string | undefined, cost: number) => {
    if (key === undefined) return;
    if (prices.size >= 10_000) prices.delete(prices.keys().next().value!);
    prices.set(key, cost);
  };
  // Clients whose cost budget is spent, until when: their next expensive operations (known by their cached
  // price) are refused before Apollo parses, validates and prices them again. A crowd that ignores
  // Retry-After then costs the hub a hash and a map lookup per request, not a GraphQL pipeline.
  const spentUntil = new Map<string, number>();
  let hubSpentUntil = 0;
  const memory = new RateLimiterMemory({ keyPrefix: 'cost', points: options.costPerMinute, duration: 60 });
  const hubMemory = new RateLimiterMemory({ keyPrefix: 'hubcost', points: options.hubCostPerMinute, duration: 60 });
  const hubBudget = options.redis
    ? new RateLimiterRedis({ storeClient: options.redis, useRedisPackage: false, keyPrefix: 'tiga:hubcost', points: options.hubCostPerMinute, duration: 60, rejectIfRedisNotReady: true, insuranceLimiter: hubMemory })
    : hubMemory;
  const budget = options.redis
    ? new RateLimiterRedis({ storeClient: options.redis, useRedisPackage: false, keyPrefix: 'tiga:cost', points: options.costPerMinute, duration: 60, rejectIfRedisNotReady: true, insuranceLimiter: memory })
    : memory;
  /**
   * Before Apollo: the price key of a posted `body` and, when that operation's remembered price is expensive and
   * its client (`clientOf`, asked only then) or the hub may not spend it now, the refusal to answer with.
   */
  const earlyCheck = (body: unknown, clientOf: () => string): EarlyDecision => {
    const key = body && typeof body === 'object' ? priceKey(body) : undefined;
    const cost = key === undefined ? undefined : prices.get(key);
    if (cost === undefined || cost < options.threshold) return { priceKey: key };
    if (cost > options.budget) {
      // The very answer costLimit gave this operation: resending it cannot change it.
      const error = costLimitExceeded(cost, options.budget);
      return { priceKey: key, refusal: { status: 400, body: (requestId) => ({ errors: [{ message: error.message, extensions: { code: 'COST_LIMIT_EXCEEDED', cost, budget: options.budget, requestId } }] }) } };
    }
    const client = clientOf();
    const refuse = (reason: 'cost' | 'expensive' | 'hub', message: string, seconds: number): EarlyDecision => {
      options.onRefused?.(reason);
      return { priceKey: key, refusal: { status: 429, retryAfterSeconds: seconds, body: (requestId) => ({ errors: [{ message, extensions: { code: 'RATE_LIMITED', retryAfterSeconds: seconds, requestId } }] }) } };
    };
    if (hubSpentUntil > Date.now()) {
      const seconds = Math.max(1, Math.ceil((hubSpentUntil - Date.now()) / 1000));
      return refuse('hub', `the hub has spent its budget of expensive requests for this minute (${options.hubCostPerMinute.toLocaleString('en')} cost units, all clients together); retry in ${seconds} s, or ask for less`, seconds);
    }
    const until = spentUntil.get(client);
    if (until !== undefined && until > Date.now()) {
      const seconds = Math.max(1, Math.ceil((until - Date.now()) / 1000));
      return refuse('cost', `this client spent its budget of expensive requests: ${options.costPerMinute.toLocaleString('en')} cost units per minute (this request costs ${cost.toLocaleString('en')}); retry in ${seconds} s`, seconds);
    }
    if (until !== undefined) spentUntil.delete(client);
    const running = perClient.get(client) ?? 0;
    if (running < options.perClient) return { priceKey: key };
    return refuse('expensive', `this client already has ${running} expensive request${running > 1 ? 's' : ''} running (at most ${options.perClient}); retry when it has answered`, 1);
  };
  return {
    /**
     * A kept answer replayed (gateway/cache/AnswerCache.ts) costs the hub next to nothing, but an expensive one is
     * charged what it holds, as if it had run: its client's budget and the hub's. False when either is spent (the
     * request then goes the usual way, and is refused there with the reason).
     */
    async charge(client, { cost, actualCost }) {
      if (cost < options.threshold) return true;
      if (cost > options.budget || hubSpentUntil > Date.now() || (spentUntil.get(client) ?? 0) > Date.now()) return false;
      const units = Math.min(Math.max(0, actualCost), options.costPerMinute);
      if (units === 0) return true;
      try {
        await budget.consume(client, units);
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes) return false;
        throw rejection;
      }
      if (!client.startsWith('hub:')) try {
        await hubBudget.consume('hub', Math.min(units, options.hubCostPerMinute));
      } catch (rejection) {
        await budget.reward(client, units).catch(() => {});
        if (rejection instanceof RateLimiterRes) return false;
        throw rejection;
      }
      return true;
    },
    early: (clientOf) => (req, res, next) => {
      const decided = earlyCheck(req.method === 'POST' ? req.body : undefined, () => clientOf(req));
      // Priced once per request: the plugin below remembers the price under the same key (the context carries it).
      res.locals.priceKey = decided.priceKey;
      if (!decided.refusal) return next();
      if (decided.refusal.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(decided.refusal.retryAfterSeconds));
      res.status(decided.refusal.status).json(decided.refusal.body(requestIdOf(res)));
    },
    check: earlyCheck,
    async requestDidStart() {
      let held: string | undefined;
      let slot = false;
      let units = 0;
      // What this request spent from its client's budget and the hub's, to give back what it did not use.
      let spent: { client: string; own: number; hub: number } | undefined;
      return {
        async didResolveOperation({ contextValue, request }) {
          const cost = contextValue.cost ?? 0;
          remember(contextValue.priceKey ?? priceKey(request), cost);
          // Over the per-request budget, costLimit refuses it (the hooks run side by side): it spends nothing.
          if (cost < options.threshold || cost > options.budget) return;
          const client = contextValue.client ?? 'unknown';
          try {
            await budget.consume(client, Math.min(cost, options.costPerMinute));
            spent = { client, own: Math.min(cost, options.costPerMinute), hub: 0 };
          } catch (rejection) {
            if (!(rejection instanceof RateLimiterRes)) throw rejection;
            options.onRefused?.('cost');
            const seconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
            // Only a budget smaller than this one request could be (its cost is capped at the budget): the
            // client may spend again once enough of the minute has passed.
            if (spentUntil.size >= 100_000) spentUntil.clear();
            spentUntil.set(client, Date.now() + rejection.msBeforeNext);
            throw tooMany(`this client spent its budget of expensive requests: ${options.costPerMinute.toLocaleString('en')} cost units per minute (this request costs ${cost.toLocaleString('en')}); retry in ${seconds} s`, seconds);
          }
          // The hub's own background reads (the catalogue, the OGC API's extents: clients `hub:…`, in process,
          // cached for minutes) have their client budget; what any caller triggers spends the hub's as well.
          if (!client.startsWith('hub:')) try {
            await hubBudget.consume('hub', Math.min(cost, options.hubCostPerMinute));
            if (spent) spent.hub = Math.min(cost, options.hubCostPerMinute);
          } catch (rejection) {
            if (!(rejection instanceof RateLimiterRes)) throw rejection;
            options.onRefused?.('hub');
            const seconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
            hubSpentUntil = Date.now() + rejection.msBeforeNext;
            throw tooMany(`the hub has spent its budget of expensive requests for this minute (${options.hubCostPerMinute.toLocaleString('en')} cost units, all clients together); retry in ${seconds} s, or ask for less`, seconds);
          }
          const running = perClient.get(client) ?? 0;
          if (running >= options.perClient) {
            options.onRefused?.('expensive');
            throw tooMany(`this client already has ${running} expensive request${running > 1 ? 's' : ''} running (at most ${options.perClient}); retry when it has answered`, 1);
          }
          perClient.set(client, running + 1);
          held = client;
          units = Math.min(cost, slotCost);
          slot = await slots.acquire(units, options.waitMs);
          if (!slot) {
            options.onRefused?.('expensive');
            throw tooMany(`the hub is busy with expensive requests (cost ${options.threshold.toLocaleString('en')} or more); retry in a few seconds, or ask for less`, Math.max(1, Math.ceil(options.waitMs / 1000)));
          }
        },
        async didEncounterErrors({ contextValue, request }) {
          // Priced, then refused (over the budget): remembered like any price.
          if (contextValue.cost !== undefined && contextValue.cost > options.budget) remember(contextValue.priceKey ?? priceKey(request), contextValue.cost);
        },
        async willSendResponse({ response, document, operationName, request, contextValue }) {
          if (spent) {
            // Refused here before it ran: nothing was done, all is given back. Answered with errors (a producer late,
            // a statement cancelled), the work may have been done all the same: the estimate stays spent.
            const result = response.body.kind === 'single' ? response.body.singleResult : undefined;
            const actual = !slot ? 0 : result?.data && !result.errors?.length && document && options.actualCost ? options.actualCost({ document, operationName, variables: request.variables, data: result.data }) : Infinity;
            // What a kept copy of this answer is charged when replayed (gateway/cache/AnswerCache.ts).
            if (contextValue.answer && Number.isFinite(actual)) contextValue.answer.actualCost = actual;
            const { client, own, hub } = spent;
            spent = undefined;
            if (own > actual) await budget.reward(client, own - Math.max(0, actual)).catch(() => {});
            if (hub > actual) await hubBudget.reward('hub', hub - Math.max(0, actual)).catch(() => {});
          }
          if (slot) slots.release(units);
          slot = false;
          if (held !== undefined) {
            const left = (perClient.get(held) ?? 1) - 1;
            if (left <= 0) perClient.delete(held);
            else perClient.set(held, left);
            held = undefined;
          }
        },
      };
    },
  };
}
