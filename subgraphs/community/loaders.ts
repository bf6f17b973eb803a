import DataLoader from 'dataloader';
import type { Knex } from 'knex';
import type { Database } from '../../lib/db.ts';
import type { ProducerContext, SettingValues } from '../../lib/producer.ts';
import { groupBy } from '../../lib/batch.ts';
import { selectorKey, type AreaRepresentation } from '../../lib/geo.ts';
import { createProjectionLoader } from '../../lib/crs.ts';
import * as data from './datasource.ts';
import type { settings as settingSpecs } from './settings.ts';

export type CommunitySettings = SettingValues<typeof settingSpecs>;

/** A readings request for one sensor; keys with the same window share one part of the statement. */
export interface ReadingKey extends data.ReadingWindow {
  sensorId: string;
}

const windowKey = (w: data.ReadingWindow) => JSON.stringify([w.from, w.toExclusive, w.limit, w.after ?? null, w.raw]);

async function loadReadings(knex: Knex, keys: readonly ReadingKey[]): Promise<data.ReadingRecord[][]> {
  const windows = [...groupBy(keys, windowKey)];
  const results = await data.readingsForWindows(
    knex,
    windows.map(([, group]) => {
      const { sensorId: _, ...window } = group[0]!;
      return { window, sensorIds: group.map((key) => key.sensorId) };
    }),
  );
  const byWindow = new Map(windows.map(([window], index) => [window, groupBy(results[index] ?? [], (reading) => reading.sensorId)]));
  return keys.map((key) => byWindow.get(windowKey(key))?.get(key.sensorId) ?? []);
}

/** Invalid representations fail alone (as errors); the valid ones share one statement. */
async function loadSensorsInAreas(knex: Knex, areas: readonly AreaRepresentation[]): Promise<(data.SensorRecord[] | Error)[]> {
  const checked = areas.map((area) => {
    try {
      data.assertAreaUsable(knex, area);
      return area;
    } catch (error) {
      return error as Error;
    }
  });
  const valid = checked.filter((area): area is AreaRepresentation => !(area instanceof Error));
  const found = valid.length > 0 ? await data.sensorsInAreas(knex, valid) : [];
  let next = 0;
  return checked.map((area) => (area instanceof Error ? area : (found[next++] ?? [])));
}

export function createLoaders(db: Database, settings: CommunitySettings) {
  const { knex } = db;
  return {
    /** The producer's settings, for the rules resolvers apply (e.g. who may validate what). */
    settings,

    sensor: new DataLoader<string, data.SensorRecord | null>((ids) => data.sensorsByIds(knex, ids)),
    /** Sensors whatever their status, with who holds them: the resolver decides what the caller may see. */
    heldSensor: new DataLoader<string, data.HeldSensorRecord | null>((ids) => data.heldSensorsByIds(knex, ids)),
    /** Sensors waiting for moderation: a bounded list, one statement, not batched. */
    pendingSensors: () => data.pendingSensorList(knex),
    /** One contributor's own sensors: a bounded list, one statement, not batched. */
    ownSensors: (owner: string) => data.ownSensorList(knex, owner),
    sensorsInArea: new DataLoader<AreaRepresentation, data.SensorRecord[], string>((areas) => loadSensorsInAreas(knex, areas), {
      cacheKeyFn: (area) => selectorKey(area.selector),
    }),
    sensorPage: new DataLoader<data.PageWindow, data.SensorRecord[], string>((windows) => data.sensorPages(knex, windows), {
      cacheKeyFn: (w) => JSON.stringify(w),
    }),
    readings: new DataLoader<ReadingKey, data.ReadingRecord[], string>((keys) => loadReadings(knex, keys), {
      cacheKeyFn: (key) => `${key.sensorId}|${windowKey(key)}`,
    }),
    contributor: new DataLoader<number, data.ContributorRecord | null>((ids) => data.contributorsByIds(knex, ids)),
    quality: new DataLoader<string, data.QualityRecord | null>((ids) => data.qualityBySensor(knex, ids)),
    /** Sensor locations, as published (rounded in WGS84), in another CRS: one statement per CRS. */
    projection: createProjectionLoader(knex),

    dataset: new DataLoader<string, data.DatasetRecord | null>((ids) => data.datasetsByIds(knex, ids)),
    datasetPage: new DataLoader<data.PageWindow, data.DatasetRecord[], string>((windows) => data.datasetPages(knex, windows), {
      cacheKeyFn: (w) => JSON.stringify(w),
    }),

    /** Validated, pending or one contributor's own contributions: a bounded list, one statement, not batched. */
    contributionList: (which: data.ContributionList) => data.contributionList(knex, which),
    contribution: new DataLoader<string, data.ContributionRecord | null>((ids) => data.contributionsByIds(knex, ids)),
    history: new DataLoader<string, data.StatusChangeRecord[]>((ids) => data.historiesByContribution(knex, ids)),
    features: new DataLoader<string, data.FeatureRecord[]>((ids) => data.featuresByContribution(knex, ids)),

    /** Every transparency indicator: a short list, one statement, not batched. */
    indicators: () => data.indicators(knex),
    indicatorValues: new DataLoader<string, data.IndicatorValueRecord[]>((ids) => data.indicatorValues(knex, ids)),
    /** Every decision process: a short list, one statement, not batched. */
    decisionProcesses: () => data.decisionProcesses(knex),
    decisionProcess: new DataLoader<string, data.DecisionProcessRecord | null>(async (ids) => {
      const byId = new Map((await data.decisionProcesses(knex, ids)).map((process) => [process.id, process]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    decisionSteps: new DataLoader<string, data.DecisionStepRecord[]>((ids) => data.decisionSteps(knex, ids)),
    /** Every dataset request with its votes: bounded, one statement, not batched. */
    datasetRequests: () => data.datasetRequests(knex),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;

/** What the community's resolvers receive. */
export type Context = ProducerContext<Loaders>;
