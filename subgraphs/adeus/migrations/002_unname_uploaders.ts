import type { Knex } from 'knex';
import { runStatements } from '../../../lib/migrate.ts';

export const name = '002_unname_uploaders';

/**
 * Rows ingested through the API had the uploading token's subject in their open `source` ("API upload by
 * <subject>"); they now name the channel, as new uploads do (lib/ingest/mutation.ts).
 */
export async function up(knex: Knex): Promise<void> {
  await runStatements(
    knex,
    `
    update adeus.territory set source = 'upload through the TIGA API' where source like 'API upload by %';
    update adeus.urban_indicator set source = 'upload through the TIGA API' where source like 'API upload by %';
  `,
  );
}

export async function down(): Promise<void> {
  // The subjects are not kept: there is nothing to restore.
}
