import { defineProducer, readSchema } from '../../lib/producer.ts';
import { resolvers } from './resolvers.ts';
import { createLoaders } from './loaders.ts';
import { migrations } from './migrations/index.ts';
import { ingesters } from './ingest.ts';

/** APRONA: the Alsace groundwater observatory (Observatoire de la nappe d'Alsace), the drinking-water resource of the whole area. */
export const aprona = defineProducer({
  name: 'aprona',
  title: "APRONA (Observatoire de la nappe d'Alsace)",
  description: 'Groundwater quality: monitoring points of the Alsace aquifer and their analyses, compared with the drinking-water limits.',
  defaultPort: 4006,
  typeDefs: readSchema(new URL('./schema.graphql', import.meta.url)),
  resolvers,
  migrations,
  createLoaders,
  ingest: ingesters,
  typeMappers: {
    Territory: './datasource.ts#TerritoryKey',
    Area: '../../lib/geo.ts#AreaRepresentation',
    GroundwaterPoint: './datasource.ts#PointRow',
    GroundwaterParameter: './datasource.ts#ParameterRow',
    GroundwaterAnalysis: './datasource.ts#AnalysisRow',
    GroundwaterStatus: './status.ts#Status',
    GroundwaterParameterStatus: './status.ts#ParameterStatus',
  },
});
