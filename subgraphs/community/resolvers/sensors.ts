import { parseDateRange } from '../../../lib/dates.ts';
import { notFound } from '../../../lib/errors.ts';
import { toPage, type PageArgs } from '../../../lib/pagination.ts';
import { inCrs } from '../../../lib/crs.ts';
import type { SensorRecord } from '../datasource.ts';
import type { Context } from '../loaders.ts';
import { humidityCorrected } from '../quality.ts';
import { moderateSensor, moderateSensors, releaseSensorId } from '../sensor-moderation.ts';
import { isModerator, moderationRules, subjectOf } from '../contributions.ts';
import type { Resolvers } from '../__generated__/resolvers-types.ts';
import { idCursor, instantCursor } from './cursors.ts';

/** Readings are asked for by calendar days; the stored instants are compared in UTC. */
const MAX_READING_DAYS = 366;

interface ReadingArgs extends PageArgs {
  from: string;
  to: string;
}

function nextDay(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString();
}

async function readingsPage(sensor: SensorRecord, args: ReadingArgs, { loaders }: Context, raw: boolean) {
  const { from, to } = parseDateRange(args.from, args.to, MAX_READING_DAYS);
  const { limit, after } = instantCursor(args);
  const rows = await loaders.readings.load({
    sensorId: sensor.id,
    from: `${from}T00:00:00.000Z`,
    toExclusive: nextDay(to),
    limit,
    after,
    raw,
  });
  return toPage(rows, limit, (reading) => reading.time);
}

/**
 * `sensor(id:)`: anonymous callers get VALIDATED sensors only (one statement shared with the entity
 * lookups); a moderator gets any sensor, to review it with its readings, and a contributor their own.
 * Anything else is NOT_FOUND with the one message an unknown id gets.
 */
async function visibleSensor(id: string, { loaders, principal }: Context): Promise<SensorRecord> {
  const subject = subjectOf(principal);
  const sensor = subject === null ? await loaders.sensor.load(id) : await loaders.heldSensor.load(id);
  const visible = sensor !== null && (sensor.status === 'VALIDATED' || isModerator(principal) || ('owner' in sensor && sensor.owner === subject));
  if (!visible) throw notFound(`no visible citizen sensor has the id "${id}"`, { argument: 'id' });
  return sensor;
}

const corrected = (pm: number | null, humidity: number | null) => (pm === null ? null : Math.round(humidityCorrected(pm, humidity) * 10) / 10);

/** Citizen sensors, their readings and quality, and their moderation. */
export const sensorResolvers: Resolvers = {
  Query: {
    sensors: async (_, args, { loaders }) => {
      const window = idCursor(args);
      return toPage(await loaders.sensorPage.load(window), window.limit, (sensor) => sensor.id);
    },
    sensor: (_, { id }, ctx) => visibleSensor(id, ctx),
    pendingSensors: (_, __, { loaders }) => loaders.pendingSensors(),
    mySensors: async (_, __, { loaders, principal }) => {
      const subject = subjectOf(principal);
      return subject === null ? [] : loaders.ownSensors(subject);
    },
  },

  Mutation: {
    moderateSensor: (_, args, ctx) => moderateSensor(ctx.db.knex, args.id, args.decision, args.reason, ctx.principal, moderationRules(ctx.loaders.settings)),
    moderateSensors: (_, args, ctx) => moderateSensors(ctx.db.knex, args.ids, args.decision, args.reason, ctx.principal, moderationRules(ctx.loaders.settings)),
    releaseSensorId: (_, args, ctx) => releaseSensorId(ctx.db.knex, args.id, args.reason, ctx.principal),
  },

  OwnSensor: {
    localId: (own) => own.localId ?? '',
    sensor: (own) => own,
  },

  Area: {
    __resolveReference: (area) => area,
    sensors: (area, _, { loaders }) => loaders.sensorsInArea.load(area),
  },

  CitizenSensor: {
    __resolveReference: (ref, { loaders }) => loaders.sensor.load(ref.id),
    // The rounded WGS84 point is what gets projected, never the stored one: a projection is no finer.
    location: (sensor, { crs }, { loaders }) => inCrs(loaders.projection, sensor.location, crs),
    readings: (sensor, args, ctx) => readingsPage(sensor, args, ctx, false),
    rawReadings: (sensor, args, ctx) => readingsPage(sensor, args, ctx, true),
    contributor: (sensor, _, { loaders }) => (sensor.contributorId === null ? null : loaders.contributor.load(sensor.contributorId)),
    quality: (sensor, _, { loaders }) => loaders.quality.load(sensor.id),
  },

  SensorReading: {
    pm25HumidityCorrected: (reading) => corrected(reading.pm25, reading.humidity),
    pm10HumidityCorrected: (reading) => corrected(reading.pm10, reading.humidity),
  },
};
