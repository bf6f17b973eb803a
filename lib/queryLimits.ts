import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { ValidationRule } from 'graphql';

/**
 * The shape limits of one request, the same at the gateway (graphql-armor, and graphql-js's token count
 * while parsing) and in every subgraph (depth and aliases: the gateway's fetches stay within them). They
 * leave room for every documented query and for GraphiQL's introspection; the work a request asks for is
 * bounded by its cost (lib/cost/, `TIGA_COST_BUDGET`).
 */
export const QUERY_LIMITS = {
  maxDepth: 10,
  maxAliases: 20,
  maxDirectives: 20,
  maxTokens: 3000,
};

/**
 * The largest GraphQL request body, at the gateway and at every subgraph alike: whatever the gateway takes, the
 * subgraph it forwards to takes too. It leaves room for an ingest mutation's 5 MB of `content` JSON-escaped (a
 * quote or a line end takes two bytes: a 4.4 MB CSV of quoted fields is a 5.8 MB request); the mutation itself
 * refuses more than 5 MB of content with its own message (lib/ingest/mutation.ts).
 */
export const MAX_REQUEST_BYTES = 6 * 1024 * 1024;

/**
 * The depth and alias limits as validation rules, for a subgraph's Apollo Server: a direct call to a
 * subgraph's port gets no more room than the gateway gives (the gateway's fetches stay within them).
 */
export function depthAndAliasRules(): ValidationRule[] {
  return new ApolloArmor({
    maxDepth: { n: QUERY_LIMITS.maxDepth },
    maxAliases: { n: QUERY_LIMITS.maxAliases },
    maxDirectives: { enabled: false },
    maxTokens: { enabled: false },
    costLimit: { enabled: false },
    blockFieldSuggestion: { enabled: false },
  }).protect().validationRules as ValidationRule[];
}
