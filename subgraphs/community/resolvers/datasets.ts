import { toPage } from '../../../lib/pagination.ts';
import type { Resolvers } from '../__generated__/resolvers-types.ts';
import { idCursor } from './cursors.ts';

/** The collectivity's open-data catalogue. */
export const datasetResolvers: Resolvers = {
  Query: {
    datasets: async (_, args, { loaders }) => {
      const window = idCursor(args);
      return toPage(await loaders.datasetPage.load(window), window.limit, (dataset) => dataset.id);
    },
  },

  Dataset: {
    __resolveReference: (ref, { loaders }) => loaders.dataset.load(ref.id),
  },
};
