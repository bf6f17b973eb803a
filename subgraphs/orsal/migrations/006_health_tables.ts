import type { Knex } from 'knex';
import { runStatements } from '../../../lib/migrate.ts';

export const name = '006_health_tables';

/*
 * French health tables as producers publish them (subgraphs/orsal/ingest.ts):
 * - `cases_derived`: the producer sent a crude rate and its population without the count; the count stored
 *   is round(rate × population / per_unit), so that statistical secrecy can be decided on it. Researchers
 *   are told it is derived.
 * - `treated_at_source`: the value comes from a table its producer declared already secrecy-treated (the
 *   producer published it openly). Such a table may hold age-standardised rates without counts: their
 *   count cannot be derived, so `cases` stays null and the secrecy decision withholds them from open data
 *   (a value without a count cannot be rounded safely), while researchers read the producer's rate.
 */
export async function up(knex: Knex): Promise<void> {
  await runStatements(
    knex,
    `
    alter table orsal.indicator_value add column cases_derived boolean not null default false;
    alter table orsal.indicator_value add column treated_at_source boolean not null default false;
    alter table orsal.indicator_value drop constraint indicator_value_cases_known;
    alter table orsal.indicator_value add constraint indicator_value_cases_known check (cases is not null or withheld_at_source or treated_at_source);
    alter table orsal.indicator_value add constraint indicator_value_derived_has_cases check (not cases_derived or cases is not null);
  `,
  );
}

/** Values without a count cannot go back under the old constraint: they are removed (ingest their table again after upgrading). */
export async function down(knex: Knex): Promise<void> {
  await runStatements(
    knex,
    `
    alter table orsal.indicator_value drop constraint indicator_value_derived_has_cases;
    alter table orsal.indicator_value drop constraint indicator_value_cases_known;
    delete from orsal.indicator_value where cases is null and not withheld_at_source;
    alter table orsal.indicator_value add constraint indicator_value_cases_known check (cases is not null or withheld_at_source);
    alter table orsal.indicator_value drop column treated_at_source;
    alter table orsal.indicator_value drop column cases_derived;
  `,
  );
}
