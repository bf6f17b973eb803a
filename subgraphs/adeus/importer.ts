import type { Knex } from 'knex';
import type { OfficialGeography } from './referential.ts';

/** Radius of the approximate cell drawn around a commune centre when no outline exists, in metres. */
const FALLBACK_CELL_RADIUS_METERS = 4000;

const multi = (knex: Knex, geometry: unknown) =>
  knex.raw('ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(?), 4326))', [JSON.stringify(geometry)]);

/**
 * Loads a territorial referential into adeus.territory: EPCI, then communes, then IRIS, upserted on their
 * codes so a re-import changes nothing. EPCI outlines are the union of their communes. Without commune
 * outlines, each commune gets an approximate cell (its Voronoi cell among commune centres, cut to a disc
 * around its centre), flagged `approximate` with the reason in `source`.
 */
export async function importReferential(knex: Knex, referential: OfficialGeography): Promise<{ territories: number }> {
  return knex.transaction(async (trx) => {
    const source = referential.sourceLabel;
    const approximate = referential.source === 'fallback';
    const upsert = (rows: Record<string, unknown>[]) =>
      rows.length
        ? trx('adeus.territory').insert(rows).onConflict('code').merge(['kind', 'name', 'population', 'parent_code', 'geom', 'centre', 'approximate', 'source', 'updated_at'])
        : Promise.resolve();

    await upsert(
      referential.epcis.map((e) => ({ code: e.code, kind: 'EPCI', name: e.name, population: e.population, parent_code: null, approximate, source, updated_at: trx.fn.now() })),
    );
    await upsert(
      referential.communes.map((c) => ({
        code: c.code,
        kind: 'COMMUNE',
        name: c.name,
        population: c.population,
        parent_code: c.epci,
        geom: c.geometry ? multi(trx, c.geometry) : null,
        centre: trx.raw('ST_SetSRID(ST_MakePoint(?, ?), 4326)', c.centre),
        approximate,
        source,
        updated_at: trx.fn.now(),
      })),
    );
    if (approximate) await drawApproximateCells(trx);
    for (let i = 0; i < referential.iris.length; i += 50) {
      await upsert(
        referential.iris.slice(i, i + 50).map((iris) => ({
          code: iris.code,
          kind: 'IRIS',
          name: iris.name,
          population: null,
          parent_code: iris.commune,
          geom: multi(trx, iris.geometry),
          centre: trx.raw('ST_PointOnSurface(ST_SetSRID(ST_GeomFromGeoJSON(?), 4326))', [JSON.stringify(iris.geometry)]),
          approximate: false,
          source: `${source} (IRIS ${iris.irisType})`,
          updated_at: trx.fn.now(),
        })),
      );
    }
    // Real outlines: the centre is a point guaranteed inside the commune (a centroid may fall outside).
    await trx.raw(`update adeus.territory set centre = ST_PointOnSurface(geom) where kind = 'COMMUNE' and geom is not null and not approximate`);
    await trx.raw(`
      update adeus.territory epci set geom = members.geom, centre = ST_PointOnSurface(members.geom)
      from (select parent_code, ST_Multi(ST_Union(geom)) as geom from adeus.territory where kind = 'COMMUNE' group by parent_code) members
      where epci.kind = 'EPCI' and epci.code = members.parent_code`);
    const row = await trx('adeus.territory').count({ count: '*' }).first();
    return { territories: Number(row?.count) };
  });
}

async function drawApproximateCells(trx: Knex.Transaction): Promise<void> {
  await trx.raw(
    `
    with centres as (select code, centre from adeus.territory where kind = 'COMMUNE' and geom is null),
    cells as (
      select (ST_Dump(ST_VoronoiPolygons(ST_Collect(centre), 0, ST_Expand(ST_Collect(centre), 0.5)))).geom as cell
      from centres
    )
    update adeus.territory t
    set geom = ST_Multi(ST_CollectionExtract(ST_Intersection(c.cell, ST_Buffer(t.centre::geography, ?)::geometry), 3))
    from cells c
    where t.kind = 'COMMUNE' and t.geom is null and ST_Contains(c.cell, t.centre)`,
    [FALLBACK_CELL_RADIUS_METERS],
  );
}
