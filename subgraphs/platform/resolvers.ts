import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import type { SubgraphContext } from '../../lib/subgraph.ts';
import { readPageArgs, toPage, type PageArgs } from '../../lib/pagination.ts';
import { accessLogPage, type AuditRow } from './datasource.ts';
import type { Loaders } from './loaders.ts';

type Context = SubgraphContext<Loaders>;

export const resolvers: GraphQLResolverMap<Context> = {
  Query: {
    accessLog: async (_: unknown, args: PageArgs & { subject?: string | null }, { db }: Context) => {
      const { limit, after } = readPageArgs<number>(args);
      const rows = await accessLogPage(db.knex, { subject: args.subject ?? null, limit, beforeId: after ?? null });
      return toPage(rows, limit, (row) => Number(row.id));
    },
  },
  AccessRecord: {
    at: (row: AuditRow) => new Date(row.at).toISOString(),
    operationName: (row: AuditRow) => row.operation_name,
    operationHash: (row: AuditRow) => row.operation_hash,
    fields: (row: AuditRow) => (typeof row.fields === 'string' ? JSON.parse(row.fields) : row.fields),
  },
  AccessedField: {
    arguments: (field: { arguments: unknown }) => JSON.stringify(field.arguments),
  },
};
