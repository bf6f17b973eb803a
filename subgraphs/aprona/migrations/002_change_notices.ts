import type { Knex } from 'knex';
import { installChangeNotices, removeChangeNotices } from '../../../lib/changes/changeNotices.ts';

export const name = '002_change_notices';

/*
 * Every write to aprona's tables announces itself on the `tiga_changes` channel when its transaction commits
 * (lib/changes/changeNotices.ts): the gateway's entity cache drops what aprona served before the write, whoever wrote.
 */
export async function up(knex: Knex): Promise<void> {
  await installChangeNotices(knex, 'aprona');
}

export async function down(knex: Knex): Promise<void> {
  await removeChangeNotices(knex, 'aprona');
}
