import { createSubgraphApp, listen, prepareDatabase, type SubgraphDefinition, type RunningServer } from '../../lib/subgraph.ts';
import type { TokenVerifier } from '../../lib/auth/verify.ts';
import { testVerifier } from './auth.ts';
import type { Database } from '../../lib/db.ts';

export interface GraphQLResponse<T = any> {
  data?: T;
  errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string; [key: string]: unknown } }[];
}

/** POSTs a GraphQL operation the way a client app does. */
export async function postGraphQL<T = any>(
  url: string,
  query: string,
  variables?: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<T>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as GraphQLResponse<T>;
}

/**
 * Migrates one subgraph's schema in `db` and serves it on a free port, as `npm run subgraph` would,
 * trusting the run's test issuer (see ./auth.ts) unless another verifier is given.
 */
export async function serveSubgraph(definition: SubgraphDefinition<any>, db: Database, verifier?: TokenVerifier): Promise<RunningServer> {
  await prepareDatabase(definition, db);
  const { app } = await createSubgraphApp(definition, db, { verifier: verifier ?? (await testVerifier()) });
  return listen(app, 0, '127.0.0.1');
}
