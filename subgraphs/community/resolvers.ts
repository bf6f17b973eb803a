import { AreaSelectorScalar, GeoJSONScalar } from '../../lib/geo.ts';
import { ingestContent } from '../../lib/ingest/mutation.ts';
import { ingesters } from './ingest.ts';
import type { Resolvers } from './__generated__/resolvers-types.ts';
import { sensorResolvers } from './resolvers/sensors.ts';
import { datasetResolvers } from './resolvers/datasets.ts';
import { contributionResolvers } from './resolvers/contributions.ts';
import { transparencyResolvers } from './resolvers/transparency.ts';

/** Each part owns its object types; Query and Mutation are the only types several parts fill in. */
export const resolvers: Resolvers = {
  ...sensorResolvers,
  ...datasetResolvers,
  ...contributionResolvers,
  ...transparencyResolvers,
  GeoJSON: GeoJSONScalar,
  AreaSelector: AreaSelectorScalar,
  Query: {
    ...sensorResolvers.Query,
    ...datasetResolvers.Query,
    ...contributionResolvers.Query,
    ...transparencyResolvers.Query,
  },
  Mutation: {
    ...sensorResolvers.Mutation,
    ...contributionResolvers.Mutation,
    ...transparencyResolvers.Mutation,
    // One mutation for every community format: a file may create sensors or feed a contribution.
    ingestCommunity: (_, args, ctx) => ingestContent(ctx.db, ingesters, args, ctx.principal),
  },
};
