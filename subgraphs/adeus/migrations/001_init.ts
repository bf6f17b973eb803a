import type { Knex } from 'knex';
import { runStatements } from '../../../lib/migrate.ts';

export const name = '001_init';

export async function up(knex: Knex): Promise<void> {
  await runStatements(
    knex,
    `
    create table adeus.territory (
      code text primary key,
      kind text not null check (kind in ('COMMUNE', 'IRIS', 'EPCI')),
      name text not null,
      population integer check (population >= 0),
      parent_code text references adeus.territory (code),
      geom geometry(MultiPolygon, 4326),
      centre geometry(Point, 4326),
      approximate boolean not null default false,
      source text not null,
      updated_at timestamptz not null default now()
    );
    create index territory_kind_parent on adeus.territory (kind, parent_code, code);
    create index territory_geom on adeus.territory using gist (geom);
    create index territory_geog on adeus.territory using gist ((geom::geography));

    create table adeus.urban_indicator (
      territory_code text not null references adeus.territory (code),
      year integer not null check (year between 1900 and 2100),
      green_space_share double precision check (green_space_share between 0 and 100),
      impervious_share double precision check (impervious_share between 0 and 100),
      population_density double precision check (population_density >= 0),
      cycle_lane_density double precision check (cycle_lane_density >= 0),
      tree_canopy_share double precision check (tree_canopy_share between 0 and 100),
      source text not null,
      synthetic boolean not null,
      primary key (territory_code, year)
    );
  `,
  );
}

export async function down(knex: Knex): Promise<void> {
  await runStatements(knex, 'drop table adeus.urban_indicator;\ndrop table adeus.territory;');
}
