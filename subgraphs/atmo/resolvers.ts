import { AreaSelectorScalar, GeoJSONScalar } from '../../lib/geo.ts';
import { inCrs } from '../../lib/crs.ts';
import { badUserInput } from '../../lib/errors.ts';
import { parseDateRange, parseInstantRange } from '../../lib/dates.ts';
import { readPageArgs, toPage, type PageArgs } from '../../lib/pagination.ts';
import type { MeasurementCursor, Pollutant, StationRow } from './datasource.ts';
import type { Context } from './loaders.ts';
import { ingestContent } from '../../lib/ingest/mutation.ts';
import { ingesters } from './ingest.ts';
import type { Resolvers } from './__generated__/resolvers-types.ts';

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

export const resolvers: Resolvers = {
  Mutation: {
    ingestAtmo: (_, args, ctx) => ingestContent(ctx.db, ingesters, args, ctx.principal),
  },
  GeoJSON: GeoJSONScalar,
  AreaSelector: AreaSelectorScalar,

  Query: {
    airStations: (_, __, { loaders }) => loaders.allStations(),
    airStation: (_, { id }, { loaders }) => loaders.station.load(id),
  },

  Territory: {
    __resolveReference: (ref) => ({ code: ref.code }),
    airQuality: (territory, args, { loaders }) => {
      const { from, to } = parseDateRange(args.from, args.to, MAX_INDEX_DAYS);
      const kind = args.kind === 'FORECAST' ? 'forecast' : args.kind === 'OBSERVATION' ? 'observation' : null;
      return loaders.airQuality.load({ code: territory.code, from, to, kind });
    },
    airStations: (territory, _, { loaders }) => loaders.territoryStations.load(territory.code),
  },

  Area: {
    __resolveReference: (ref) => ref,
    airStations: (area, _, { loaders }) => loaders.areaStations.load(area),
  },

  AirStation: {
    __resolveReference: (ref, { loaders }) => loaders.station.load(ref.id),
    id: (station) => station.code,
    location: (station, { crs }, { loaders }) => inCrs(loaders.projection, station.location, crs),
    communeCode: (station) => station.commune_code,
    epciCode: (station) => station.epci_code,
    areaClassification: (station) => station.area_classification,
    activeFrom: (station) => station.activity_begin,
    activeTo: (station) => station.activity_end,
    measurements: (station, args, ctx) => measurements(station, args, ctx, false),
    rawMeasurements: (station, args, ctx) => measurements(station, args, ctx, true),
  },

  AirQualityIndex: {
    date: (row) => row.date_ech,
    index: (row) => row.code_qual,
    label: (row) => row.lib_qual,
    color: (row) => row.coul_qual,
    subIndices: (row) => ({
      no2: row.code_no2,
      so2: row.code_so2,
      o3: row.code_o3,
      pm10: row.code_pm10,
      pm25: row.code_pm25,
    }),
    zoneCode: (row) => row.code_zone,
    zoneName: (row) => row.lib_zone,
    zoneType: (row) => row.type_zone,
    kind: (row) => (row.kind === 'forecast' ? 'FORECAST' : row.kind === 'observation' ? 'OBSERVATION' : null),
    issuedOn: (row) => row.date_dif,
    updatedAt: (row) => (row.date_maj === null ? null : new Date(row.date_maj).toISOString()),
  },

  AirMeasurement: {
    qualityCode: (row) => row.quality_code,
  },
};
