import { readSchema, type SubgraphDefinition } from '../../lib/subgraph.ts';
import { resolvers } from './resolvers.ts';
import { createLoaders, type Loaders } from './loaders.ts';
import { migrations } from './migrations/index.ts';

/** The hub's own subgraph: what belongs to no producer (the audit log of restricted reads). */
export const platform: SubgraphDefinition<Loaders> = {
  name: 'platform',
  typeDefs: readSchema(new URL('./schema.graphql', import.meta.url)),
  resolvers,
  migrations,
  createLoaders,
};
