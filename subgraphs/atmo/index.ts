import { defineProducer, readSchema } from '../../lib/producer.ts';
import { resolvers } from './resolvers.ts';
import { createLoaders } from './loaders.ts';
import { migrations } from './migrations/index.ts';
import { ingesters } from './ingest.ts';

/** ATMO Grand Est: monitoring stations, hourly measurements and the daily indice ATMO. */
export const atmo = defineProducer({
  name: 'atmo',
  title: 'ATMO Grand Est',
  description: 'Air quality: the daily indice ATMO per commune and EPCI, monitoring stations and their hourly measurements.',
  defaultPort: 4001,
  typeDefs: readSchema(new URL('./schema.graphql', import.meta.url)),
  resolvers,
  migrations,
  createLoaders,
  ingest: ingesters,
  typeMappers: {
    Territory: './datasource.ts#TerritoryKey',
    Area: '../../lib/geo.ts#AreaRepresentation',
    AirStation: './datasource.ts#StationRow',
    AirQualityIndex: './datasource.ts#DailyIndexRow',
    AirMeasurement: './datasource.ts#MeasurementRow',
  },
});
