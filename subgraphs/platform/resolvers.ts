import { readPageArgs, toPage } from '../../lib/pagination.ts';
import type { Resolvers } from './__generated__/resolvers-types.ts';

export const resolvers: Resolvers = {
  Query: {
    accessLog: async (_, args, { loaders }) => {
      const { limit, after } = readPageArgs<number>(args);
      const rows = await loaders.accessLogPage({ subject: args.subject ?? null, limit, beforeId: after ?? null });
      return toPage(rows, limit, (row) => Number(row.id));
    },
  },
  AccessRecord: {
    at: (row) => new Date(row.at).toISOString(),
    operationName: (row) => row.operation_name,
    operationHash: (row) => row.operation_hash,
    fields: (row) => (typeof row.fields === 'string' ? JSON.parse(row.fields) : row.fields),
  },
  AccessedField: {
    arguments: (field) => JSON.stringify(field.arguments),
  },
};
