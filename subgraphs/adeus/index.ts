import { defineProducer, readSchema } from '../../lib/producer.ts';
import { resolvers } from './resolvers.ts';
import { createLoaders } from './loaders.ts';
import { migrations } from './migrations/index.ts';
import { ingesters } from './ingest.ts';

/** ADEUS: the territorial referential every producer joins on (communes, IRIS, EPCI) and urban indicators. */
export const adeus = defineProducer({
  name: 'adeus',
  title: "ADEUS (Agence de développement et d'urbanisme de l'agglomération strasbourgeoise)",
  description: 'The territorial referential (communes, IRIS, EPCI, their outlines) and urban indicators.',
  defaultPort: 4003,
  typeDefs: readSchema(new URL('./schema.graphql', import.meta.url)),
  resolvers,
  migrations,
  createLoaders,
  ingest: ingesters,
  typeMappers: {
    Territory: './datasource.ts#TerritoryRow',
    UrbanIndicators: './datasource.ts#UrbanRow',
    Area: '../../lib/geo.ts#AreaRepresentation',
  },
});
