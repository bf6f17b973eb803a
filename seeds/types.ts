import type { Knex } from 'knex';
import type { Referential } from './referential.ts';

export interface SeedOptions {
  /** Multiplies history length and counts, for benchmarks. @default 1 */
  scale: number;
}

/** What a seed wrote, table by table, so `npm run seed` can print it. */
export interface SeedReport {
  subgraph: string;
  rows: Record<string, number>;
}

/**
 * A producer's seed. It writes only into its own PostgreSQL schema, inside one transaction,
 * and does nothing when its tables already hold data (seeding is idempotent).
 */
export type Seeder = (knex: Knex, referential: Referential, options: SeedOptions) => Promise<SeedReport>;
