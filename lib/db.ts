import fs from 'node:fs';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import ClientPgLite from 'knex-pglite';
import { PGlite } from '@electric-sql/pglite';
import { postgis } from '@electric-sql/pglite-postgis';

export type Engine = 'pglite' | 'postgres';

/** A knex instance plus what the rest of the code needs to know about it. */
export interface Database {
  knex: Knex;
  engine: Engine;
  close(): Promise<void>;
  /** A real server's connection string: listeners open a session of their own on it (LISTEN needs one). */
  url?: string;
  /** The embedded database's one session: listeners subscribe on it in process. */
  pglite?: PGlite;
}

const PG_DATE = 1082;
const PG_INT8 = 20;
const PG_NUMERIC = 1700;

// Calendar dates stay 'YYYY-MM-DD' strings: a JS Date would shift them by the server's time zone.
// int8 (count(*)) and numeric become JS numbers: every value we store fits in a double.
pg.types.setTypeParser(PG_DATE, (value: string) => value);
pg.types.setTypeParser(PG_INT8, (value: string) => Number(value));
pg.types.setTypeParser(PG_NUMERIC, (value: string) => Number(value));

/**
 * Opens a real PostgreSQL + PostGIS server.
 * @param poolMax connections per pool. @default 10
 */
export function openPostgres(url: string, poolMax = 10, statementTimeoutMs = 0): Database {
  // A statement past its deadline is cancelled by PostgreSQL (57014): a runaway query frees its connection
  // instead of holding the pool. Migrations and ingests lift it for their own transactions (liftStatementTimeout).
  const connection = statementTimeoutMs > 0 ? { connectionString: url, statement_timeout: statementTimeoutMs } : url;
  const knex = knexFactory({ client: 'pg', connection, pool: { min: 0, max: poolMax } });
  return { knex, engine: 'postgres', close: () => knex.destroy(), url };
}

/**
 * Lifts the statement timeout for the rest of a transaction on PostgreSQL: a migration's index build or an
 * ingest's bulk statement may rightly run longer than any query that serves a request. PGlite has none.
 */
export async function liftStatementTimeout(trx: Knex | Knex.Transaction): Promise<void> {
  if ((trx.client.config as { client?: unknown }).client === 'pg') await trx.raw('set local statement_timeout = 0');
}

/**
 * Opens the embedded PGlite (PostgreSQL compiled to WASM) with PostGIS.
 * `dir` is a folder that persists between starts, or `memory://` for a throw-away database.
 * PGlite has exactly one session, so every subgraph of the process must share this one knex:
 * its single-connection pool is what keeps one subgraph's transaction from interleaving with another's queries.
 */
export async function openEmbedded(dir: string): Promise<Database> {
  if (!dir.startsWith('memory://')) fs.mkdirSync(dir, { recursive: true });
  const pglite = await PGlite.create(dir, {
    extensions: { postgis },
    parsers: {
      [PG_DATE]: (value: string) => value,
      [PG_INT8]: (value: string) => Number(value),
      [PG_NUMERIC]: (value: string) => Number(value),
    },
  });
  const knex = knexFactory({
    client: ClientPgLite as unknown as typeof knexFactory.Client,
    dialect: 'postgres',
    connection: () => ({ pglite }) as object,
  } as Knex.Config);
  return { knex, engine: 'pglite', close: () => knex.destroy(), pglite };
}

/** `DATABASE_URL` set: real PostgreSQL; otherwise the embedded database in `embeddedDir`. */
export async function openDatabase(databaseUrl: string | undefined, embeddedDir: string): Promise<Database> {
  return databaseUrl ? openPostgres(databaseUrl) : openEmbedded(embeddedDir);
}

/**
 * A view of `db` for one subgraph: same connections, its own query events.
 * Tests count one subgraph's SQL statements through it.
 */
export function scopedTo(db: Database, subgraph: string): Database {
  return { ...db, knex: db.knex.withUserParams({ subgraph }), close: async () => {} };
}

/** Counts the SQL statements a knex instance sends until `stop()` is called. */
export function countStatements(knex: Knex): { readonly count: number; readonly sql: string[]; stop(): void } {
  const sql: string[] = [];
  const listener = (query: { sql: string }) => sql.push(query.sql);
  knex.on('query', listener);
  return {
    get count() {
      return sql.length;
    },
    sql,
    stop: () => void knex.off('query', listener),
  };
}
