import type { Knex } from 'knex';
import { runStatements } from '../../../lib/migrate.ts';

export const name = '001_init';

/*
 * The national indice ATMO (arrêté du 10 juillet 2020, in force 2021-01-01) is part of the schema:
 * its classes and sub-index bands are inserted here, and daily rows reference them. Daily rows keep the
 * column names of the national open-data format (Atmo Data: date_ech, code_zone, code_qual, code_no2…)
 * so a CSV/GeoJSON ingestion maps 1:1; lib_qual and coul_qual are read from atmo.index_class.
 */
export async function up(knex: Knex): Promise<void> {
  await runStatements(
    knex,
    `
    create table atmo.index_class (
      code smallint primary key check (code between 0 and 7),
      label text not null,
      color text not null check (color ~ '^#[0-9A-F]{6}$'),
      note text
    );

    insert into atmo.index_class (code, label, color, note) values
      (0, 'Absent', '#DDDDDD', 'indice non disponible'),
      (1, 'Bon', '#50F0E6', null),
      (2, 'Moyen', '#50CCAA', null),
      (3, 'Dégradé', '#F0E641', null),
      (4, 'Mauvais', '#FF5050', null),
      (5, 'Très mauvais', '#960032', null),
      (6, 'Extrêmement mauvais', '#872181', null),
      (7, 'Événement', '#888888', 'incident/accident industriel');

    -- Upper bound (inclusive, on the concentration rounded to the integer µg/m³) of sub-index classes 1..5:
    -- above the class-5 bound a sub-index is 6.
    create table atmo.sub_index_band (
      pollutant text not null check (pollutant in ('NO2', 'SO2', 'O3', 'PM10', 'PM25')),
      code smallint not null references atmo.index_class (code) check (code between 1 and 5),
      max_ugm3 double precision not null,
      metric text not null,
      primary key (pollutant, code)
    );

    insert into atmo.sub_index_band (pollutant, code, max_ugm3, metric)
    select p.pollutant, b.code, b.max_ugm3, p.metric
    from (values
      ('PM25', 'moyenne journalière', array[10, 20, 25, 50, 75]),
      ('PM10', 'moyenne journalière', array[20, 40, 50, 100, 150]),
      ('NO2', 'maximum horaire journalier', array[40, 90, 120, 230, 340]),
      ('O3', 'maximum horaire journalier', array[50, 100, 130, 240, 380]),
      ('SO2', 'maximum horaire journalier', array[100, 200, 350, 500, 750])
    ) as p (pollutant, metric, bounds)
    cross join lateral unnest(p.bounds) with ordinality as b (max_ugm3, code);

    create table atmo.station (
      code text primary key check (code ~ '^FR[0-9]{5}$'),
      name text not null,
      commune_code text not null check (commune_code ~ '^[0-9][0-9AB][0-9]{3}$'),
      epci_code text check (epci_code ~ '^[0-9]{9}$'),
      typology text,
      geom geometry(Point, 4326) not null,
      source text not null,
      synthetic boolean not null
    );

    create index station_commune on atmo.station (commune_code);

    create index station_epci on atmo.station (epci_code);

    create index station_geom on atmo.station using gist (geom);

    create index station_geog on atmo.station using gist ((geom::geography));

    create table atmo.daily_index (
      date_ech date not null,
      code_zone text not null,
      lib_zone text not null,
      type_zone text not null check (type_zone in ('COMMUNE', 'EPCI')),
      code_qual smallint not null references atmo.index_class (code) check (code_qual between 1 and 6),
      code_no2 smallint not null check (code_no2 between 1 and 6),
      code_so2 smallint not null check (code_so2 between 1 and 6),
      code_o3 smallint not null check (code_o3 between 1 and 6),
      code_pm10 smallint not null check (code_pm10 between 1 and 6),
      code_pm25 smallint not null check (code_pm25 between 1 and 6),
      source text not null,
      synthetic boolean not null,
      primary key (code_zone, date_ech),
      constraint daily_index_code_qual_is_max check (code_qual = greatest(code_no2, code_so2, code_o3, code_pm10, code_pm25))
    );

    create table atmo.measurement (
      station_code text not null references atmo.station (code),
      pollutant text not null check (pollutant in ('NO2', 'SO2', 'O3', 'PM10', 'PM25')),
      measured_at timestamptz not null,
      value double precision not null,
      unit text not null default 'µg/m³',
      validated boolean not null,
      source text not null,
      synthetic boolean not null,
      primary key (station_code, pollutant, measured_at)
    );

    -- All pollutants of a station in time order (measurements without a pollutant filter).
    create index measurement_station_time on atmo.measurement (station_code, measured_at, pollutant);
  `,
  );
}

export async function down(knex: Knex): Promise<void> {
  await runStatements(
    knex,
    `
    drop table atmo.measurement;
    drop table atmo.daily_index;
    drop table atmo.station;
    drop table atmo.sub_index_band;
    drop table atmo.index_class;
  `,
  );
}
