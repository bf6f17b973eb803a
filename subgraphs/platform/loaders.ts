import type { Database } from '../../lib/db.ts';

/** The platform subgraph resolves no entities, so it batches nothing. */
export function createLoaders(_db: Database) {
  return {};
}

export type Loaders = ReturnType<typeof createLoaders>;
