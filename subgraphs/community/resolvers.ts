import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import { GeoJSONScalar, AreaSelectorScalar, type AreaRepresentation } from '../../lib/geo.ts';
import { parseDateRange } from '../../lib/dates.ts';
import { badUserInput, notFound } from '../../lib/errors.ts';
import { readPageArgs, toPage, type PageArgs } from '../../lib/pagination.ts';
import type { SubgraphContext } from '../../lib/subgraph.ts';
import type { Loaders } from './loaders.ts';
import type { ContributionRecord, SensorRecord, ValidationStatus } from './datasource.ts';
import { ingestContent, type IngestArgs } from '../../lib/ingest/mutation.ts';
import { addFeatures, canSee, lists, moderate, moderateSensor, submit } from './contributions.ts';
import { ingesters } from './ingest.ts';
import { request, setStatus, vote } from './requests.ts';
import { humidityCorrected } from './quality.ts';
import type { ReadingRecord } from './datasource.ts';
import { datasetRequests, decisionProcesses, indicators, type DecisionProcessRecord, type IndicatorRecord } from './datasource.ts';

const GENERIC_NAMES = { CITIZEN: 'Citizen contributor', PARTNER: 'Partner organisation', COLLECTIVITY: 'The collectivity' } as const;

async function visibleContribution(id: string, ctx: Context): Promise<ContributionRecord> {
  const c = await ctx.loaders.contribution.load(id);
  if (!c || !canSee(c, ctx.principal)) throw notFound(`no visible contribution has the id "${id}"`, { argument: 'id' });
  return c;
}

interface Decision {
  id: string;
  decision: ValidationStatus;
  reason?: string | null;
}

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
    contributions: (_: unknown, __: unknown, ctx: Context) => lists.validated(ctx.loaders.db.knex),
    contribution: (_: unknown, { id }: { id: string }, ctx: Context) => visibleContribution(id, ctx),
    myContributions: (_: unknown, __: unknown, ctx: Context) => lists.own(ctx.loaders.db.knex, ctx.principal),
    pendingContributions: (_: unknown, __: unknown, ctx: Context) => lists.pending(ctx.loaders.db.knex),
    transparencyIndicators: (_: unknown, __: unknown, ctx: Context) => indicators(ctx.loaders.db.knex),
    decisionProcesses: (_: unknown, __: unknown, ctx: Context) => decisionProcesses(ctx.loaders.db.knex),
    decisionProcess: async (_: unknown, { id }: { id: string }, ctx: Context) => {
      const [process] = await decisionProcesses(ctx.loaders.db.knex, [id]);
      if (!process) throw notFound(`no decision process has the id "${id}"`, { argument: 'id' });
      return process;
    },
    datasetRequests: (_: unknown, __: unknown, ctx: Context) => datasetRequests(ctx.loaders.db.knex),
  },
  SensorReading: {
    pm25HumidityCorrected: (r: ReadingRecord) => (r.pm25 === null ? null : Math.round(humidityCorrected(r.pm25, r.humidity) * 10) / 10),
    pm10HumidityCorrected: (r: ReadingRecord) => (r.pm10 === null ? null : Math.round(humidityCorrected(r.pm10, r.humidity) * 10) / 10),
  },
  TransparencyIndicator: {
    values: (i: IndicatorRecord, _: unknown, ctx: Context) => ctx.loaders.indicatorValues.load(i.id),
  },
  DecisionProcess: {
    steps: (p: DecisionProcessRecord, _: unknown, ctx: Context) => ctx.loaders.decisionSteps.load(p.id),
  },
  Mutation: {
    requestDataset: (_: unknown, args: { title: string; description: string }, ctx: Context) =>
      request(ctx.loaders.db.knex, args.title, args.description, ctx.principal),
    voteForDatasetRequest: (_: unknown, { id }: { id: string }, ctx: Context) => vote(ctx.loaders.db.knex, id, ctx.principal),
    setDatasetRequestStatus: (_: unknown, args: { id: string; status: string; reason?: string | null }, ctx: Context) =>
      setStatus(ctx.loaders.db.knex, args.id, args.status, args.reason),
    submitContribution: async (_: unknown, { input }: { input: Parameters<typeof submit>[1] }, ctx: Context) =>
      visibleContribution(await submit(ctx.loaders.db.knex, input, ctx.principal), ctx),
    addContributionFeatures: async (_: unknown, { id, features }: { id: string; features: unknown }, ctx: Context) => {
      await addFeatures(ctx.loaders.db.knex, id, features, ctx.principal);
      return visibleContribution(id, ctx);
    },
    moderateContribution: async (_: unknown, args: Decision, ctx: Context) => {
      await moderate(ctx.loaders.db.knex, args.id, args.decision, args.reason, ctx.principal);
      return visibleContribution(args.id, ctx);
    },
    moderateSensor: (_: unknown, args: Decision, ctx: Context) =>
      moderateSensor(ctx.loaders.db.knex, args.id, args.decision, args.reason, ctx.principal),
    ingestCommunity: (_: unknown, args: IngestArgs, ctx: Context) => ingestContent(ctx.loaders.db.knex, ingesters, args, ctx.principal),
  },
  Contribution: {
    features: async (c: ContributionRecord, _: unknown, ctx: Context) => ({
      type: 'FeatureCollection',
      features: (await ctx.loaders.features.load(c.id)).map((f) => ({
        type: 'Feature',
        id: f.featureNo,
        geometry: f.geometry,
        properties: { ...f.properties, _provenance: { producerKind: c.producerKind, licence: c.licence, validationStatus: c.status } },
      })),
    }),
    featureCount: async (c: ContributionRecord, _: unknown, ctx: Context) => (await ctx.loaders.features.load(c.id)).length,
    provenance: (c: ContributionRecord) => ({
      producerKind: c.producerKind,
      producerName: GENERIC_NAMES[c.producerKind],
      licence: c.licence,
      source: c.source,
      synthetic: c.synthetic,
      validationStatus: c.status,
    }),
    history: (c: ContributionRecord, _: unknown, ctx: Context) => ctx.loaders.history.load(c.id),
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
    quality: (sensor: SensorRecord, _: unknown, ctx: Context) => ctx.loaders.quality.load(sensor.id),
  },
  Dataset: {
    __resolveReference: (ref: { id: string }, ctx: Context) => ctx.loaders.dataset.load(ref.id),
  },
};
