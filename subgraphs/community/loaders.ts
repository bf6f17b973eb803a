import DataLoader from 'dataloader';
import type { Database } from '../../lib/db.ts';
import { selectorKey, type AreaRepresentation } from '../../lib/geo.ts';
import {
  assertAreaUsable,
  contributorsByIds,
  datasetPages,
  datasetsByIds,
  readingsForWindows,
  sensorPages,
  sensorsByIds,
  sensorsInAreas,
  type ContributorRecord,
  type DatasetRecord,
  type PageWindow,
  type ReadingRecord,
  type ReadingWindow,
  type SensorRecord,
  contributionsByIds,
  historiesByContribution,
  featuresByContribution,
  qualityBySensor,
  type ContributionRecord,
  type StatusChangeRecord,
  type FeatureRecord,
  type QualityRecord,
  indicatorValues,
  decisionSteps,
} from './datasource.ts';

/** A readings request for one sensor; keys with the same window share one part of the statement. */
export interface ReadingKey extends ReadingWindow {
  sensorId: string;
}

export interface Loaders {
  sensor: DataLoader<string, SensorRecord | null>;
  sensorsInArea: DataLoader<AreaRepresentation, SensorRecord[], string>;
  sensorPage: DataLoader<PageWindow, SensorRecord[], string>;
  readings: DataLoader<ReadingKey, ReadingRecord[], string>;
  contributor: DataLoader<number, ContributorRecord | null>;
  dataset: DataLoader<string, DatasetRecord | null>;
  datasetPage: DataLoader<PageWindow, DatasetRecord[], string>;
  contribution: DataLoader<string, ContributionRecord | null>;
  history: DataLoader<string, StatusChangeRecord[]>;
  features: DataLoader<string, FeatureRecord[]>;
  quality: DataLoader<string, QualityRecord | null>;
  indicatorValues: DataLoader<string, { period: string; value: number }[]>;
  decisionSteps: DataLoader<string, Awaited<ReturnType<typeof decisionSteps>>[number]>;
  /** Writes and lists are not batched; they go through the request's database like the loaders. */
  db: Database;
}

const windowKey = (w: ReadingWindow) => JSON.stringify([w.from, w.toExclusive, w.limit, w.after ?? null, w.raw]);

async function loadReadings(db: Database, keys: readonly ReadingKey[]): Promise<ReadingRecord[][]> {
  const groups = new Map<string, { window: ReadingWindow; sensorIds: string[] }>();
  for (const key of keys) {
    const { sensorId, ...window } = key;
    const group = groups.get(windowKey(window)) ?? { window, sensorIds: [] };
    group.sensorIds.push(sensorId);
    groups.set(windowKey(window), group);
  }
  const list = [...groups.values()];
  const results = await readingsForWindows(db.knex, list);
  const bySensorAndWindow = new Map<string, ReadingRecord[]>();
  list.forEach((group, index) => {
    for (const id of group.sensorIds) bySensorAndWindow.set(`${id}|${windowKey(group.window)}`, []);
    for (const reading of results[index] ?? []) {
      bySensorAndWindow.get(`${reading.sensorId}|${windowKey(group.window)}`)?.push(reading);
    }
  });
  return keys.map(({ sensorId, ...window }) => bySensorAndWindow.get(`${sensorId}|${windowKey(window)}`) ?? []);
}

/** Invalid representations fail alone (as errors); the valid ones share one statement. */
async function loadSensorsInAreas(db: Database, areas: readonly AreaRepresentation[]): Promise<(SensorRecord[] | Error)[]> {
  const checked = areas.map((area) => {
    try {
      assertAreaUsable(db.knex, area);
      return area;
    } catch (error) {
      return error as Error;
    }
  });
  const valid = checked.filter((area): area is AreaRepresentation => !(area instanceof Error));
  const found = valid.length > 0 ? await sensorsInAreas(db.knex, valid) : [];
  let next = 0;
  return checked.map((area) => (area instanceof Error ? area : (found[next++] ?? [])));
}

export function createLoaders(db: Database): Loaders {
  return {
    sensor: new DataLoader((ids) => sensorsByIds(db.knex, ids)),
    sensorsInArea: new DataLoader((areas) => loadSensorsInAreas(db, areas), {
      cacheKeyFn: (area) => selectorKey(area.selector),
    }),
    sensorPage: new DataLoader((windows) => sensorPages(db.knex, windows), { cacheKeyFn: (w) => JSON.stringify(w) }),
    readings: new DataLoader((keys) => loadReadings(db, keys), {
      cacheKeyFn: (key) => `${key.sensorId}|${windowKey(key)}`,
    }),
    contributor: new DataLoader((ids) => contributorsByIds(db.knex, ids)),
    dataset: new DataLoader((ids) => datasetsByIds(db.knex, ids)),
    datasetPage: new DataLoader((windows) => datasetPages(db.knex, windows), { cacheKeyFn: (w) => JSON.stringify(w) }),
    contribution: new DataLoader((ids) => contributionsByIds(db.knex, ids)),
    history: new DataLoader((ids) => historiesByContribution(db.knex, ids)),
    features: new DataLoader((ids) => featuresByContribution(db.knex, ids)),
    quality: new DataLoader((ids) => qualityBySensor(db.knex, ids)),
    indicatorValues: new DataLoader((ids) => indicatorValues(db.knex, ids)),
    decisionSteps: new DataLoader((ids) => decisionSteps(db.knex, ids)),
    db,
  };
}
