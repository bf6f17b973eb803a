import type { Knex } from 'knex';
import { importReferential } from '../subgraphs/adeus/importer.ts';
import type { SeedReport, Seeder } from './types.ts';
import { centreOf, type Referential } from './referential.ts';
import { gaussian, metresBetween, rng, round } from './random.ts';

export const ADEUS_SYNTHETIC_SOURCE = 'TIGA synthetic seed v1 (not real ADEUS data)';
const STRASBOURG_CENTRE: [number, number] = [7.7521, 48.5734];
const YEARS = [2021, 2022, 2023, 2024];

/**
 * Urbanity in 0..1 from the distance to Strasbourg's centre: 1 in the centre, ~0 beyond 15 km.
 * The synthetic indicators follow it, so the map looks like an agglomeration (dense, paved, cycled
 * centre; green rural Pays de Saverne).
 */
function urbanity(centre: [number, number]): number {
  return Math.exp(-metresBetween(centre, STRASBOURG_CENTRE) / 6000);
}

function indicatorsFor(code: string, centre: [number, number]) {
  const random = rng(`adeus:urban:${code}`);
  const u = urbanity(centre);
  const green = Math.min(92, Math.max(8, 75 - 55 * u + 6 * gaussian(random)));
  const impervious = Math.min(90, Math.max(3, 100 - green - 4 - 3 * random()));
  const canopy = Math.max(2, green * (0.35 + 0.15 * random()));
  const cycle = Math.max(0.05, 0.3 + 3.2 * u + 0.3 * gaussian(random));
  return YEARS.map((year, i) => ({
    territory_code: code,
    year,
    green_space_share: round(green + 0.2 * i, 1),
    impervious_share: round(impervious + 0.1 * i, 1),
    tree_canopy_share: round(canopy + 0.1 * i, 1),
    cycle_lane_density: round(cycle * (1 + 0.04 * i), 2),
    source: ADEUS_SYNTHETIC_SOURCE,
    synthetic: true,
  }));
}

async function seedUrbanIndicators(trx: Knex.Transaction, referential: Referential): Promise<number> {
  const places: { code: string; centre: [number, number] }[] = [
    ...referential.communes.map((c) => ({ code: c.code, centre: c.centre })),
    ...referential.iris.map((i) => ({ code: i.code, centre: centreOf(i.geometry) })),
  ];
  const rows = places.flatMap((p) => indicatorsFor(p.code, p.centre));
  await trx.batchInsert('adeus.urban_indicator', rows, 1000);
  // EPCI values are the surface-weighted mean of their communes, so the two levels never disagree.
  await trx.raw(`
    insert into adeus.urban_indicator (territory_code, year, green_space_share, impervious_share, tree_canopy_share, cycle_lane_density, source, synthetic)
    select c.parent_code, u.year,
      round((sum(u.green_space_share * ST_Area(c.geom::geography)) / sum(ST_Area(c.geom::geography)))::numeric, 1),
      round((sum(u.impervious_share * ST_Area(c.geom::geography)) / sum(ST_Area(c.geom::geography)))::numeric, 1),
      round((sum(u.tree_canopy_share * ST_Area(c.geom::geography)) / sum(ST_Area(c.geom::geography)))::numeric, 1),
      round((sum(u.cycle_lane_density * ST_Area(c.geom::geography)) / sum(ST_Area(c.geom::geography)))::numeric, 2),
      ?, true
    from adeus.urban_indicator u join adeus.territory c on c.code = u.territory_code and c.kind = 'COMMUNE'
    group by c.parent_code, u.year`, [ADEUS_SYNTHETIC_SOURCE]);
  // Density is real arithmetic on real inputs (INSEE population, outline area); only IRIS lack a population.
  await trx.raw(`
    update adeus.urban_indicator u set population_density = round((t.population / (ST_Area(t.geom::geography) / 1e6))::numeric, 1)
    from adeus.territory t where t.code = u.territory_code and t.population is not null and t.geom is not null`);
  const row = await trx('adeus.urban_indicator').count({ count: '*' }).first();
  return Number(row?.count);
}

/** The referential through the ADEUS importer, then synthetic urban indicators on it. */
export const seedAdeus: Seeder = async (knex, referential): Promise<SeedReport> => {
  const existing = await knex('adeus.territory').count({ count: '*' }).first();
  if (Number(existing?.count) > 0) return { subgraph: 'adeus', rows: {} };
  const { territories } = await importReferential(knex, referential);
  const urban = await knex.transaction((trx) => seedUrbanIndicators(trx, referential));
  return { subgraph: 'adeus', rows: { territory: territories, urban_indicator: urban } };
};
