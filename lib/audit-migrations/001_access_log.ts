import type { Knex } from 'knex';
import { runStatements } from '../migrate.ts';

export const name = '001_access_log';

/**
 * The audit log is append-only for everyone, the application included: a trigger refuses UPDATE,
 * DELETE and TRUNCATE (it holds even for a superuser, which PGlite's only user is), and on PostgreSQL
 * those privileges are also revoked from PUBLIC.
 */
export async function up(knex: Knex): Promise<void> {
  await runStatements(
    knex,
    `
      create table audit.access_log (
        id bigint generated always as identity primary key,
        at timestamptz not null default now(),
        route text not null,
        subject text,
        client text,
        scopes text[] not null,
        operation_name text,
        operation_hash text not null,
        fields jsonb not null
      );
      create index access_log_subject_at on audit.access_log (subject, at);
      create function audit.refuse_change() returns trigger language plpgsql as $$ begin raise exception 'audit.access_log is append-only'; end $$;
      create trigger access_log_no_update before update or delete on audit.access_log for each row execute function audit.refuse_change();
      create trigger access_log_no_truncate before truncate on audit.access_log for each statement execute function audit.refuse_change();
      revoke update, delete, truncate on audit.access_log from public;
    `,
  );
}

export async function down(knex: Knex): Promise<void> {
  await runStatements(knex, 'drop table audit.access_log;\ndrop function audit.refuse_change();');
}
