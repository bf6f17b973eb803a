import DataLoader from 'dataloader';
import type { Knex } from 'knex';
import type { Database } from '../../lib/db.ts';
import type { ProducerContext } from '../../lib/producer.ts';
import * as data from './datasource.ts';
import { groupBy } from '../../lib/batch.ts';

/** One territory's values under one filter; territories sharing the filter are fetched together. */
export interface HealthKey extends data.HealthFilter {
  code: string;
}

const filterKey = (key: data.HealthFilter) => JSON.stringify([key.indicator, key.period]);
const cacheKey = (key: HealthKey) => JSON.stringify([key.code, key.indicator, key.period]);

/**
 * A loader of per-territory value lists: keys are grouped by filter and each group is one SQL statement,
 * so N territories asked with the same arguments cost exactly one statement.
 */
function valuesLoader<T extends { territoryCode: string }>(
  knex: Knex,
  fetch: (knex: Knex, codes: readonly string[], filter: data.HealthFilter) => Promise<T[]>,
) {
  return new DataLoader<HealthKey, T[], string>(
    async (keys) => {
      const groups = groupBy(keys, filterKey);
      const results = new Map<string, T[]>();
      for (const group of groups.values()) {
        const [{ indicator, period }] = group as [HealthKey];
        const rows = await fetch(knex, group.map((key) => key.code), { indicator, period });
        for (const row of rows) {
          const key = cacheKey({ code: row.territoryCode, indicator, period });
          const list = results.get(key);
          if (list) list.push(row);
          else results.set(key, [row]);
        }
      }
      return keys.map((key) => results.get(cacheKey(key)) ?? []);
    },
    { cacheKeyFn: cacheKey },
  );
}

export function createLoaders(db: Database) {
  const { knex } = db;
  return {
    health: valuesLoader(knex, data.openValuesByCodes),
    healthDetailed: valuesLoader(knex, data.detailedValuesByCodes),
    indicators: new DataLoader<'all', data.IndicatorRow[]>(async (keys) => {
      const rows = await data.listIndicators(knex);
      return keys.map(() => rows);
    }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;

/** What ORSAL's resolvers receive. */
export type Context = ProducerContext<Loaders>;
