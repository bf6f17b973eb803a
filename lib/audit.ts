import type { Knex } from 'knex';
import type { Database } from './db.ts';
import { migrate, runStatements, type Migration } from './migrate.ts';
import type { Principal } from './auth/principal.ts';

/** One restricted read: who, through which route, which operation, which restricted fields and arguments. */
export interface AuditEntry {
  /** `gateway` or `subgraph:<name>` (a direct call). */
  route: string;
  principal: Principal;
  operationName: string | null;
  operationHash: string;
  fields: { coordinate: string; path: string[]; arguments: Record<string, unknown> }[];
}

/**
 * The audit log is append-only for everyone, the application included: a trigger refuses UPDATE,
 * DELETE and TRUNCATE (it holds even for a superuser, which PGlite's only user is), and on PostgreSQL
 * those privileges are also revoked from PUBLIC.
 */
const init: Migration = {
  name: '001_access_log',
  up: (knex) =>
    runStatements(
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
    ),
  down: (knex) => runStatements(knex, 'drop table audit.access_log;\ndrop function audit.refuse_change();'),
};

export async function migrateAudit(db: Database): Promise<void> {
  await migrate(db, 'audit', [init]);
}

export async function recordAccess(knex: Knex, entry: AuditEntry): Promise<void> {
  const { principal } = entry;
  await knex('audit.access_log').insert({
    route: entry.route,
    subject: principal.kind === 'user' ? principal.subject : null,
    client: principal.kind === 'user' ? principal.client : null,
    scopes: principal.kind === 'user' ? [...principal.scopes].sort() : [],
    operation_name: entry.operationName,
    operation_hash: entry.operationHash,
    fields: JSON.stringify(entry.fields),
  });
}

export interface AuditRow {
  id: number;
  at: Date;
  route: string;
  subject: string | null;
  client: string | null;
  scopes: string[];
  operation_name: string | null;
  operation_hash: string;
  fields: { coordinate: string; path: string[]; arguments: Record<string, unknown> }[];
}

export async function readAccessLog(knex: Knex, filter: { subject?: string | null; limit: number; beforeId?: number | null }): Promise<AuditRow[]> {
  const query = knex('audit.access_log').orderBy('id', 'desc').limit(filter.limit);
  if (filter.subject) query.where('subject', filter.subject);
  if (filter.beforeId) query.where('id', '<', filter.beforeId);
  return query;
}
