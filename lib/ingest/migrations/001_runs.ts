import type { Knex } from 'knex';
import { runStatements } from '../../migrate.ts';

export const name = '001_runs';

/**
 * Every ingestion a producer ran — by the CLI, a push to `POST /ingest/<producer>`, a mutation or a scheduled
 * pull — with its outcome and counts, so a producer (and an operator) can see what went in and when. A pull
 * also keeps the source's ETag and Last-Modified, for its next conditional request. `actor` (a token
 * subject) is kept for operators and never served.
 */
export async function up(knex: Knex): Promise<void> {
  await runStatements(
    knex,
    `
    create table ingest.run (
      id bigint generated always as identity primary key,
      producer text not null,
      channel text not null check (channel in ('cli', 'push', 'mutation', 'pull')),
      source_name text,
      url text,
      format text,
      encoding text,
      status text not null check (status in ('committed', 'refused', 'failed', 'unchanged')),
      read integer not null default 0,
      inserted integer not null default 0,
      updated integer not null default 0,
      unchanged integer not null default 0,
      skipped integer not null default 0,
      rejected integer not null default 0,
      started_at timestamptz not null,
      duration_ms integer not null,
      etag text,
      last_modified text,
      error text,
      actor text
    );
    create index run_producer_started on ingest.run (producer, started_at desc);
    create index run_source on ingest.run (producer, source_name, started_at desc);
  `,
  );
}

export async function down(knex: Knex): Promise<void> {
  await runStatements(knex, 'drop table ingest.run;');
}
