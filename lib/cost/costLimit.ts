import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { GraphQLSchema } from 'graphql';
import { costLimitExceeded } from '../errors.ts';
import { readCostPolicy } from './costPolicy.ts';
import { operationCost } from './operationCost.ts';
import { DEFAULT_COST_BUDGET } from './budget.ts';

export interface CostLimitOptions {
  /** A schema built from SDL, whose `@cost`, `@listSize` and `@costFactor` price the operations. */
  schema: GraphQLSchema;
  /** The largest cost one request may have. @default DEFAULT_COST_BUDGET */
  budget?: number;
}

/**
 * Refuses, before anything runs, an operation whose estimated cost (lib/cost/operationCost.ts) exceeds
 * the budget: COST_LIMIT_EXCEEDED, HTTP 400, with the cost and the budget. The gateway prices the client's
 * operation on the supergraph before planning; each subgraph prices what it receives on its own schema.
 */
export function costLimit<TContext extends BaseContext>(options: CostLimitOptions): ApolloServerPlugin<TContext> {
  const policy = readCostPolicy(options.schema);
  const budget = options.budget ?? DEFAULT_COST_BUDGET;
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operationName, request, contextValue }) {
          const cost = operationCost({ schema: options.schema, policy, document, operationName, variables: request.variables });
          // Later plugins (the gateway's expensive-request gate) read the price instead of computing it again,
          // a refused one too (the gate remembers it, to refuse the same operation sent again before Apollo).
          (contextValue as { cost?: number }).cost = cost;
          if (cost > budget) throw costLimitExceeded(cost, budget);
        },
      };
    },
  };
}
