import path from 'node:path';
import { openEmbedded, openPostgres, scopedTo, type Database } from '../db.ts';
import type { Config } from '../config.ts';
import { acquireDataLock, type DataLock } from './dataLock.ts';
import type { Lifecycle } from './lifecycle.ts';
import { observeDatabase } from '../observability/metrics.ts';

/** The databases of the services one process runs: by service name, each a scoped view of a shared pool. */
export interface Databases {
  of(name: string): Database;
  /** Each distinct database once (one per PostgreSQL URL, or the embedded one) with the services it holds. */
  groups(): { db: Database; names: string[] }[];
  /** The embedded folder's lock, when this process opened the embedded database. */
  lock: DataLock | undefined;
}

/** Which database each service uses: its `<NAME>_DATABASE_URL` / `DATABASE_URL`, or the embedded one (undefined). */
export type DatabasePlan = Map<string, string | undefined>;

export const embeddedFolder = (config: Config) => path.join(config.dataDir, 'pglite');

export function needsEmbedded(plan: DatabasePlan): boolean {
  return [...plan.values()].some((url) => url === undefined);
}

/**
 * Takes the embedded folder's lock when the plan needs the embedded database: before ports are claimed
 * and long before PGlite opens the folder, so a second opener is refused before it touches anything.
 */
export function lockIfEmbedded(config: Config, plan: DatabasePlan, role: string, lifecycle: Lifecycle, log: (line: string) => void): DataLock | undefined {
  if (!needsEmbedded(plan)) return undefined;
  const lock = acquireDataLock(config.dataDir, role, log);
  lifecycle.onStop('data folder lock', () => lock.release());
  return lock;
}

/**
 * The one database opener of every entry point. Services with the same PostgreSQL URL share one pool;
 * services without a URL share the single embedded PGlite session (PGlite has one session: its
 * single-connection pool is what keeps one service's transaction from interleaving with another's
 * queries). Each service gets a scoped view with its own query events. `shared` (tests) replaces both.
 */
export async function openDatabases(
  config: Config,
  plan: DatabasePlan,
  lifecycle: Lifecycle,
  options: { lock?: DataLock; shared?: Database } = {},
): Promise<Databases> {
  const pools = new Map<string, Database>();
  let embedded: Database | undefined = options.shared;
  if (!embedded && needsEmbedded(plan)) {
    if (!options.lock) throw new Error('the embedded database is opened only under its folder lock');
    embedded = await openEmbedded(embeddedFolder(config));
    const opened = embedded;
    lifecycle.onStop('embedded database', () => opened.close());
  }
  if (embedded) lifecycle.onStop('database metrics', observeDatabase(options.shared ? 'shared' : 'pglite', embedded));
  const views = new Map<string, Database>();
  const groups = new Map<Database, string[]>();
  for (const [name, url] of plan) {
    let base = embedded;
    if (url !== undefined && !options.shared) {
      base = pools.get(url);
      if (!base) {
        const pool = openPostgres(url, config.poolMax, config.statementTimeoutMs);
        pools.set(url, pool);
        lifecycle.onStop(`database pool ${new URL(url).pathname}`, () => pool.close());
        // Named by its database, never by its URL (credentials).
        lifecycle.onStop('database metrics', observeDatabase(new URL(url).pathname.slice(1) || 'postgres', pool));
        base = pool;
      }
    }
    views.set(name, scopedTo(base!, name));
    groups.set(base!, [...(groups.get(base!) ?? []), name]);
  }
  return {
    of(name) {
      const db = views.get(name);
      if (!db) throw new Error(`no database was opened for "${name}"`);
      return db;
    },
    groups: () => [...groups].map(([db, names]) => ({ db, names })),
    lock: options.lock,
  };
}
