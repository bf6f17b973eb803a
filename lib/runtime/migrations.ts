import { AUDIT_MIGRATIONS } from '../audit.ts';
import { INGEST_MIGRATIONS } from '../ingest/history.ts';
import { ensurePostgis, migrate, underMigrationLock, type Migration } from '../migrate.ts';
import type { Databases } from './databases.ts';

/**
 * The one migration step of every entry point: for each distinct database, under the hub's migration
 * lock, PostGIS, the shared audit log and ingest history, then each service's own schema. Safe when every service of a
 * deployment starts at once on an empty database. Returns the migrations applied, by schema.
 */
export async function migrateServices(dbs: Databases, services: readonly { name: string; migrations: Migration[] }[]): Promise<Record<string, string[]>> {
  const applied: Record<string, string[]> = {};
  for (const { db, names } of dbs.groups()) {
    await underMigrationLock(db, async () => {
      await ensurePostgis(db.knex);
      for (const [schema, migrations] of [['audit', AUDIT_MIGRATIONS], ['ingest', INGEST_MIGRATIONS]] as const) {
        const done = await migrate(db, schema, migrations);
        if (done.length) applied[schema] = [...(applied[schema] ?? []), ...done];
      }
      for (const service of services.filter((s) => names.includes(s.name))) {
        applied[service.name] = await migrate(db, service.name, service.migrations);
      }
    });
  }
  return applied;
}
