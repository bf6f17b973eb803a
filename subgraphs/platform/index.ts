import { defineProducer, readSchema } from '../../lib/producer.ts';
import { resolvers } from './resolvers.ts';
import { createLoaders } from './loaders.ts';
import { migrations } from './migrations/index.ts';

/** The hub's own subgraph: what belongs to no producer (the audit log of restricted reads). */
export const platform = defineProducer({
  name: 'platform',
  title: 'TIGA hub',
  description: "The hub's own records: the append-only log of restricted reads, for auditors.",
  defaultPort: 4005,
  typeDefs: readSchema(new URL('./schema.graphql', import.meta.url)),
  resolvers,
  migrations,
  createLoaders,
  typeMappers: {
    AccessRecord: './datasource.ts#AuditRow',
    IngestRun: './datasource.ts#RunRow',
  },
});
