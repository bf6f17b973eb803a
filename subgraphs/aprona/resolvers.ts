import { AreaSelectorScalar, GeoJSONScalar } from '../../lib/geo.ts';
import { inCrs } from '../../lib/crs.ts';
import { badUserInput } from '../../lib/errors.ts';
import { parseInstantRange } from '../../lib/dates.ts';
import { readPageArgs, toPage, type PageArgs } from '../../lib/pagination.ts';
import { ingestContent } from '../../lib/ingest/mutation.ts';
import { TERRITORY_CODE_PATTERNS } from '../../lib/territory-codes.ts';
import type { AnalysisCursor, AnalysisRow, PointRow } from './datasource.ts';
import type { Context } from './loaders.ts';
import { ingesters } from './ingest.ts';
import { exceeds, QUALIFIER_OF_REMARK } from './status.ts';
import type { Resolvers } from './__generated__/resolvers-types.ts';

/** Longest analysis range: ten years (quarterly sampling makes that a few hundred rows per point). */
const MAX_RANGE_MS = 3653 * 86_400_000;
/** SANDRE coordinate precision 18: ADES publishes the commune's chief town instead of the well. */
const COMMUNE_CENTRE_PRECISION = 18;

interface AnalysisArgs extends PageArgs {
  parameter?: string | null;
  from: string;
  to: string;
}

function readCursor(after: unknown): AnalysisCursor | undefined {
  if (after === undefined) return undefined;
  const valid = Array.isArray(after) && after.length === 2 && typeof after[0] === 'string' && !Number.isNaN(Date.parse(after[0])) && typeof after[1] === 'string' && /^\d+$/.test(after[1]);
  if (!valid) throw badUserInput('after is not a cursor returned by this API', { argument: 'after' });
  return after as AnalysisCursor;
}

/** A date alone in `to` means its whole day. */
const endOf = (value: string) => (/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T23:59:59.999Z` : value);

function analyses(point: PointRow, args: AnalysisArgs, { loaders }: Context, includeUnvalidated: boolean) {
  const { from, to } = parseInstantRange(args.from, endOf(args.to));
  if (to.getTime() - from.getTime() > MAX_RANGE_MS) throw badUserInput(`the range ${args.from}..${args.to} is longer than 10 years; split it`, { argument: 'to' });
  if (args.parameter != null && !/^\d{1,6}$/.test(args.parameter)) throw badUserInput(`parameter "${args.parameter}" is not a SANDRE parameter code (digits, e.g. "1340")`, { argument: 'parameter' });
  const { limit, after } = readPageArgs<unknown>(args);
  return loaders.analyses
    .load({ point: point.id, parameter: args.parameter ?? null, from: from.toISOString(), to: to.toISOString(), limit: limit + 1, after: readCursor(after), includeUnvalidated })
    .then((rows) => toPage(rows, limit, (row): AnalysisCursor => [row.sampled_at, row.parameter_code]));
}

export const resolvers: Resolvers = {
  Mutation: {
    ingestAprona: (_, args, ctx) => ingestContent(ctx.db, ingesters, args, ctx.principal),
  },
  GeoJSON: GeoJSONScalar,
  AreaSelector: AreaSelectorScalar,

  Query: {
    groundwaterPoints: (_, __, { loaders }) => loaders.allPoints(),
    groundwaterPoint: (_, { id }, { loaders }) => loaders.point.load(id),
    groundwaterParameters: async (_, __, { loaders }) => [...(await loaders.parameters()).values()],
  },

  Territory: {
    __resolveReference: (ref) => ({ code: ref.code }),
    // Points carry their commune's INSEE code; an IRIS or an EPCI is answered through `area`.
    groundwater: async (territory, _, { loaders }) => {
      if (!TERRITORY_CODE_PATTERNS.COMMUNE.test(territory.code)) return null;
      const points = await loaders.communePoints.load(territory.code);
      const statuses = await loaders.status.loadMany(points.map((p) => p.id));
      const assessments = statuses.map((s) => (s instanceof Error ? 'NO_DATA' : s.assessment));
      return {
        points,
        assessment: assessments.includes('EXCEEDS_LIMITS') ? 'EXCEEDS_LIMITS' : assessments.includes('WITHIN_LIMITS') ? 'WITHIN_LIMITS' : 'NO_DATA',
        pointsExceedingLimits: points.filter((_, i) => assessments[i] === 'EXCEEDS_LIMITS').map((p) => p.id),
      };
    },
  },

  Area: {
    __resolveReference: (ref) => ref,
    groundwaterPoints: (area, _, { loaders }) => loaders.areaPoints.load(area),
  },

  GroundwaterPoint: {
    __resolveReference: (ref, { loaders }) => loaders.point.load(ref.id),
    bssCode: (p) => p.bss_code,
    // The published point (a commune's chief town for a blurred well), projected: never the well itself.
    location: (p, { crs }, { loaders }) => inCrs(loaders.projection, p.location, crs),
    communeCode: (p) => p.commune_code,
    locationPrecision: (p) => (p.coordinate_precision === COMMUNE_CENTRE_PRECISION ? 'COMMUNE_CENTRE' : 'EXACT'),
    aquifer: (p) => (p.aquifer_code ? { code: p.aquifer_code, name: p.aquifer_name } : null),
    analyses: (p, args, ctx) => analyses(p, args, ctx, false),
    rawAnalyses: (p, args, ctx) => analyses(p, args, ctx, true),
    latestStatus: (p, _, { loaders }) => loaders.status.load(p.id),
  },

  GroundwaterParameter: {
    drinkingWaterLimit: (r) => r.drinking_water_limit,
    limitBasis: (r) => r.limit_basis,
  },

  GroundwaterAnalysis: {
    parameter: async (a, _, { loaders }) => (await loaders.parameters()).get(a.parameter_code)!,
    sampledAt: (a) => a.sampled_at,
    value: (a) => a.result,
    qualifier: (a) => QUALIFIER_OF_REMARK[a.remark_code] ?? 'QUANTIFIED',
    quantificationLimit: (a) => a.quantification_limit,
    exceedsLimit: async (a, _, { loaders }) => exceeds(a, (await loaders.parameters()).get(a.parameter_code)?.drinking_water_limit ?? null),
    validated: (a: AnalysisRow) => a.qualification_code === '1' && ['2', '3', '4'].includes(a.status_code ?? ''),
  },
};
