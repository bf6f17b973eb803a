import { readSchema, type SubgraphDefinition } from '../../lib/subgraph.ts';
import { resolvers } from './resolvers.ts';
import { createLoaders, type Loaders } from './loaders.ts';
import { migrations } from './migrations/index.ts';

/** ATMO Grand Est: monitoring stations, hourly measurements and the daily indice ATMO. */
export const atmo: SubgraphDefinition<Loaders> = {
  name: 'atmo',
  typeDefs: readSchema(new URL('./schema.graphql', import.meta.url)),
  resolvers,
  migrations,
  createLoaders,
};
