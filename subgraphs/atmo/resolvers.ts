import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import type { SubgraphContext } from '../../lib/subgraph.ts';
import { AreaSelectorScalar, GeoJSONScalar, type AreaRepresentation } from '../../lib/geo.ts';
import { badUserInput } from '../../lib/errors.ts';
import { parseDateRange, parseInstantRange } from '../../lib/dates.ts';
import { readPageArgs, toPage, type PageArgs } from '../../lib/pagination.ts';
import type { DailyIndexRow, MeasurementCursor, Pollutant, StationRow } from './datasource.ts';
import type { Loaders } from './loaders.ts';
import { ingestContent, type IngestArgs } from '../../lib/ingest/mutation.ts';
import { ingesters } from './ingest.ts';

type Context = SubgraphContext<Loaders>;

/** Longest daily-index range: one (leap) year. */
const MAX_INDEX_DAYS = 366;
/** Longest measurement range: one (leap) year of hours. */
const MAX_MEASUREMENT_MS = 366 * 86_400_000;
const POLLUTANTS: readonly Pollutant[] = ['NO2', 'SO2', 'O3', 'PM10', 'PM25'];

interface MeasurementArgs extends PageArgs {
  pollutant?: Pollutant | null;
  from: string;
  to: string;
}

function readCursor(after: unknown): MeasurementCursor | undefined {
  if (after === undefined) return undefined;
  const valid =
    Array.isArray(after) &&
    after.length === 2 &&
    typeof after[0] === 'string' &&
    !Number.isNaN(Date.parse(after[0])) &&
    POLLUTANTS.includes(after[1]);
  if (!valid) throw badUserInput('after is not a cursor returned by this API', { argument: 'after' });
  return after as MeasurementCursor;
}

function measurements(station: StationRow, args: MeasurementArgs, { loaders }: Context, includeUnvalidated: boolean) {
  const { from, to } = parseInstantRange(args.from, args.to);
  if (to.getTime() - from.getTime() > MAX_MEASUREMENT_MS) {
    throw badUserInput(`the range ${args.from}..${args.to} is longer than 366 days; split it`, { argument: 'to' });
  }
  const { limit, after } = readPageArgs<unknown>(args);
  return loaders.measurements
    .load({
      station: station.code,
      pollutant: args.pollutant ?? null,
      from: from.toISOString(),
      to: to.toISOString(),
      limit: limit + 1,
      after: readCursor(after),
      includeUnvalidated,
    })
    .then((rows) => toPage(rows, limit, (row): MeasurementCursor => [row.time, row.pollutant]));
}

export const resolvers: GraphQLResolverMap<Context> = {
  Mutation: {
    ingestAtmo: (_: unknown, args: IngestArgs, ctx: Context) => ingestContent(ctx.db.knex, ingesters, args, ctx.principal),
  },
  GeoJSON: GeoJSONScalar,
  AreaSelector: AreaSelectorScalar,

  Query: {
    airStations: (_: unknown, __: unknown, { loaders }: Context) => loaders.allStations(),
    airStation: (_: unknown, { id }: { id: string }, { loaders }: Context) => loaders.station.load(id),
  },

  Territory: {
    __resolveReference: (ref: { code: string }) => ({ code: ref.code }),
    airQuality: (territory: { code: string }, args: { from: string; to: string }, { loaders }: Context) => {
      const { from, to } = parseDateRange(args.from, args.to, MAX_INDEX_DAYS);
      return loaders.airQuality.load({ code: territory.code, from, to });
    },
    airStations: (territory: { code: string }, _: unknown, { loaders }: Context) =>
      loaders.territoryStations.load(territory.code),
  },

  Area: {
    __resolveReference: (ref: AreaRepresentation) => ref,
    airStations: (area: AreaRepresentation, _: unknown, { loaders }: Context) => loaders.areaStations.load(area),
  },

  AirStation: {
    __resolveReference: (ref: { id: string }, { loaders }: Context) => loaders.station.load(ref.id),
    id: (station: StationRow) => station.code,
    communeCode: (station: StationRow) => station.commune_code,
    epciCode: (station: StationRow) => station.epci_code,
    measurements: (station: StationRow, args: MeasurementArgs, ctx: Context) => measurements(station, args, ctx, false),
    rawMeasurements: (station: StationRow, args: MeasurementArgs, ctx: Context) => measurements(station, args, ctx, true),
  },

  AirQualityIndex: {
    date: (row: DailyIndexRow) => row.date_ech,
    index: (row: DailyIndexRow) => row.code_qual,
    label: (row: DailyIndexRow) => row.lib_qual,
    color: (row: DailyIndexRow) => row.coul_qual,
    subIndices: (row: DailyIndexRow) => ({
      no2: row.code_no2,
      so2: row.code_so2,
      o3: row.code_o3,
      pm10: row.code_pm10,
      pm25: row.code_pm25,
    }),
    zoneCode: (row: DailyIndexRow) => row.code_zone,
    zoneName: (row: DailyIndexRow) => row.lib_zone,
    zoneType: (row: DailyIndexRow) => row.type_zone,
  },
};
