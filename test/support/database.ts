import { openEmbedded, openPostgres, type Database } from '../../lib/db.ts';
import { SUBGRAPH_NAMES } from '../../lib/config.ts';

/**
 * The database a test file runs against: real PostgreSQL + PostGIS when DATABASE_URL is set,
 * else a throw-away embedded PGlite. PostgreSQL is reset first so every run starts clean.
 */
export async function openTestDatabase(): Promise<Database> {
  const url = process.env.DATABASE_URL;
  if (!url) return openEmbedded('memory://');
  const db = openPostgres(url);
  for (const schema of SUBGRAPH_NAMES) await db.knex.raw('drop schema if exists ?? cascade', [schema]);
  return db;
}
