import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liftStatementTimeout, openPostgres, type Database } from '../../lib/db.ts';
import { migrate, underMigrationLock } from '../../lib/migrate.ts';

/**
 * A runaway query (a pathological plan, a lock held elsewhere) must not hold a connection of the pool for
 * ever: on PostgreSQL, the services' pools cancel a statement past TIGA_STATEMENT_TIMEOUT_MS. Migrations and
 * ingests, which may rightly run long, lift it for their own transactions. (PGlite has no statement timeout:
 * it runs one statement at a time in the process, and these tests run on PostgreSQL only.)
 */
const url = process.env.DATABASE_URL;

describe.skipIf(!url)('the statement timeout on PostgreSQL', () => {
  let db: Database;
  beforeAll(() => {
    db = openPostgres(url!, 2, 300);
  });
  afterAll(async () => {
    await db.knex.raw('drop schema if exists statement_timeout_probe cascade');
    await db.close();
  });

  it('cancels a serving statement past its deadline, and the connection serves the next one', async () => {
    const started = Date.now();
    await expect(db.knex.raw('select pg_sleep(2)')).rejects.toMatchObject({ code: '57014' });
    expect(Date.now() - started).toBeLessThan(1500);
    expect((await db.knex.raw('select 1 as one')).rows).toEqual([{ one: 1 }]);
  });

  it('lets an ingest transaction and a migration run past it', async () => {
    await db.knex.transaction(async (trx) => {
      await liftStatementTimeout(trx);
      await trx.raw('select pg_sleep(0.6)');
    });
    const applied = await underMigrationLock(db, () =>
      migrate(db, 'statement_timeout_probe', [
        { name: '001_slow', up: async (knex) => void (await knex.raw('select pg_sleep(0.6)')), down: async () => {} },
      ]),
    );
    expect(applied).toEqual(['001_slow']);
    // Lifted for those transactions only: the pool's next statement has its deadline again.
    await expect(db.knex.raw('select pg_sleep(2)')).rejects.toMatchObject({ code: '57014' });
  });
});
