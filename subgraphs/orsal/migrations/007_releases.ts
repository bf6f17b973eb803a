import type { Knex } from 'knex';
import { runStatements } from '../../../lib/migrate.ts';

export const name = '007_releases';

/*
 * Every open value the hub has released, with the count and inputs it was computed for and the counts an
 * attacker finds behind it. Someone who saved an earlier release can intersect it with today's: a revised
 * population, or a changed protection setting, would otherwise pin a count that neither release pins alone.
 * The decision (subgraphs/orsal/secrecy.ts) publishes only within what earlier releases of the same count
 * said, and repeats a release as it was when its inputs come back. Restricted: it holds counts.
 */
export async function up(knex: Knex): Promise<void> {
  await runStatements(
    knex,
    `
    create table orsal.release (
      territory_code text not null,
      indicator text not null,
      period text not null,
      cases integer not null,
      inputs text not null,
      value double precision not null,
      ci_low double precision not null,
      ci_high double precision not null,
      step double precision not null,
      counts_low integer not null,
      counts_high integer not null check (counts_high >= counts_low),
      released_at timestamptz not null default now(),
      primary key (territory_code, indicator, period, cases, inputs)
    );
  `,
  );
}

export async function down(knex: Knex): Promise<void> {
  await runStatements(knex, 'drop table orsal.release;');
}
