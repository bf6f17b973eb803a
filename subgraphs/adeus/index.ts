import { readSchema, type SubgraphDefinition } from '../../lib/subgraph.ts';
import { resolvers } from './resolvers.ts';
import { createLoaders, type Loaders } from './loaders.ts';
import { migrations } from './migrations/index.ts';

/** ADEUS: the territorial referential (communes, IRIS, EPCI) and urban indicators. */
export const adeus: SubgraphDefinition<Loaders> = {
  name: 'adeus',
  typeDefs: readSchema(new URL('./schema.graphql', import.meta.url)),
  resolvers,
  migrations,
  createLoaders,
};
