import { AreaSelectorScalar, GeoJSONScalar } from '../../lib/geo.ts';
import { badUserInput } from '../../lib/errors.ts';
import type { HealthFilter } from './datasource.ts';
import { ingestContent } from '../../lib/ingest/mutation.ts';
import { ingesters } from './ingest.ts';
import type { Resolvers } from './__generated__/resolvers-types.ts';

type FilterArgs = { indicator?: string | null; period?: string | null };

const INDICATOR_CODE = /^[A-Z][A-Z0-9_]*$/;
/** A year ("2023") or a pooled period of years ("2019-2021"), as ORS tables label them. */
const PERIOD = /^\d{4}(-\d{4})?$/;

/**
 * Malformed filters are errors; well-formed ones that match nothing give an empty list, so that checking
 * a code against the catalogue never costs a statement of its own.
 */
function readFilter(args: FilterArgs): HealthFilter {
  const indicator = args.indicator ?? null;
  const period = args.period ?? null;
  if (indicator !== null && !INDICATOR_CODE.test(indicator)) {
    throw badUserInput(`indicator "${indicator}" is not an indicator code (UPPER_SNAKE_CASE, see healthIndicators)`, { argument: 'indicator' });
  }
  if (period !== null && !PERIOD.test(period)) {
    throw badUserInput(`period "${period}" is not a year "YYYY" or a range of years "YYYY-YYYY"`, { argument: 'period' });
  }
  return { indicator, period };
}

export const resolvers: Resolvers = {
  Mutation: {
    ingestOrsal: (_, args, ctx) => ingestContent(ctx.db, ingesters, args, ctx.principal),
  },
  GeoJSON: GeoJSONScalar,
  AreaSelector: AreaSelectorScalar,

  Query: {
    healthIndicators: (_, __, { loaders }) => loaders.indicators.load('all'),
  },

  Territory: {
    __resolveReference: (ref) => ({ code: ref.code }),
    health: (t, args, { loaders }) => loaders.health.load({ code: t.code, ...readFilter(args) }),
    healthDetailed: (t, args, { loaders }) => loaders.healthDetailed.load({ code: t.code, ...readFilter(args) }),
  },
};
