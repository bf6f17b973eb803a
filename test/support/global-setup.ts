import { openPostgres } from '../../lib/db.ts';
import { PRODUCER_NAMES } from '../../subgraphs/registry.ts';

/** On PostgreSQL, every run starts from empty producer schemas (the embedded database is in memory anyway). */
export default async function resetDatabase(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) return;
  const db = openPostgres(url, 1);
  try {
    for (const schema of [...PRODUCER_NAMES, 'audit', 'ingest']) await db.knex.raw('drop schema if exists ?? cascade', [schema]);
  } finally {
    await db.close();
  }
}
