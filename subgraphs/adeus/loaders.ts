import DataLoader from 'dataloader';
import type { Geometry } from 'geojson';
import type { Database } from '../../lib/db.ts';
import type { ProducerContext } from '../../lib/producer.ts';
import { selectorKey, type AreaRepresentation, type AreaSelector } from '../../lib/geo.ts';
import { groupBy } from '../../lib/batch.ts';
import { createProjectionLoader, type Crs } from '../../lib/crs.ts';
import * as data from './datasource.ts';

export interface GeometryKey {
  code: string;
  simplifyMeters: number;
  crs: Crs;
}

const geometryGroup = (key: GeometryKey) => `${key.simplifyMeters}|${key.crs}`;

export interface UrbanKey {
  code: string;
  year: number | null;
}

export interface AreaTerritoriesKey {
  area: AreaRepresentation;
  kind: data.TerritoryKind | null;
}

export function createLoaders(db: Database) {
  const { knex } = db;
  return {
    /** Territories of one kind and parent: a bounded list, one statement, not batched. */
    territoryList: (filter: { kind?: data.TerritoryKind | null; parent?: string | null }) => data.listTerritories(knex, filter),
    /** The shape of an area selection (checked by PostGIS); one per request. */
    areaGeometry: (selector: AreaSelector) => data.resolveAreaGeometry(knex, selector),
    territory: new DataLoader<string, data.TerritoryRow | null>(async (codes) => {
      const rows = await data.territoriesByCodes(knex, codes);
      const byCode = new Map(rows.map((row) => [row.code, row]));
      return codes.map((code) => byCode.get(code) ?? null);
    }),

    children: new DataLoader<string, data.TerritoryRow[]>(async (codes) => {
      const rows = await data.childrenOf(knex, codes);
      return codes.map((code) => rows.filter((row) => row.parent_code === code));
    }),

    /** Outlines, one statement per tolerance and CRS asked in the request. */
    geometry: new DataLoader<GeometryKey, Geometry | null, string>(
      async (keys) => {
        const results = new Map<string, Geometry | null>();
        for (const [options, group] of groupBy(keys, geometryGroup)) {
          const { simplifyMeters, crs } = group[0]!;
          const rows = await data.geometriesByCodes(knex, group.map((key) => key.code), simplifyMeters, crs);
          for (const row of rows) results.set(`${row.code}|${options}`, row.geometry);
        }
        return keys.map((key) => results.get(`${key.code}|${geometryGroup(key)}`) ?? null);
      },
      { cacheKeyFn: (key) => `${key.code}|${geometryGroup(key)}` },
    ),

    /** Centres and area shapes (published in WGS84) in another CRS: one statement per CRS. */
    projection: createProjectionLoader(knex),

    urban: new DataLoader<UrbanKey, data.UrbanRow | null, string>(
      async (keys) => {
        const results = new Map<string, data.UrbanRow>();
        for (const [year, group] of groupBy(keys, (key) => key.year)) {
          const rows = await data.urbanByCodes(knex, group.map((key) => key.code), year);
          for (const row of rows) results.set(`${row.territory_code}|${year}`, row);
        }
        return keys.map((key) => results.get(`${key.code}|${key.year}`) ?? null);
      },
      { cacheKeyFn: (key) => `${key.code}|${key.year}` },
    ),

    areaTerritories: new DataLoader<AreaTerritoriesKey, data.TerritoryRow[], string>(
      async (keys) => {
        const results: data.TerritoryRow[][] = keys.map(() => []);
        for (const [kind, group] of groupBy(keys, (key) => key.kind)) {
          const rows = await data.territoriesInAreas(knex, group.map((key) => key.area), kind);
          for (const row of rows) results[keys.indexOf(group[row.area_index]!)]!.push(row);
        }
        return results;
      },
      { cacheKeyFn: (key) => `${selectorKey(key.area.selector)}|${key.kind}` },
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;

/** What ADEUS's resolvers receive. */
export type Context = ProducerContext<Loaders>;
