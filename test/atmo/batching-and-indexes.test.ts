import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { Knex } from 'knex';
import { countStatements } from '../../lib/db.ts';
import { rng } from '../../seeds/random.ts';
import { measurementPagesQuery, stationsInAreasQuery } from '../../subgraphs/atmo/datasource.ts';
import { startAtmo, boxPolygon, EUROMETROPOLE, STRASBOURG_CENTRE, type AtmoFixture } from './setup.ts';

let atmo: AtmoFixture;
let emsCommunes: string[];

beforeAll(async () => {
  atmo = await startAtmo();
  emsCommunes = atmo.referential.communes.filter((c) => c.epci === EUROMETROPOLE).map((c) => c.code);
});

afterAll(async () => {
  await atmo?.close();
});

/** Runs `operation` and returns the SQL statements it sent. */
async function statementsOf(operation: () => Promise<{ errors?: unknown }>): Promise<string[]> {
  const counter = countStatements(atmo.db.knex);
  try {
    const { errors } = await operation();
    expect(errors).toBeUndefined();
  } finally {
    counter.stop();
  }
  return counter.sql;
}

async function plan(knex: Knex, query: Knex.QueryBuilder | undefined): Promise<string> {
  const { sql, bindings } = query!.toSQL();
  const { rows } = await knex.raw(`explain ${sql}`, bindings as readonly Knex.Value[]);
  return (rows as Record<string, string>[]).map((row) => Object.values(row)[0]).join('\n');
}

const territories = (codes: string[]) => codes.map((code) => ({ __typename: 'Territory', code }));

describe('the gateway asks for many entities at once', () => {
  it('reads January 2025 for the 33 communes of the Eurométropole in exactly one SQL statement', async () => {
    expect(emsCommunes).toHaveLength(33);
    let days = 0;
    const sql = await statementsOf(async () => {
      const response = await atmo.entities(territories(emsCommunes), '... on Territory { airQuality(from: "2025-01-01", to: "2025-01-31") { date index label color } }');
      days = response.data?._entities.reduce((n: number, t: { airQuality: unknown[] }) => n + t.airQuality.length, 0);
      return response;
    });
    expect(days).toBe(33 * 31);
    expect(sql).toHaveLength(1);
  });

  it('still sends one statement when aliases ask for different date ranges', async () => {
    const sql = await statementsOf(() =>
      atmo.entities(
        territories(emsCommunes),
        '... on Territory { jan: airQuality(from: "2025-01-01", to: "2025-01-31") { index } jul: airQuality(from: "2024-07-01", to: "2024-07-31") { index } }',
      ),
    );
    expect(sql).toHaveLength(1);
  });

  it('lists the stations of 33 communes in one statement', async () => {
    const sql = await statementsOf(() => atmo.entities(territories(emsCommunes), '... on Territory { airStations { id name } }'));
    expect(sql).toHaveLength(1);
  });

  it('resolves N station references in one statement', async () => {
    const ids = atmo.referential.stations.map((s) => s.code);
    const sql = await statementsOf(() => atmo.entities(ids.map((id) => ({ __typename: 'AirStation', id })), '... on AirStation { id name location }'));
    expect(sql).toHaveLength(1);
  });

  it('answers three areas in one statement', async () => {
    const areas = [500, 2000, 8000].map((radiusMeters) => ({
      __typename: 'Area',
      selector: { point: STRASBOURG_CENTRE, radiusMeters },
      geometry: boxPolygon([7.6, 48.5, 7.9, 48.7]),
    }));
    let counts: number[] = [];
    const sql = await statementsOf(async () => {
      const response = await atmo.entities(areas, '... on Area { airStations { id } }');
      counts = response.data?._entities.map((a: { airStations: unknown[] }) => a.airStations.length);
      return response;
    });
    expect(sql).toHaveLength(1);
    expect(counts[0]).toBeLessThanOrEqual(counts[1]!);
    expect(counts[1]).toBeLessThanOrEqual(counts[2]!);
  });

  it('reads a page of measurements for every station with one statement for the list and one for all pages', async () => {
    const sql = await statementsOf(() =>
      atmo.query('{ airStations { id measurements(pollutant: NO2, from: "2025-01-15T00:00:00Z", to: "2025-01-15T23:00:00Z", first: 24) { edges { node { value } } } } }'),
    );
    expect(sql).toHaveLength(2);
  });
});

describe('the planner uses the indexes on its own', () => {
  it('reads a station’s time range through the (station, pollutant, time) and (station, time) indexes', async () => {
    const page = { station: 'FR16040', from: '2025-02-01T00:00:00.000Z', to: '2025-02-03T00:00:00.000Z', limit: 101, after: undefined, includeUnvalidated: false };
    const onePollutant = await plan(atmo.db.knex, measurementPagesQuery(atmo.db.knex, [{ ...page, pollutant: 'NO2' }]));
    const every = await plan(atmo.db.knex, measurementPagesQuery(atmo.db.knex, [{ ...page, pollutant: null }]));
    expect(onePollutant).toMatch(/Index Scan using measurement_pkey/);
    expect(every).toMatch(/Index Scan using measurement_station_time/);
  });

  it('finds stations in an area through the GiST indexes once the station table is large', async () => {
    // 20,000 extra stations across France, rolled back at the end, so the table is big enough for an index to pay.
    const random = rng('test:atmo:stations');
    const circle = { selector: { point: STRASBOURG_CENTRE, radiusMeters: 2000 }, geometry: boxPolygon([7.72, 48.55, 7.78, 48.6]) };
    const box = { selector: { bbox: [7.7, 48.55, 7.8, 48.62] }, geometry: boxPolygon([7.7, 48.55, 7.8, 48.62]) };
    const plans = await atmo.db.knex
      .transaction(async (trx) => {
        const rows = Array.from({ length: 20_000 }, (_, i) => ({
          code: `FR${String(50_000 + i)}`,
          name: `test station ${i}`,
          commune_code: '67482',
          geom: trx.raw('ST_SetSRID(ST_MakePoint(?, ?), 4326)', [-4 + 12 * random(), 43 + 8 * random()]),
          source: 'test fixture',
          synthetic: true,
        }));
        await trx.batchInsert('atmo.station', rows, 1000);
        await trx.raw('analyze atmo.station');
        const found = await plan(trx, stationsInAreasQuery(trx, [circle as never, box as never]));
        throw Object.assign(new Error('rollback'), { found });
      })
      .catch((error: { found?: string }) => {
        if (!error.found) throw error;
        return error.found;
      });
    expect(plans).toMatch(/Index Scan using station_geog|Bitmap Index Scan on station_geog/);
    expect(plans).toMatch(/Index Scan using station_geom|Bitmap Index Scan on station_geom/);
  });
});
