import type { Knex } from 'knex';

export const name = '001_init';

// Enumerations are check constraints (not PostgreSQL enums) so that a later migration can add a value
// inside a transaction.
const STATUS = `check (status in ('PENDING', 'VALIDATED', 'REJECTED'))`;
const PRODUCER = `producer_kind text not null check (producer_kind in ('CITIZEN', 'PARTNER', 'COLLECTIVITY')),
      producer_name text not null,
      licence text not null check (licence in ('ODBL', 'LICENCE_OUVERTE_2', 'CC_BY_4'))`;

// One statement per call: PGlite runs every query as a prepared statement, which holds one command.
async function run(knex: Knex, script: string): Promise<void> {
  for (const statement of script.split(/;\s*\n/).map((s) => s.trim()).filter(Boolean)) await knex.raw(statement);
}

export async function up(knex: Knex): Promise<void> {
  await run(knex, `
    create table community.contributor (
      id integer primary key,
      pseudonym text not null unique,
      contact_email text not null,
      source text not null,
      synthetic boolean not null
    );

    create table community.sensor (
      id text primary key check (id ~ '^sc-[0-9]+$'),
      sensor_type text not null,
      paired_sensor_type text,
      measures text[] not null,
      geom geometry(Point, 4326) not null,
      contributor_id integer references community.contributor (id),
      status text not null default 'PENDING' ${STATUS},
      ${PRODUCER},
      source text not null,
      synthetic boolean not null,
      registered_at timestamptz not null default now()
    );
    create index sensor_geom on community.sensor using gist (geom);
    create index sensor_geog on community.sensor using gist ((geom::geography));
    create index sensor_status_id on community.sensor (status, id);
    create index sensor_contributor on community.sensor (contributor_id);

    -- The moderation workflow (PENDING -> VALIDATED | REJECTED) appends here; sensor.status is the latest row.
    create table community.status_history (
      id bigint generated always as identity primary key,
      sensor_id text not null references community.sensor (id) on delete cascade,
      status text not null ${STATUS},
      changed_at timestamptz not null,
      changed_by text not null,
      reason text
    );
    create index status_history_sensor on community.status_history (sensor_id, changed_at);

    -- Hourly means as received. The basic checks are the SDS011/DHT22 physical ranges: 999.9 is the
    -- SDS011 saturation/fault value. Stuck values and the humidity artefact pass them on purpose: they
    -- are for the quality-control step, which needs the raw rows.
    create table community.reading (
      sensor_id text not null references community.sensor (id) on delete cascade,
      measured_at timestamptz not null,
      pm10 double precision,
      pm25 double precision,
      temperature double precision,
      humidity double precision,
      passes_basic_checks boolean generated always as (
        coalesce(pm10 >= 0 and pm10 < 999, true)
        and coalesce(pm25 >= 0 and pm25 < 999, true)
        and coalesce(temperature between -40 and 80, true)
        and coalesce(humidity between 0 and 100, true)
      ) stored,
      source text not null,
      synthetic boolean not null,
      primary key (sensor_id, measured_at)
    );

    create table community.dataset (
      id text primary key,
      title text not null,
      description text not null,
      theme text not null,
      ${PRODUCER},
      updated_on date not null,
      landing_page text,
      format text not null,
      status text not null default 'PENDING' ${STATUS},
      source text not null,
      synthetic boolean not null
    );
    create index dataset_status_id on community.dataset (status, id);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await run(knex, `
    drop table community.dataset;
    drop table community.reading;
    drop table community.status_history;
    drop table community.sensor;
    drop table community.contributor;
  `);
}
