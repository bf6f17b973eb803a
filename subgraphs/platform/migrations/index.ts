import type { Migration } from '../../../lib/migrate.ts';

// The platform's only table, the audit log, is migrated for every service by lib/audit.ts.
export const migrations: Migration[] = [];
