import { loadConfig, SUBGRAPH_NAMES } from '../../lib/config.ts';
import { openPostgres } from '../../lib/db.ts';
import { startHub, type Hub } from '../../hub/hub.ts';
import { postGraphQL, type GraphQLResponse } from './subgraph.ts';

let running: Promise<Hub> | undefined;

/**
 * The whole hub (four subgraphs + gateway), started once for the test run on free ports: an in-memory
 * PGlite by default, or the PostgreSQL of DATABASE_URL, reset first so every run starts from the seeds.
 */
export function testHub(): Promise<Hub> {
  running ??= (async () => {
    const config = loadConfig({ ...process.env, TIGA_SEED: 'auto', SEED_SCALE: '1' });
    if (config.databaseUrl) {
      const admin = openPostgres(config.databaseUrl, 1);
      for (const schema of SUBGRAPH_NAMES) await admin.knex.raw('drop schema if exists ?? cascade', [schema]);
      await admin.close();
    }
    const hub = await startHub(config, { embeddedDir: 'memory://', anyPorts: true });
    process.once('beforeExit', () => void hub.close());
    return hub;
  })();
  return running;
}

/** Sends a query to the gateway, as a consortium app does. */
export async function gatewayQuery<T = any>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLResponse<T>> {
  const hub = await testHub();
  return postGraphQL<T>(hub.gatewayUrl, query, variables, headers);
}
