import type { Knex } from 'knex';
import { runStatements } from '../../../lib/migrate.ts';

export const name = '002_contributions';

const STATUS = `check (status in ('PENDING', 'VALIDATED', 'REJECTED'))`;

export async function up(knex: Knex): Promise<void> {
  await runStatements(knex, `
    create table community.contribution (
      id bigint generated always as identity primary key,
      title text not null,
      description text not null,
      licence text not null check (licence in ('ODBL', 'LICENCE_OUVERTE_2', 'CC_BY_4')),
      producer_kind text not null check (producer_kind in ('CITIZEN', 'PARTNER', 'COLLECTIVITY')),
      contact text not null,
      contributor text not null,
      status text not null default 'PENDING' ${STATUS},
      submitted_at timestamptz not null,
      source text not null,
      synthetic boolean not null
    );
    create index contribution_status_id on community.contribution (status, id);
    create index contribution_contributor_id on community.contribution (contributor, id);

    -- Append-only: every transition of a contribution, the first one (null -> PENDING) included.
    create table community.contribution_history (
      id bigint generated always as identity primary key,
      contribution_id bigint not null references community.contribution (id) on delete cascade,
      from_status text,
      to_status text not null,
      changed_at timestamptz not null,
      changed_by text not null,
      reason text
    );
    create index contribution_history_contribution on community.contribution_history (contribution_id, changed_at);

    create table community.contribution_feature (
      contribution_id bigint not null references community.contribution (id) on delete cascade,
      feature_no integer not null,
      geom geometry(Geometry, 4326) not null,
      properties jsonb not null,
      primary key (contribution_id, feature_no)
    );
    create index contribution_feature_geom on community.contribution_feature using gist (geom);

    -- Written by the quality-control job (scripts/qc.ts); one row per sensor, replaced at each run.
    create table community.sensor_quality (
      sensor_id text primary key references community.sensor (id) on delete cascade,
      score double precision not null check (score between 0 and 1),
      flags jsonb not null,
      method text not null,
      reference_station text,
      bias double precision,
      correlation double precision,
      compared_hours integer not null,
      computed_at timestamptz not null
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await runStatements(knex, `
    drop table community.sensor_quality;
    drop table community.contribution_feature;
    drop table community.contribution_history;
    drop table community.contribution;
  `);
}
