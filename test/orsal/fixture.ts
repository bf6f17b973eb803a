import { loadConfig } from '../../lib/config.ts';
import type { Database } from '../../lib/db.ts';
import type { ClaimedServer } from '../support/subgraph.ts';
import { seedOrsal } from '../../seeds/orsal.ts';
import { loadReferential, type Referential } from '../../seeds/referential.ts';
import { orsal } from '../../subgraphs/orsal/index.ts';
import { openTestDatabase } from '../support/database.ts';
import { postGraphQL, serveSubgraph, type GraphQLResponse } from '../support/subgraph.ts';
import { bearer } from '../support/auth.ts';

export interface OrsalFixture {
  db: Database;
  server: ClaimedServer;
  referential: Referential;
  /**
   * Plays the gateway forwarding a researcher's token (scope orsal:restricted): resolves `selection` on
   * Territory entities, as a federated query plan does. Access rules themselves are tested in test/access.
   */
  territories<T = any>(codes: string[], selection: string): Promise<GraphQLResponse<{ _entities: T[] }>>;
  close(): Promise<void>;
}

/** The ORSAL subgraph on a migrated, seeded database, served on a free port. */
export async function startOrsal(): Promise<OrsalFixture> {
  const db = await openTestDatabase();
  const server = await serveSubgraph(orsal, db);
  const referential = loadReferential(loadConfig().sharedDataDir);
  await seedOrsal(db.knex, referential, { scale: 1 });
  const researcher = await bearer(['orsal:restricted'], 'researcher');
  return {
    db,
    server,
    referential,
    territories: (codes, selection) =>
      postGraphQL(server.url, `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Territory { ${selection} } } }`, {
        representations: codes.map((code) => ({ __typename: 'Territory', code })),
      }, researcher),
    close: async () => {
      await server.close();
      await db.close();
    },
  };
}

/** A stored row, read straight from the table, to compare the API with. */
export async function storedValue(db: Database, code: string, indicator: string, period: string) {
  return db.knex('orsal.indicator_value').where({ territory_code: code, indicator, period }).first();
}
