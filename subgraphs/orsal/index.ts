import { defineProducer, readSchema } from '../../lib/producer.ts';
import { resolvers } from './resolvers.ts';
import { createLoaders } from './loaders.ts';
import { migrations } from './migrations/index.ts';
import { ingesters } from './ingest.ts';
import { applySecrecy } from './secrecy.ts';
import { ruleOf, settings } from './settings.ts';

/** ORSAL: the regional health observatory's indicators per commune, IRIS and EPCI, under statistical secrecy. */
export const orsal = defineProducer({
  name: 'orsal',
  title: 'ORS Grand Est (ORSAL)',
  description: 'Health indicators per commune, IRIS and EPCI, published under statistical secrecy.',
  defaultPort: 4002,
  typeDefs: readSchema(new URL('./schema.graphql', import.meta.url)),
  resolvers,
  migrations,
  createLoaders,
  ingest: ingesters,
  mappings: new URL('./mappings/', import.meta.url),
  settings,
  typeMappers: {
    Territory: './datasource.ts#TerritoryKey',
    HealthIndicator: './datasource.ts#IndicatorRow',
  },
  refresh: async (db, values) => void (await applySecrecy(db.knex, ruleOf(values))),
});
