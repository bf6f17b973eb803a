import { beforeAll, describe, expect, it } from 'vitest';
import type { Knex } from 'knex';
import { rng } from '../../seeds/random.ts';
import { territoriesInAreas } from '../../subgraphs/adeus/datasource.ts';
import { testHub } from '../support/hub.ts';

/**
 * A point + radius selection answers exactly the territories the spheroid puts within the radius, though it
 * decides most of them in the plane (Lambert-93): the same codes as `ST_DWithin` on geography alone, for points
 * and radii all over the territory, radii that graze an outline, and points outside Lambert-93's domain.
 */
let knex: Knex;
beforeAll(async () => {
  knex = (await testHub()).subgraph('adeus').db.knex;
});

async function spheroidOnly(lon: number, lat: number, radius: number): Promise<string[]> {
  const rows = await knex('adeus.territory').select('code').whereRaw('ST_DWithin(geom::geography, ST_SetSRID(ST_MakePoint(?, ?), 4326)::geography, ?)', [lon, lat, radius]).orderBy('code');
  return rows.map((row: { code: string }) => row.code).sort((a, b) => a.localeCompare(b));
}

async function selected(lon: number, lat: number, radius: number): Promise<string[]> {
  const rows = await territoriesInAreas(knex, [{ selector: { point: { lon, lat }, radiusMeters: radius }, geometry: null as never }], null);
  return rows.map((row) => row.code);
}

describe('a point and a radius select what the spheroid selects', () => {
  it('for 120 points and radii drawn over the territory and around it', async () => {
    const random = rng('area-radius');
    for (let i = 0; i < 120; i++) {
      const lon = 7.2 + random() * 0.9;
      const lat = 48.3 + random() * 0.6;
      const radius = 10 + random() * (i % 3 === 0 ? 50_000 : 4_000);
      expect(await selected(lon, lat, radius), `${lon}, ${lat}, ${radius} m`).toEqual(await spheroidOnly(lon, lat, radius));
    }
  });

  it('when the radius grazes an outline: a metre short of a commune, and just reaching it', async () => {
    const point = { lon: 7.75, lat: 48.58 };
    const [nearest] = (await knex.raw(
      `select code, ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint(?, ?), 4326)::geography) as metres from adeus.territory where kind = 'COMMUNE' and ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint(?, ?), 4326)::geography) > 3000 order by metres limit 1`,
      [point.lon, point.lat, point.lon, point.lat],
    )).rows as { code: string; metres: number }[];
    const { code, metres } = nearest!;
    const short = await selected(point.lon, point.lat, metres - 1);
    const reaching = await selected(point.lon, point.lat, metres + 0.01);
    expect(short).not.toContain(code);
    expect(reaching).toContain(code);
    expect(short).toEqual(await spheroidOnly(point.lon, point.lat, metres - 1));
    expect(reaching).toEqual(await spheroidOnly(point.lon, point.lat, metres + 0.01));
  });

  it('outside Lambert-93\'s domain, the spheroid alone answers', async () => {
    expect(await selected(20, 10, 50_000)).toEqual([]);
  });
});

describe('the stored area and Lambert-93 outline follow the outline they come from', () => {
  it('after an outline moves, its area is the spheroid\'s and a radius selection finds it where it now is', async () => {
    const trx = await knex.transaction();
    try {
      const [commune] = (await trx('adeus.territory').select('code').where('kind', 'COMMUNE').orderBy('code').limit(1)) as { code: string }[];
      // Moved 0.3° east and scaled up 1.5× around its centroid: a new place and a new area.
      await trx.raw(
        `update adeus.territory set geom = ST_Multi(ST_Translate(ST_Scale(geom, ST_MakePoint(1.5, 1.5), ST_Centroid(geom)), 0.3, 0)) where code = ?`,
        [commune!.code],
      );
      const row = (await trx.raw(
        `select area_km2::float8 as stored, round((ST_Area(geom::geography) / 1e6)::numeric, 3)::float8 as computed, ST_X(ST_Centroid(geom)) as lon, ST_Y(ST_Centroid(geom)) as lat from adeus.territory where code = ?`,
        [commune!.code],
      )).rows[0] as { stored: number; computed: number; lon: number; lat: number };
      expect(row.stored).toBe(row.computed);
      const inTrx = async (radius: number) => (await territoriesInAreas(trx, [{ selector: { point: { lon: row.lon, lat: row.lat }, radiusMeters: radius }, geometry: null as never }], null)).map((r) => r.code);
      const spheroid = async (radius: number) =>
        ((await trx('adeus.territory').select('code').whereRaw('ST_DWithin(geom::geography, ST_SetSRID(ST_MakePoint(?, ?), 4326)::geography, ?)', [row.lon, row.lat, radius])) as { code: string }[])
          .map((r) => r.code)
          .sort((a, b) => a.localeCompare(b));
      expect(await inTrx(100)).toContain(commune!.code);
      expect(await inTrx(100)).toEqual(await spheroid(100));
      expect(await inTrx(5_000)).toEqual(await spheroid(5_000));
    } finally {
      await trx.rollback();
    }
  });
});
