import { randomUUID } from 'node:crypto';
import type { ApolloServer } from '@apollo/server';
import { ANONYMOUS } from '../../lib/auth/principal.ts';
import type { GatewayContext } from '../auth/AccessControlledGateway.ts';

/** Who an open-data operation is run for: its budgets (cost, expensive slots) are that client's. */
export interface AnonymousQueryOptions {
  /** The client's budget key (`address:…`), so an export spends its requester's budget, not a shared one. @default 'hub:open-data' */
  client?: string;
  /** The request id of the HTTP request the operation serves (its errors and logs carry it). @default a new one */
  requestId?: string;
  /** How long, in all, the operation may wait for its client's or the hub's budget. @default 30000 */
  maxWaitMs?: number;
}

/** Runs one GraphQL operation as an anonymous caller and gives its data; any error fails it. */
export type AnonymousQuery = (query: string, variables?: Record<string, unknown>, options?: AnonymousQueryOptions) => Promise<Record<string, any>>;

/**
 * An open-data operation that did not answer whole: `code` is the first error's GraphQL code
 * (BAD_USER_INPUT, NOT_FOUND, PRODUCER_UNAVAILABLE, RATE_LIMITED, COST_LIMIT_EXCEEDED…), so a route can
 * answer 400, 404, 503 or 429 as GraphQL would have, with the same message.
 */
export class OpenDataError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'OpenDataError';
  }
}

/** How long, at most, an open-data operation waits in all for its client's rate budget before it gives up. */
const MAX_BACKPRESSURE_MS = 30_000;

/**
 * Operations executed in-process by the gateway's own Apollo Server, as an anonymous caller: the same
 * access filter, cost and depth limits, plans and producers as any client of `/graphql`, so a route built
 * on it serves exactly the open contract. An answer with an error (a producer down, a field removed) is
 * refused whole rather than published incomplete. When the client's budget of expensive operations is spent
 * (RATE_LIMITED), the operation waits as told and tries again, up to 30 s: a long export slows down rather
 * than breaking off half-written.
 */
export function anonymousQuery(server: ApolloServer<GatewayContext>): AnonymousQuery {
  return async (query, variables, options = {}) => {
    const client = options.client ?? 'hub:open-data';
    const requestId = options.requestId ?? randomUUID();
    for (let waited = 0; ; ) {
      const response = await server.executeOperation({ query, variables }, { contextValue: { principal: ANONYMOUS, requestId, client } });
      if (response.body.kind !== 'single') throw new Error('an open-data operation answered incrementally');
      const { data, errors } = response.body.singleResult;
      if (!errors?.length && data) return data as Record<string, any>;
      const first = errors?.[0];
      const code = String(first?.extensions?.code ?? 'INTERNAL_SERVER_ERROR');
      const retryAfterSeconds = typeof first?.extensions?.retryAfterSeconds === 'number' ? first.extensions.retryAfterSeconds : undefined;
      if (code === 'RATE_LIMITED' && retryAfterSeconds !== undefined && waited + retryAfterSeconds * 1000 <= (options.maxWaitMs ?? MAX_BACKPRESSURE_MS)) {
        await new Promise((resolve) => setTimeout(resolve, retryAfterSeconds * 1000));
        waited += retryAfterSeconds * 1000;
        continue;
      }
      throw new OpenDataError(first?.message ?? 'an open-data operation gave no data', code, retryAfterSeconds);
    }
  };
}
