import { openEmbedded, openPostgres, type Database } from '../../lib/db.ts';

let shared: Promise<Database> | undefined;

/**
 * The database the whole test run shares (one worker, see vitest.config.ts): the PostgreSQL of
 * DATABASE_URL — emptied once by test/support/global-setup.ts — or one in-memory PGlite, which costs
 * ~8 s to start and so is started once. Migrations and seeds are idempotent, so every file may run them.
 * `close()` is a no-op: the connection lives until the run ends.
 */
export function openTestDatabase(): Promise<Database> {
  shared ??= (async () => {
    const url = process.env.DATABASE_URL;
    const db = url ? openPostgres(url) : await openEmbedded('memory://');
    process.once('beforeExit', () => void db.close());
    return db;
  })();
  return shared.then((db) => ({ ...db, close: async () => {} }));
}
