import { randomUUID } from 'node:crypto';
import type { ApolloServer } from '@apollo/server';
import { ANONYMOUS } from '../../lib/auth/principal.ts';
import type { GatewayContext } from '../auth/AccessControlledGateway.ts';

/** Runs one GraphQL operation as an anonymous caller and gives its data; any error fails it. */
export type AnonymousQuery = (query: string, variables?: Record<string, unknown>) => Promise<Record<string, any>>;

/**
 * Operations executed in-process by the gateway's own Apollo Server, as an anonymous caller: the same
 * access filter, cost and depth limits, plans and producers as any client of `/graphql`, so a route built
 * on it serves exactly the open contract. An answer with an error (a producer down, a field removed) is
 * refused whole rather than published incomplete. Its budgets (rate, cost) are those of one client, the hub's
 * open-data routes, whoever asked them.
 */
export function anonymousQuery(server: ApolloServer<GatewayContext>): AnonymousQuery {
  return async (query, variables) => {
    const response = await server.executeOperation({ query, variables }, { contextValue: { principal: ANONYMOUS, requestId: randomUUID(), client: 'hub:open-data' } });
    if (response.body.kind !== 'single') throw new Error('an open-data operation answered incrementally');
    const { data, errors } = response.body.singleResult;
    if (errors?.length || !data) throw new Error(`an open-data operation failed: ${(errors ?? []).map((e) => e.message).join('; ') || 'no data'}`);
    return data as Record<string, any>;
  };
}
