import type { Knex } from 'knex';
import { runStatements } from '../../../lib/migrate.ts';

export const name = '005_stored_area_and_l93';

/*
 * Two values every read of a territory recomputed from its outline are now stored with it, recomputed by
 * PostgreSQL whenever the outline changes (generated columns: no writer can forget them, none can set them):
 * - `area_km2`, the area on the spheroid: `ST_Area(geography)` of every row returned was most of the cost of a
 *   territory list (7.2 → 2.5 ms for a 2 km selection in Strasbourg returning 66 territories, warm);
 * - `geom_l93`, the outline in Lambert-93, indexed: the planar test of a point + radius selection (migration 004)
 *   no longer transforms each candidate's outline (2.5 → 0.55 ms for the same selection).
 * The values are the same expressions as before, so no answer changes.
 */
export async function up(knex: Knex): Promise<void> {
  await runStatements(
    knex,
    `alter table adeus.territory
       add column area_km2 numeric generated always as (round((ST_Area(geom::geography) / 1e6)::numeric, 3)) stored,
       add column geom_l93 geometry(MultiPolygon, 2154) generated always as (ST_Transform(geom, 2154)) stored;
     create index territory_geom_l93_stored on adeus.territory using gist (geom_l93);
     drop index adeus.territory_geom_l93;`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await runStatements(
    knex,
    `create index territory_geom_l93 on adeus.territory using gist (ST_Transform(geom, 2154));
     drop index adeus.territory_geom_l93_stored;
     alter table adeus.territory drop column geom_l93, drop column area_km2;`,
  );
}
