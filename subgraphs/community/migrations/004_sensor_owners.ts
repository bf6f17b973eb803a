import type { Knex } from 'knex';
import { runStatements } from '../../../lib/migrate.ts';

export const name = '004_sensor_owners';

export async function up(knex: Knex): Promise<void> {
  await runStatements(knex, `
    -- Who sends a sensor's readings: the contributor (token subject) who registered it through the API; null
    -- for a sensor of an external network (Sensor.Community dumps, scheduled pulls), which producer:community
    -- feeds. Sensors registered before this release are the network's. Restricted: never served.
    alter table community.sensor add column owner_subject text;
    create index sensor_owner on community.sensor (owner_subject) where owner_subject is not null;

    -- Append-only: the values a reading held before an ingestion replaced them, who replaced them and when.
    create table community.reading_history (
      id bigint generated always as identity primary key,
      sensor_id text not null references community.sensor (id) on delete cascade,
      measured_at timestamptz not null,
      pm10 double precision,
      pm25 double precision,
      temperature double precision,
      humidity double precision,
      source text not null,
      synthetic boolean not null,
      replaced_at timestamptz not null,
      replaced_by text not null
    );
    create index reading_history_reading on community.reading_history (sensor_id, measured_at, replaced_at);
  `);
  await unnameUploaders(knex);
}

/**
 * Generated titles and sources named the uploading token's subject ("API upload by <subject>") in open
 * fields; they now name the channel. The subject stays where it is restricted (contribution.contributor,
 * status_history.changed_by). Reading sources are never served and are left as they are.
 */
export async function unnameUploaders(knex: Knex): Promise<void> {
  await runStatements(knex, `
    update community.contribution set title = 'Citizen dataset: upload through the TIGA API' where title like 'Citizen dataset: API upload by %';
    update community.contribution set source = 'upload through the TIGA API' where source like 'API upload by %';
    update community.sensor set source = 'upload through the TIGA API' where source like 'API upload by %';
  `);
}

export async function down(knex: Knex): Promise<void> {
  await runStatements(knex, `
    drop table community.reading_history;
    drop index community.sensor_owner;
    alter table community.sensor drop column owner_subject;
  `);
}
