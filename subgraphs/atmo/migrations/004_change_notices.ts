import type { Knex } from 'knex';
import { installChangeNotices, removeChangeNotices } from '../../../lib/changes/changeNotices.ts';

export const name = '004_change_notices';

/*
 * Every write to atmo's tables announces itself on the `tiga_changes` channel when its transaction commits
 * (lib/changes/changeNotices.ts): the gateway's entity cache drops what atmo served before the write, whoever wrote.
 */
export async function up(knex: Knex): Promise<void> {
  await installChangeNotices(knex, 'atmo');
}

export async function down(knex: Knex): Promise<void> {
  await removeChangeNotices(knex, 'atmo');
}
