import { defineProducer, readSchema } from '../../lib/producer.ts';
import { resolvers } from './resolvers.ts';
import { createLoaders } from './loaders.ts';
import { migrations } from './migrations/index.ts';
import { ingesters } from './ingest.ts';
import { qualityControlJob } from './quality.ts';
import { settings } from './settings.ts';

/** The community: the collectivity's datasets and transparency indicators, citizen contributions and sensors. */
export const community = defineProducer({
  name: 'community',
  title: 'Eurométropole de Strasbourg and Pays de Saverne, with their citizens',
  description:
    "The collectivity's open-data catalogue and transparency indicators, citizen datasets and sensors (moderated, with provenance), and the users' committee's dataset requests.",
  defaultPort: 4004,
  typeDefs: readSchema(new URL('./schema.graphql', import.meta.url)),
  resolvers,
  migrations,
  createLoaders,
  ingest: ingesters,
  mappings: new URL('./mappings/', import.meta.url),
  settings,
  jobs: [qualityControlJob],
  typeMappers: {
    Area: '../../lib/geo.ts#AreaRepresentation',
    CitizenSensor: './datasource.ts#SensorRecord',
    OwnSensor: './datasource.ts#HeldSensorRecord',
    SensorReading: './datasource.ts#ReadingRecord',
    SensorQuality: './datasource.ts#QualityRecord',
    Contributor: './datasource.ts#ContributorRecord',
    Dataset: './datasource.ts#DatasetRecord',
    Contribution: './datasource.ts#ContributionRecord',
    ContributionStatusChange: './datasource.ts#StatusChangeRecord',
    TransparencyIndicator: './datasource.ts#IndicatorRecord',
    DecisionProcess: './datasource.ts#DecisionProcessRecord',
    DatasetRequest: './datasource.ts#DatasetRequestRecord',
  },
});
