import type { Knex } from 'knex';
import { runStatements } from '../../../lib/migrate.ts';

export const name = '003_transparency';

export async function up(knex: Knex): Promise<void> {
  await runStatements(knex, `
    create table community.transparency_indicator (
      id text primary key,
      name text not null,
      definition text not null,
      method text not null,
      unit text not null,
      periodicity text not null check (periodicity in ('MONTHLY', 'QUARTERLY', 'YEARLY')),
      owner_service text not null,
      source text not null,
      synthetic boolean not null
    );
    create table community.transparency_value (
      indicator_id text not null references community.transparency_indicator (id) on delete cascade,
      period_start date not null,
      value double precision not null,
      primary key (indicator_id, period_start)
    );
    create table community.decision_process (
      id text primary key,
      title text not null,
      summary text not null,
      source text not null,
      synthetic boolean not null
    );
    create table community.decision_step (
      process_id text not null references community.decision_process (id) on delete cascade,
      step_no integer not null,
      title text not null,
      explanation text not null,
      who text not null,
      typical_duration text,
      primary key (process_id, step_no)
    );
    create table community.dataset_request (
      id bigint generated always as identity primary key,
      title text not null,
      description text not null,
      requested_by text not null,
      status text not null default 'RECEIVED' check (status in ('RECEIVED', 'PLANNED', 'PUBLISHED', 'DECLINED')),
      status_reason text,
      created_at timestamptz not null,
      source text not null,
      synthetic boolean not null,
      check (status <> 'DECLINED' or status_reason is not null)
    );
    create table community.dataset_request_vote (
      request_id bigint not null references community.dataset_request (id) on delete cascade,
      voter text not null,
      voted_at timestamptz not null,
      primary key (request_id, voter)
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await runStatements(knex, `
    drop table community.dataset_request_vote;
    drop table community.dataset_request;
    drop table community.decision_step;
    drop table community.decision_process;
    drop table community.transparency_value;
    drop table community.transparency_indicator;
  `);
}
