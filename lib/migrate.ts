import type { Knex } from 'knex';
import { liftStatementTimeout, type Database } from './db.ts';

/** One step of a subgraph's schema history. Files are named `NNN_what.ts` and listed in `migrations/index.ts`. */
export interface Migration {
  name: string;
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

// One key for every migration run of the hub, whatever the schema: concurrent first starts of the services
// (docker-compose starts them all at once) would otherwise race on CREATE EXTENSION, on the shared `audit`
// schema's history table, and on knex's own lock table.
const MIGRATION_LOCK = 746_8201;

/**
 * Runs `work` while holding the hub's migration lock on `db`: a session-level advisory lock on a connection
 * of its own, so `work` may use the pool's other connections and open its own transactions. The embedded
 * database has one session, owned by one process (the data folder's lock), so it needs none.
 */
export async function underMigrationLock<T>(db: Database, work: () => Promise<T>): Promise<T> {
  if (db.engine !== 'postgres') return work();
  const connection = await db.knex.client.acquireConnection();
  try {
    // Another service may migrate for longer than any serving statement may last: wait without the timeout.
    await db.knex.raw('set statement_timeout = 0').connection(connection);
    await db.knex.raw('select pg_advisory_lock(?)', [MIGRATION_LOCK]).connection(connection);
    try {
      return await work();
    } finally {
      await db.knex.raw('select pg_advisory_unlock(?)', [MIGRATION_LOCK]).connection(connection);
      await db.knex.raw('reset statement_timeout').connection(connection);
    }
  } finally {
    await db.knex.client.releaseConnection(connection);
  }
}

export async function ensurePostgis(knex: Knex): Promise<void> {
  await knex.raw('create extension if not exists postgis');
}

/**
 * Brings `schema` (one service's PostgreSQL schema) up to date; its history is `<schema>.knex_migrations`.
 * Call it under `underMigrationLock`: knex's own lock table does not cover creating the history tables.
 * Returns the names of the migrations it applied.
 */
export async function migrate(db: Database, schema: string, migrations: Migration[]): Promise<string[]> {
  await db.knex.raw('create schema if not exists ??', [schema]);
  const source: Knex.MigrationSource<Migration> = {
    getMigrations: async () => migrations,
    getMigrationName: (migration) => migration.name,
    // Each migration runs in its own transaction, without the serving statement timeout.
    getMigration: async (migration) => ({
      ...migration,
      up: async (trx: Knex) => (await liftStatementTimeout(trx), migration.up(trx)),
      down: async (trx: Knex) => (await liftStatementTimeout(trx), migration.down(trx)),
    }),
  };
  const [, applied] = (await db.knex.migrate.latest({
    migrationSource: source,
    schemaName: schema,
    tableName: 'knex_migrations',
  })) as [number, string[]];
  return applied;
}

/**
 * Runs a script of SQL statements one by one. PGlite speaks the extended protocol only, which takes a
 * single statement per call, so migrations split on a `;` that ends a line (keep `$$` bodies on one line
 * with their `;` mid-line, or run them separately).
 */
export async function runStatements(knex: Knex, script: string): Promise<void> {
  const statements = script
    .split(/;\s*$/m)
    .map((statement) => statement.trim())
    .filter(Boolean);
  for (const statement of statements) await knex.raw(statement);
}
