import type { Knex } from 'knex';
import type { Database } from './db.ts';

/** One step of a subgraph's schema history. Files are named `NNN_what.ts` and listed in `migrations/index.ts`. */
export interface Migration {
  name: string;
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

// Concurrent first starts (docker-compose starts four subgraphs at once) would race on CREATE EXTENSION.
const POSTGIS_LOCK = 746_8201;

export async function ensurePostgis(knex: Knex): Promise<void> {
  await knex.transaction(async (trx) => {
    await trx.raw('select pg_advisory_xact_lock(?)', [POSTGIS_LOCK]);
    await trx.raw('create extension if not exists postgis');
  });
}

/**
 * Brings `schema` (one subgraph's PostgreSQL schema) up to date. Knex's own lock table makes it safe
 * to run from several processes; each subgraph keeps its history in `<schema>.knex_migrations`.
 */
export async function migrate(db: Database, schema: string, migrations: Migration[]): Promise<string[]> {
  await ensurePostgis(db.knex);
  await db.knex.raw('create schema if not exists ??', [schema]);
  const source: Knex.MigrationSource<Migration> = {
    getMigrations: async () => migrations,
    getMigrationName: (migration) => migration.name,
    getMigration: async (migration) => migration,
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
