import { readSchema, type SubgraphDefinition } from '../../lib/subgraph.ts';
import { resolvers } from './resolvers.ts';
import { createLoaders, type Loaders } from './loaders.ts';
import { migrations } from './migrations/index.ts';

export const community: SubgraphDefinition<Loaders> = {
  name: 'community',
  typeDefs: readSchema(new URL('./schema.graphql', import.meta.url)),
  resolvers,
  migrations,
  createLoaders,
};
