import type { Knex } from 'knex';
import { runStatements } from '../../../lib/migrate.ts';

export const name = '001_init';

/*
 * indicator_value keeps the shape of an ORS indicator table (one row per territory × indicator × period,
 * with numerator, denominator, rate and 95 % CI), so an ingestion maps 1:1 and upserts on the natural key.
 * Rows are stored unsuppressed: statistical secrecy is applied when reading the open values
 * (datasource.ts), so the threshold can change without rewriting data.
 * The natural key's unique index (territory_code, indicator, period) also serves every per-territory read.
 * The patterns avoid the regex "?" quantifier: knex.raw would read it as a binding placeholder.
 */
export async function up(knex: Knex): Promise<void> {
  await runStatements(
    knex,
    `
    create table orsal.indicator (
      code text primary key check (code ~ '^[A-Z][A-Z0-9_]*$'),
      label text not null,
      description text not null,
      unit text not null,
      periodicity text not null,
      source text not null,
      synthetic boolean not null
    );

    create table orsal.indicator_value (
      territory_code text not null check (territory_code ~ '^([0-9][0-9AB][0-9]{3}|[0-9][0-9AB][0-9]{7}|[0-9]{9})$'),
      territory_level text not null check (territory_level in ('COMMUNE', 'IRIS', 'EPCI')),
      indicator text not null references orsal.indicator (code),
      period text not null check (period ~ '^[0-9]{4}(-[0-9]{4}){0,1}$'),
      cases integer not null check (cases >= 0),
      population integer not null check (population > 0),
      rate double precision check (rate >= 0),
      ci_low double precision,
      ci_high double precision,
      source text not null,
      synthetic boolean not null,
      constraint indicator_value_natural_key unique (territory_code, indicator, period),
      constraint indicator_value_ci_ordered check (ci_low <= rate and rate <= ci_high)
    );
  `,
  );
}

export async function down(knex: Knex): Promise<void> {
  await runStatements(knex, 'drop table orsal.indicator_value;\ndrop table orsal.indicator;');
}
