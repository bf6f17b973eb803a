import DataLoader from 'dataloader';
import type { Database } from '../../lib/db.ts';
import type { ProducerContext } from '../../lib/producer.ts';
import { selectorKey, type AreaRepresentation } from '../../lib/geo.ts';
import * as data from './datasource.ts';
import { statusOf, type Status } from './status.ts';
import { createProjectionLoader } from '../../lib/crs.ts';

export function createLoaders(db: Database) {
  const { knex } = db;

  const point = new DataLoader<string, data.PointRow | null>(async (ids) => {
    const byId = new Map((await data.pointsByIds(knex, ids)).map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id) ?? null);
  });
  // Points reached through a list are complete: later references to them cost no statement.
  const primed = <T extends data.PointRow>(rows: T[]) => {
    for (const row of rows) point.prime(row.id, row);
    return rows;
  };

  let parameters: Promise<Map<string, data.ParameterRow>> | undefined;
  const parameterMap = () => (parameters ??= data.listParameters(knex).then((rows) => new Map(rows.map((row) => [row.code, row]))));
  let everyPoint: Promise<data.PointRow[]> | undefined;

  return {
    point,
    /** Every point, read once per request. */
    allPoints: () => (everyPoint ??= data.allPoints(knex).then(primed)),
    /** The parameter catalogue, read once per request. */
    parameters: parameterMap,

    communePoints: new DataLoader<string, data.PointRow[]>(async (codes) => {
      const rows = primed(await data.pointsOfCommunes(knex, codes));
      return codes.map((code) => rows.filter((row) => row.commune_code === code));
    }),

    areaPoints: new DataLoader<AreaRepresentation, data.PointRow[], string>(
      async (areas) => {
        const rows = primed(await data.pointsInAreas(knex, areas));
        return areas.map((_, index) => rows.filter((row) => row.area_index === index));
      },
      // The shape is part of the key: a direct caller may send one selector with two different geometries.
      { cacheKeyFn: (area) => `${selectorKey(area.selector)}|${JSON.stringify(area.geometry)}` },
    ),

    analyses: new DataLoader<data.AnalysisPageQuery, data.AnalysisRow[], string>((pages) => data.analysisPages(knex, pages), {
      cacheKeyFn: (page) => JSON.stringify(page),
    }),

    /** Point locations (published in WGS84) in another CRS: one statement per CRS. */
    projection: createProjectionLoader(knex),

    status: new DataLoader<string, Status>(async (ids) => {
      const [params, { latest, lastPesticideSample }] = await Promise.all([parameterMap(), data.latestAnalyses(knex, ids)]);
      return ids.map((id) =>
        statusOf(
          params,
          latest.filter((a) => a.point_id === id),
          lastPesticideSample.filter((a) => a.point_id === id),
        ),
      );
    }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;

/** What APRONA's resolvers receive. */
export type Context = ProducerContext<Loaders>;
