import { notFound } from '../../../lib/errors.ts';
import { request, setStatus, vote } from '../requests.ts';
import type { Resolvers } from '../__generated__/resolvers-types.ts';

/** Transparency indicators, decision processes and the users' committee's dataset requests. */
export const transparencyResolvers: Resolvers = {
  Query: {
    transparencyIndicators: (_, __, { loaders }) => loaders.indicators(),
    decisionProcesses: (_, __, { loaders }) => loaders.decisionProcesses(),
    decisionProcess: async (_, { id }, { loaders }) => {
      const process = await loaders.decisionProcess.load(id);
      if (!process) throw notFound(`no decision process has the id "${id}"`, { argument: 'id' });
      return process;
    },
    datasetRequests: (_, __, { loaders }) => loaders.datasetRequests(),
  },

  Mutation: {
    requestDataset: (_, args, ctx) => request(ctx.db.knex, args.title, args.description, ctx.principal),
    voteForDatasetRequest: (_, { id }, ctx) => vote(ctx.db.knex, id, ctx.principal),
    setDatasetRequestStatus: (_, args, ctx) => setStatus(ctx.db.knex, args.id, args.status, args.reason),
  },

  TransparencyIndicator: {
    values: (indicator, _, { loaders }) => loaders.indicatorValues.load(indicator.id),
  },

  DecisionProcess: {
    steps: (process, _, { loaders }) => loaders.decisionSteps.load(process.id),
  },
};
