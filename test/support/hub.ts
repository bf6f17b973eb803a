import { loadConfig } from '../../lib/config.ts';
import { openTestDatabase } from './database.ts';
import { testDataDir } from './data-dir.ts';
import { startHub, type Hub } from '../../hub/hub.ts';
import { postGraphQL, type GraphQLResponse } from './subgraph.ts';

let running: Promise<Hub> | undefined;

/**
 * The whole hub (four subgraphs + gateway), started once for the test run on free ports, over the
 * run's shared test database (in-memory PGlite, or the PostgreSQL of DATABASE_URL).
 */
export function testHub(): Promise<Hub> {
  running ??= (async () => {
    const config = loadConfig({ ...process.env, TIGA_SEED: 'auto', SEED_SCALE: '1', TIGA_DATA_DIR: testDataDir(), TIGA_QC_INTERVAL_MINUTES: '0' });
    const hub = await startHub(config, { database: await openTestDatabase(), anyPorts: true });
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

