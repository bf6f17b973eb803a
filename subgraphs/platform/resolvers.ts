import { readPageArgs, toPage } from '../../lib/pagination.ts';
import type { Resolvers } from './__generated__/resolvers-types.ts';

export const resolvers: Resolvers = {
  Query: {
    accessLog: async (_, args, { loaders }) => {
      const { limit, after } = readPageArgs<number>(args);
      const rows = await loaders.accessLogPage({ subject: args.subject ?? null, limit, beforeId: after ?? null });
      return toPage(rows, limit, (row) => Number(row.id));
    },
    // Producer-scoped: a producer sees its own runs, an auditor everyone's, any other caller none.
    ingestRuns: async (_, args, { loaders, principal }) => {
      const { limit, after } = readPageArgs<number>(args);
      const scopes = principal.kind === 'user' ? [...principal.scopes] : [];
      const own = scopes.filter((s) => s.startsWith('producer:')).map((s) => s.slice('producer:'.length));
      const visible = scopes.includes('audit:read') ? null : own;
      const producers = args.producer ? (visible === null || visible.includes(args.producer) ? [args.producer] : []) : visible;
      const rows = await loaders.ingestRuns({ producers, limit, beforeId: after ?? null });
      return toPage(rows, limit, (row) => Number(row.id));
    },
  },
  IngestRun: {
    channel: (run) => run.channel.toUpperCase() as 'CLI',
    status: (run) => run.status.toUpperCase() as 'COMMITTED',
    source: (run) => run.source_name,
    startedAt: (run) => new Date(run.started_at).toISOString(),
    durationMs: (run) => run.duration_ms,
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
