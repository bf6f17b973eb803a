import DataLoader from 'dataloader';
import type { Database } from '../../lib/db.ts';
import type { ProducerContext } from '../../lib/producer.ts';
import { selectorKey, type AreaRepresentation } from '../../lib/geo.ts';
import * as data from './datasource.ts';
import { groupBy } from '../../lib/batch.ts';
import { createProjectionLoader } from '../../lib/crs.ts';

/** A territory's daily indices over one validated date range, of one publication kind or the best of each day. */
export interface AirQualityKey {
  code: string;
  from: string;
  to: string;
  kind: data.DailyIndexGroup['kind'];
}

export function createLoaders(db: Database) {
  const { knex } = db;

  const station = new DataLoader<string, data.StationRow | null>(async (codes) => {
    const rows = await data.stationsByCodes(knex, codes);
    const byCode = new Map(rows.map((row) => [row.code, row]));
    return codes.map((code) => byCode.get(code) ?? null);
  });

  // Stations reached through a list are already complete: later references to them cost no statement.
  const primed = (rows: data.StationRow[]) => {
    for (const row of rows) station.prime(row.code, row);
    return rows;
  };

  let everyStation: Promise<data.StationRow[]> | undefined;

  return {
    station,

    /** Every station, read once per request. */
    allStations: () => (everyStation ??= data.allStations(knex).then(primed)),

    territoryStations: new DataLoader<string, data.StationRow[]>(async (codes) => {
      const rows = primed(await data.stationsOfTerritories(knex, codes));
      return codes.map((code) => rows.filter((row) => row.commune_code === code || row.epci_code === code));
    }),

    areaStations: new DataLoader<AreaRepresentation, data.StationRow[], string>(
      async (areas) => {
        const rows = await data.stationsInAreas(knex, areas);
        primed(rows);
        return areas.map((_, index) => rows.filter((row) => row.area_index === index));
      },
      // The shape is part of the key: a direct caller may send one selector with two different geometries.
      { cacheKeyFn: (area) => `${selectorKey(area.selector)}|${JSON.stringify(area.geometry)}` },
    ),

    airQuality: new DataLoader<AirQualityKey, data.DailyIndexRow[], string>(
      async (keys) => {
        const ranges = [...groupBy(keys, (key) => `${key.from}|${key.to}|${key.kind}`)];
        const list: data.DailyIndexGroup[] = ranges.map(([, group]) => ({ codes: group.map((key) => key.code), from: group[0]!.from, to: group[0]!.to, kind: group[0]!.kind }));
        const rows = await data.dailyIndices(knex, list);
        const index = new Map(ranges.map(([range], i) => [range, i]));
        return keys.map((key) => {
          const group = index.get(`${key.from}|${key.to}|${key.kind}`);
          return rows.filter((row) => row.group_index === group && row.code_zone === key.code);
        });
      },
      { cacheKeyFn: (key) => `${key.code}|${key.from}|${key.to}|${key.kind}` },
    ),

    measurements: new DataLoader<data.MeasurementPageQuery, data.MeasurementRow[], string>(
      (pages) => data.measurementPages(knex, pages),
      { cacheKeyFn: (page) => JSON.stringify(page) },
    ),

    /** Station locations (published in WGS84) in another CRS: one statement per CRS. */
    projection: createProjectionLoader(knex),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;

/** What ATMO's resolvers receive. */
export type Context = ProducerContext<Loaders>;
