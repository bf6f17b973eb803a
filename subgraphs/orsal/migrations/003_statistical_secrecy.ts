import type { Knex } from 'knex';
import { runStatements } from '../../../lib/migrate.ts';

export const name = '003_statistical_secrecy';

/**
 * The open status of each value is decided by subgraphs/orsal/secrecy.ts and stored, so that the API and
 * every export apply one decision. `parent_code` is the unit a value is summed into (a commune's EPCI), the
 * hierarchy ORS aggregates along and secondary suppression checks. Until decided, a value is PENDING: withheld.
 */
export async function up(knex: Knex): Promise<void> {
  await runStatements(
    knex,
    `
    alter table orsal.indicator_value add column parent_code text;
    alter table orsal.indicator_value add column open_status text not null default 'PENDING'
      check (open_status in ('DISCLOSED', 'PRIMARY', 'SECONDARY', 'PENDING'));
    create index indicator_value_group on orsal.indicator_value (indicator, period, parent_code);
    create table orsal.secrecy_run (
      id boolean primary key default true check (id),
      threshold integer not null check (threshold >= 1),
      computed_at timestamptz not null default now()
    );
    insert into orsal.secrecy_run (threshold) values (11);
  `,
  );
}

export async function down(knex: Knex): Promise<void> {
  await runStatements(
    knex,
    `
    drop table orsal.secrecy_run;
    drop index orsal.indicator_value_group;
    alter table orsal.indicator_value drop column open_status;
    alter table orsal.indicator_value drop column parent_code;
  `,
  );
}
