import { readSchema, type SubgraphDefinition } from '../../lib/subgraph.ts';
import { resolvers } from './resolvers.ts';
import { createLoaders, type Loaders } from './loaders.ts';
import { migrations } from './migrations/index.ts';
import { applySecrecy } from './secrecy.ts';

/** ORSAL: the regional health observatory's indicators per commune, IRIS and EPCI, under statistical secrecy. */
export const orsal: SubgraphDefinition<Loaders> = {
  name: 'orsal',
  typeDefs: readSchema(new URL('./schema.graphql', import.meta.url)),
  resolvers,
  migrations,
  createLoaders,
  refresh: async (db, config) => void (await applySecrecy(db.knex, config.secrecyThreshold)),
};
