import type { RequestListener } from 'node:http';
import { createSubgraphApp } from '../../lib/subgraph.ts';
import { settingsOf, type ProducerDefinition } from '../../lib/producer.ts';
import { loadConfig } from '../../lib/config.ts';
import type { TokenVerifier } from '../../lib/auth/verify.ts';
import type { Database } from '../../lib/db.ts';
import { Lifecycle } from '../../lib/runtime/lifecycle.ts';
import { openDatabases } from '../../lib/runtime/databases.ts';
import { migrateServices } from '../../lib/runtime/migrations.ts';
import { claimPort, type ClaimedServer } from '../../lib/runtime/server.ts';
import { testVerifier } from './auth.ts';

export type { ClaimedServer };

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

/** Migrates producers' schemas (and the audit log) in `db` through the boot path's migration step. */
export async function migrateProducers(db: Database, producers: ProducerDefinition[]): Promise<void> {
  const lifecycle = new Lifecycle();
  const dbs = await openDatabases(loadConfig({}), new Map(producers.map((p) => [p.name, undefined])), lifecycle, { shared: db });
  try {
    await migrateServices(dbs, producers);
  } finally {
    // What it opened around `db` (its pool gauges) ends here; `db` stays the caller's.
    await lifecycle.stop();
  }
}

/** Serves an app (Express's, or a subgraph's handler) on a free loopback port. */
export async function serveApp(app: RequestListener): Promise<ClaimedServer> {
  const server = await claimPort(0, '127.0.0.1');
  server.attach(app);
  return server;
}

/**
 * Migrates one subgraph's schema in `db` and serves it on a free port, as `npm run subgraph` would,
 * trusting the run's test issuer (see ./auth.ts) unless another verifier is given.
 */
export async function serveSubgraph(definition: ProducerDefinition, db: Database, verifier?: TokenVerifier): Promise<ClaimedServer> {
  await migrateProducers(db, [definition]);
  const { app } = await createSubgraphApp(definition, db, { verifier: verifier ?? (await testVerifier()), settings: settingsOf(definition, loadConfig({})) });
  return serveApp(app);
}
