import type { Knex } from 'knex';
import type { Migration } from './migrate.ts';
import * as accessLog from './audit-migrations/001_access_log.ts';
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

/** The audit schema's history; every database that serves a restricted field holds it. */
export const AUDIT_MIGRATIONS: Migration[] = [accessLog];

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
