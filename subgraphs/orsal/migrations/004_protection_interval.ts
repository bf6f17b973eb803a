import type { Knex } from 'knex';
import { runStatements } from '../../../lib/migrate.ts';

export const name = '004_protection_interval';

/*
 * Statistical secrecy decided as one problem with a protection interval (subgraphs/orsal/secrecy.ts):
 * - each indicator says how its rate relates to its count (`per_unit`, `standardised`), so the hub can
 *   compute and round what it publishes;
 * - a value the producer withheld at source has no count (`withheld_at_source`, `cases` null);
 * - what is published is stored with the decision (`open_*`), so every route serves the same numbers;
 * - ORSAL owns the commune → EPCI hierarchy it checks totals along (`territory_membership`), from the
 *   official geography, instead of a column producers' files do not carry;
 * - a run remembers what it decided on (`fingerprint`) and a secret key that orders secondary candidates
 *   (`cost_key`): the decision is stable from one start to the next and not predictable from the code.
 */
export async function up(knex: Knex): Promise<void> {
  await runStatements(
    knex,
    `
    alter table orsal.indicator add column per_unit double precision check (per_unit > 0);
    update orsal.indicator set per_unit = case
      when unit like '%\\%%' then 100
      when unit like '%100,000%' or unit like '%100 000%' then 100000
      when unit like '%10,000%' or unit like '%10 000%' then 10000
      when unit like '%1,000%' or unit like '%1 000%' then 1000
    end;
    alter table orsal.indicator add column standardised boolean not null default false;
    update orsal.indicator set standardised = unit like '%standardised%';

    alter table orsal.indicator_value alter column cases drop not null;
    alter table orsal.indicator_value add column withheld_at_source boolean not null default false;
    alter table orsal.indicator_value add constraint indicator_value_cases_known check (cases is not null or withheld_at_source);
    alter table orsal.indicator_value add column open_rate double precision;
    alter table orsal.indicator_value add column open_ci_low double precision;
    alter table orsal.indicator_value add column open_ci_high double precision;
    alter table orsal.indicator_value add column open_step double precision;

    create table orsal.territory_membership (
      commune_code text primary key check (commune_code ~ '^[0-9][0-9AB][0-9]{3}$'),
      epci_code text not null check (epci_code ~ '^[0-9]{9}$')
    );
    create index territory_membership_epci on orsal.territory_membership (epci_code);

    alter table orsal.secrecy_run add column fingerprint text;
    alter table orsal.secrecy_run add column cost_key text;
    alter table orsal.secrecy_run add column geography text;
    alter table orsal.secrecy_run add column protection_cases integer not null default 5 check (protection_cases >= 0);
    alter table orsal.secrecy_run add column protection_percent double precision not null default 1 check (protection_percent >= 0);
  `,
  );
}

export async function down(knex: Knex): Promise<void> {
  await runStatements(
    knex,
    `
    alter table orsal.secrecy_run drop column protection_percent;
    alter table orsal.secrecy_run drop column protection_cases;
    alter table orsal.secrecy_run drop column geography;
    alter table orsal.secrecy_run drop column cost_key;
    alter table orsal.secrecy_run drop column fingerprint;
    drop table orsal.territory_membership;
    alter table orsal.indicator_value drop column open_step;
    alter table orsal.indicator_value drop column open_ci_high;
    alter table orsal.indicator_value drop column open_ci_low;
    alter table orsal.indicator_value drop column open_rate;
    alter table orsal.indicator_value drop constraint indicator_value_cases_known;
    alter table orsal.indicator_value drop column withheld_at_source;
    alter table orsal.indicator drop column standardised;
    alter table orsal.indicator drop column per_unit;
  `,
  );
}
