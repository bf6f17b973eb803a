import type { Knex } from 'knex';
import { installChangeNotices, removeChangeNotices } from '../../../lib/changes/changeNotices.ts';

export const name = '003_change_notices';

/*
 * Every write to adeus's tables announces itself on the `tiga_changes` channel when its transaction commits
 * (lib/changes/changeNotices.ts): the gateway's entity cache drops what adeus served before the write, whoever wrote.
 */
export async function up(knex: Knex): Promise<void> {
  await installChangeNotices(knex, 'adeus');
}

export async function down(knex: Knex): Promise<void> {
  await removeChangeNotices(knex, 'adeus');
}
