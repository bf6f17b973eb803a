import type { Database } from '../../lib/db.ts';
import type { ProducerContext } from '../../lib/producer.ts';
import { accessLogPage, runsOf } from './datasource.ts';

/** The platform subgraph resolves no entities, so it batches nothing; its one list reads one page per request. */
export function createLoaders(db: Database) {
  return {
    accessLogPage: (filter: Parameters<typeof accessLogPage>[1]) => accessLogPage(db.knex, filter),
    ingestRuns: (filter: Parameters<typeof runsOf>[1]) => runsOf(db.knex, filter),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;

/** What the platform subgraph's resolvers receive. */
export type Context = ProducerContext<Loaders>;
