import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openTestDatabase } from '../support/database.ts';
import { serveSubgraph, postGraphQL, type GraphQLResponse } from '../support/subgraph.ts';
import { loadConfig } from '../../lib/config.ts';
import type { Database } from '../../lib/db.ts';
import type { ClaimedServer } from '../support/subgraph.ts';
import { ensureEmbeddedKeys } from '../../lib/auth/keys.ts';
import { signToken } from '../../lib/auth/sign.ts';
import { createTokenVerifier } from '../../lib/auth/verify.ts';
import { loadReferential, type Referential } from '../../seeds/referential.ts';
import { seedAtmo } from '../../seeds/atmo.ts';
import { atmo } from '../../subgraphs/atmo/index.ts';

export interface AtmoFixture {
  db: Database;
  server: ClaimedServer;
  referential: Referential;
  /** Headers of a caller holding the scope `atmo:restricted`. */
  restricted: Record<string, string>;
  /** POSTs to the ATMO subgraph alone. */
  query<T = any>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLResponse<T>>;
  /** `_entities` with the given representations, as the gateway sends it. */
  entities<T = any>(representations: Record<string, unknown>[], selection: string): Promise<GraphQLResponse<T>>;
  close(): Promise<void>;
}

const ISSUER = 'tiga-test';
const AUDIENCE = 'tiga-test';

/** The ATMO subgraph served alone on a migrated, seeded database (seeding is a no-op if done already). */
export async function startAtmo(): Promise<AtmoFixture> {
  const keys = await ensureEmbeddedKeys(fs.mkdtempSync(path.join(os.tmpdir(), 'tiga-atmo-')));
  const verifier = createTokenVerifier({ jwks: keys.jwks, issuer: ISSUER, audience: AUDIENCE });
  const token = await signToken(keys, { subject: 'researcher', scopes: ['atmo:restricted'], ttlSeconds: 3600, issuer: ISSUER, audience: AUDIENCE });
  const db = await openTestDatabase();
  const server = await serveSubgraph(atmo, db, verifier);
  const referential = loadReferential(loadConfig().sharedDataDir);
  await seedAtmo(db.knex, referential, { scale: 1 });
  const query = <T>(text: string, variables?: Record<string, unknown>, headers?: Record<string, string>) =>
    postGraphQL<T>(server.url, text, variables, headers);
  return {
    db,
    server,
    referential,
    restricted: { authorization: `Bearer ${token}` },
    query,
    entities: (representations, selection) =>
      query(`query($r: [_Any!]!) { _entities(representations: $r) { ${selection} } }`, { r: representations }),
    close: async () => {
      await server.close();
      await db.close();
    },
  };
}

/** Place Kléber, Strasbourg's centre. */
export const STRASBOURG_CENTRE = { lon: 7.7521, lat: 48.5734 };
export const STRASBOURG = '67482';
export const EUROMETROPOLE = '246700488';

/** A closed GeoJSON polygon for a [minLon, minLat, maxLon, maxLat] box. */
export function boxPolygon([minLon, minLat, maxLon, maxLat]: [number, number, number, number]) {
  return {
    type: 'Polygon',
    coordinates: [[[minLon, minLat], [maxLon, minLat], [maxLon, maxLat], [minLon, maxLat], [minLon, minLat]]],
  };
}
