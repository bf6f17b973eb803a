import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import { GeoJSONScalar, AreaSelectorScalar, type AreaRepresentation } from '../../lib/geo.ts';
import { parseDateRange } from '../../lib/dates.ts';
import { badUserInput, notFound } from '../../lib/errors.ts';
import { readPageArgs, toPage, type PageArgs } from '../../lib/pagination.ts';
import type { SubgraphContext } from '../../lib/subgraph.ts';
import type { Loaders } from './loaders.ts';
import type { SensorRecord } from './datasource.ts';

type Context = SubgraphContext<Loaders>;

/** Readings are asked for by calendar days; the stored instants are compared in UTC. */
const MAX_READING_DAYS = 366;

interface ReadingArgs extends PageArgs {
  from: string;
  to: string;
}

function idCursor(args: PageArgs): { limit: number; after: string | undefined } {
  const page = readPageArgs<unknown>(args);
  if (page.after !== undefined && typeof page.after !== 'string') {
    throw badUserInput('after is not a cursor returned by this API', { argument: 'after' });
  }
  return { limit: page.limit, after: page.after };
}

function instantCursor(args: PageArgs): { limit: number; after: string | undefined } {
  const page = idCursor(args);
  if (page.after !== undefined && Number.isNaN(Date.parse(page.after))) {
    throw badUserInput('after is not a cursor returned by this API', { argument: 'after' });
  }
  return page;
}

function nextDay(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString();
}

async function readingsPage(sensor: SensorRecord, args: ReadingArgs, ctx: Context, raw: boolean) {
  const { from, to } = parseDateRange(args.from, args.to, MAX_READING_DAYS);
  const { limit, after } = instantCursor(args);
  const rows = await ctx.loaders.readings.load({
    sensorId: sensor.id,
    from: `${from}T00:00:00.000Z`,
    toExclusive: nextDay(to),
    limit,
    after,
    raw,
  });
  return toPage(rows, limit, (reading) => reading.time);
}

export const resolvers: GraphQLResolverMap<Context> = {
  GeoJSON: GeoJSONScalar,
  AreaSelector: AreaSelectorScalar,
  Query: {
    sensors: async (_: unknown, args: PageArgs, ctx: Context) => {
      const window = idCursor(args);
      return toPage(await ctx.loaders.sensorPage.load(window), window.limit, (sensor) => sensor.id);
    },
    sensor: async (_: unknown, { id }: { id: string }, ctx: Context) => {
      const sensor = await ctx.loaders.sensor.load(id);
      if (!sensor) throw notFound(`no validated citizen sensor has the id "${id}"`, { argument: 'id' });
      return sensor;
    },
    datasets: async (_: unknown, args: PageArgs, ctx: Context) => {
      const window = idCursor(args);
      return toPage(await ctx.loaders.datasetPage.load(window), window.limit, (dataset) => dataset.id);
    },
  },
  Area: {
    __resolveReference: (area: AreaRepresentation) => area,
    sensors: (area: AreaRepresentation, _: unknown, ctx: Context) => ctx.loaders.sensorsInArea.load(area),
  },
  CitizenSensor: {
    __resolveReference: (ref: { id: string }, ctx: Context) => ctx.loaders.sensor.load(ref.id),
    readings: (sensor: SensorRecord, args: ReadingArgs, ctx: Context) => readingsPage(sensor, args, ctx, false),
    rawReadings: (sensor: SensorRecord, args: ReadingArgs, ctx: Context) => readingsPage(sensor, args, ctx, true),
    contributor: (sensor: SensorRecord, _: unknown, ctx: Context) =>
      sensor.contributorId === null ? null : ctx.loaders.contributor.load(sensor.contributorId),
  },
  Dataset: {
    __resolveReference: (ref: { id: string }, ctx: Context) => ctx.loaders.dataset.load(ref.id),
  },
};
