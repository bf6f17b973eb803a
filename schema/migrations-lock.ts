import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../lib/config.ts';
import { AUDIT_MIGRATIONS } from '../lib/audit.ts';
import { INGEST_MIGRATIONS } from '../lib/ingest/history.ts';
import type { Migration } from '../lib/migrate.ts';
import { PRODUCERS } from '../subgraphs/registry.ts';

/**
 * Released migrations never change: a database migrated by an earlier version only runs what is new.
 * `schema/migrations.lock.json` holds the SHA-256 of every released migration file, by schema; the suite
 * fails when one is edited, renamed or removed, or when a new one is not locked yet
 * (`npm run migrations:lock` adds new ones and never rewrites an existing entry).
 */
export const LOCK_PATH = path.join(PROJECT_ROOT, 'schema', 'migrations.lock.json');

export type MigrationLock = Record<string, Record<string, string>>;

/** Every schema's migrations in order, with the file each one lives in. */
export function migrationFiles(): { schema: string; name: string; file: string }[] {
  const sources: { schema: string; folder: string; migrations: Migration[] }[] = [
    { schema: 'audit', folder: path.join(PROJECT_ROOT, 'lib', 'audit-migrations'), migrations: AUDIT_MIGRATIONS },
    { schema: 'ingest', folder: path.join(PROJECT_ROOT, 'lib', 'ingest', 'migrations'), migrations: INGEST_MIGRATIONS },
    ...PRODUCERS.map((p) => ({ schema: p.name, folder: path.join(PROJECT_ROOT, 'subgraphs', p.name, 'migrations'), migrations: p.migrations })),
  ];
  return sources.flatMap(({ schema, folder, migrations }) => migrations.map((m) => ({ schema, name: m.name, file: path.join(folder, `${m.name}.ts`) })));
}

export const sha256 = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

export function readLock(): MigrationLock {
  return fs.existsSync(LOCK_PATH) ? (JSON.parse(fs.readFileSync(LOCK_PATH, 'utf8')) as MigrationLock) : {};
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.join(PROJECT_ROOT, 'schema', 'migrations-lock.ts')) {
  const lock = readLock();
  const added: string[] = [];
  for (const { schema, name, file } of migrationFiles()) {
    const hash = sha256(file);
    const locked = lock[schema]?.[name];
    if (locked && locked !== hash) {
      console.error(`${schema}/${name} was released and has changed: write a new migration instead (the lock is not rewritten)`);
      process.exit(1);
    }
    if (!locked) {
      (lock[schema] ??= {})[name] = hash;
      added.push(`${schema}/${name}`);
    }
  }
  fs.writeFileSync(LOCK_PATH, `${JSON.stringify(lock, null, 2)}\n`);
  console.log(added.length ? `locked ${added.join(', ')}` : 'nothing new to lock');
}
