import type { Knex } from 'knex';

/**
 * The channel on which every write to a producer's tables is announced, by the writing transaction itself:
 * a statement-level trigger calls `pg_notify`, which PostgreSQL (and PGlite) delivers to every listener when,
 * and only if, the transaction commits. Whoever writes — the hub, the CLI, `npm run qc`, another replica, psql —
 * is announced, with no code of its own to forget.
 */
export const CHANGES_CHANNEL = 'tiga_changes';

/** One announced change: a statement changed rows of `schema.table` (a producer's schema is its name). */
export interface ChangeNotice {
  schema: string;
  table: string;
}

/** A notification's payload (`schema.table`) as a notice; undefined for anything else on the channel. */
export function parseChangeNotice(payload: string | undefined): ChangeNotice | undefined {
  const match = /^([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_]*)$/.exec(payload ?? '');
  return match ? { schema: match[1]!, table: match[2]! } : undefined;
}

/**
 * Installs the announcing trigger on every table of `schema` (and the function it calls). Idempotent: run again
 * by a later migration, it adds the trigger to tables created since. The suite checks that every table of every
 * producer has it (test/cache/change-notices.test.ts), so a table added without it fails.
 */
export async function installChangeNotices(knex: Knex | Knex.Transaction, schema: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`not a schema name: ${schema}`);
  await knex.raw(`create or replace function ${schema}.notify_change() returns trigger language plpgsql as $body$
begin
  -- One notice per statement and table; PostgreSQL folds identical notices of a transaction into one.
  perform pg_notify('${CHANGES_CHANNEL}', tg_table_schema || '.' || tg_table_name);
  return null;
end
$body$`);
  await knex.raw(`do $body$
declare t record;
begin
  for t in select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
           where n.nspname = '${schema}' and c.relkind in ('r', 'p')
             and c.relname not like 'knex\_%'
             and not exists (select 1 from pg_trigger g where g.tgrelid = c.oid and g.tgname = 'notify_change')
  loop
    execute format('create trigger notify_change after insert or update or delete or truncate on ${schema}.%I for each statement execute function ${schema}.notify_change()', t.relname);
  end loop;
end
$body$`);
}

/** Undoes installChangeNotices (a migration's `down`). */
export async function removeChangeNotices(knex: Knex | Knex.Transaction, schema: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`not a schema name: ${schema}`);
  await knex.raw(`drop function if exists ${schema}.notify_change() cascade`);
}
