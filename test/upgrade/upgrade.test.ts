import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbedded, openPostgres, type Database } from '../../lib/db.ts';
import { ensurePostgis, migrate } from '../../lib/migrate.ts';
import { AUDIT_MIGRATIONS } from '../../lib/audit.ts';
import { migrateServices } from '../../lib/runtime/migrations.ts';
import { openDatabases } from '../../lib/runtime/databases.ts';
import { Lifecycle } from '../../lib/runtime/lifecycle.ts';
import { loadConfig } from '../../lib/config.ts';
import { PRODUCERS } from '../../subgraphs/registry.ts';
import { LOCK_PATH, migrationFiles, readLock, sha256 } from '../../schema/migrations-lock.ts';

/**
 * A database an earlier release migrated and filled upgrades to this one with no row lost. The fixture
 * holds rows written by `npm run seed` at commit 687390f (see fixtures/README.md); the test replays that
 * release's migrations — unchanged, the lock below guarantees it — loads the rows, then runs today's.
 */
interface Fixture {
  migrations: Record<string, string[]>;
  tables: { table: string; rows: Record<string, unknown>[] }[];
}
const fixture = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, 'fixtures', 'main-687390f.json'), 'utf8')) as Fixture;

describe('released migrations never change', () => {
  it('every migration is locked, and every locked one is still there, byte for byte', () => {
    const lock = readLock();
    const current = migrationFiles();
    for (const { schema, name, file } of current) {
      expect(lock[schema]?.[name], `${schema}/${name} is not in ${path.basename(LOCK_PATH)}: run npm run migrations:lock`).toBeDefined();
      expect(sha256(file), `${schema}/${name} was released and has changed: write a new migration instead`).toBe(lock[schema]![name]);
    }
    for (const [schema, names] of Object.entries(lock)) {
      for (const name of Object.keys(names)) expect(current.some((m) => m.schema === schema && m.name === name), `${schema}/${name} was removed or renamed`).toBe(true);
    }
  });
});

describe('a database of the 687390f release upgrades with every row kept', () => {
  let db: Database;
  let dropDatabase: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    const url = process.env.DATABASE_URL;
    if (url) {
      const name = `tiga_upgrade_${process.pid}`;
      const admin = openPostgres(Object.assign(new URL(url), { pathname: '/postgres' }).toString(), 1);
      await admin.knex.raw('drop database if exists ??', [name]);
      await admin.knex.raw('create database ??', [name]);
      db = openPostgres(Object.assign(new URL(url), { pathname: `/${name}` }).toString(), 2);
      dropDatabase = async () => {
        await db.close();
        await admin.knex.raw('drop database if exists ??', [name]);
        await admin.close();
      };
    } else {
      db = await openEmbedded('memory://');
      dropDatabase = () => db.close();
    }
  });

  afterAll(async () => {
    await dropDatabase?.();
  });

  it('replays the release, loads its rows, migrates to today and finds every row again', async () => {
    // The release's schema: its own migration names, run from today's files (unchanged: see the lock).
    await ensurePostgis(db.knex);
    const all = [{ name: 'audit', migrations: AUDIT_MIGRATIONS }, ...PRODUCERS];
    for (const [schema, names] of Object.entries(fixture.migrations)) {
      const source = all.find((s) => s.name === schema)!;
      await migrate(db, schema, names.map((name) => source.migrations.find((m) => m.name === name)!));
    }
    for (const { table, rows } of fixture.tables) {
      const [schema, name] = table.split(".") as [string, string];
      // Generated columns are computed again from the others; jsonb_populate_recordset turns each value into
      // its column's type (geometry from GeoJSON included).
      const columns = ((await db.knex.raw(`select column_name from information_schema.columns where table_schema = ? and table_name = ? and is_generated = 'NEVER' order by ordinal_position`, [schema, name])).rows as { column_name: string }[])
        .map((c) => `"${c.column_name}"`)
        .join(', ');
      // Rows a migration already wrote (reference data, singletons) take the release's values.
      const key = ((await db.knex.raw(`select a.attname from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey) where i.indrelid = ?::regclass and i.indisprimary`, [table])).rows as { attname: string }[])
        .map((c) => `"${c.attname}"`)
        .join(', ');
      const others = columns.split(', ').filter((c) => !key.split(', ').includes(c));
      const onConflict = !key ? '' : others.length ? `on conflict (${key}) do update set (${others.join(', ')}) = row(${others.map((c) => `excluded.${c}`).join(', ')})` : 'on conflict do nothing';
      await db.knex.raw(`insert into ${table} (${columns}) overriding system value select ${columns} from jsonb_populate_recordset(null::${table}, ?::jsonb) ${onConflict}`, [JSON.stringify(rows)]);
    }

    const dbs = await openDatabases(loadConfig({}), new Map(PRODUCERS.map((p) => [p.name, undefined])), new Lifecycle(), { shared: db });
    await migrateServices(dbs, PRODUCERS);

    const lost: string[] = [];
    for (const { table, rows } of fixture.tables) {
      const stored = ((await db.knex.raw(`select to_jsonb(x) as row from ${table} x`)).rows as { row: Record<string, unknown> }[]).map((r) => r.row);
      const keys = Object.keys(rows[0] ?? {});
      const project = (row: Record<string, unknown>) => JSON.stringify(keys.map((key) => row[key]));
      const present = new Set(stored.map(project));
      for (const row of rows) if (!present.has(project(row))) lost.push(`${table}: ${project(row).slice(0, 160)}`);
    }
    expect(lost).toEqual([]);
    // The fixture is not empty by accident: every table of the release holds rows.
    expect(fixture.tables.filter((t) => t.rows.length === 0).map((t) => t.table)).toEqual([]);
  });
});
