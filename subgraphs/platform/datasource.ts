import type { Knex } from 'knex';
import { readAccessLog, type AuditRow } from '../../lib/audit.ts';

export type { AuditRow };

/** One page of the audit log (newest first), `limit + 1` rows so the caller knows whether more follow. */
export function accessLogPage(knex: Knex, filter: { subject: string | null; limit: number; beforeId: number | null }): Promise<AuditRow[]> {
  return readAccessLog(knex, { subject: filter.subject, limit: filter.limit + 1, beforeId: filter.beforeId });
}

export { runsOf, type RunRow } from '../../lib/ingest/history.ts';
