import fs from 'node:fs';
import type { Knex } from 'knex';
import type { Geometry, Position } from 'geojson';
import { buildSchema } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countStatements } from '../../lib/db.ts';
import { OPEN_CONTRACT_PATH } from '../../lib/paths.ts';
import { openTestDatabase } from '../support/database.ts';
import { gatewayQuery, testHub } from '../support/hub.ts';

/**
 * Geometries in Lambert-93 and CC48 (OGC API – Features Part 2's projected CRS for the territory): each
 * projected answer is PostGIS's own projection of the WGS84 answer, to the centimetre, and never finer than it.
 */
const SRID = { EPSG_2154: 2154, EPSG_3948: 3948 } as const;
type Projected = keyof typeof SRID;
const PROJECTED = Object.keys(SRID) as Projected[];

/** Where Strasbourg lies in each CRS, as PostGIS projects the commune's outline (metres, a few km of margin). */
const STRASBOURG_RANGE: Record<Projected, { x: [number, number]; y: [number, number] }> = {
  EPSG_2154: { x: [1_040_000, 1_060_000], y: [6_830_000, 6_850_000] },
  EPSG_3948: { x: [2_040_000, 2_060_000], y: [7_260_000, 7_285_000] },
};

let knex: Knex;

/** The same geometry's positions, however nested. */
function positions(geometry: Geometry): Position[] {
  if (geometry.type === 'GeometryCollection') return geometry.geometries.flatMap(positions);
  const flatten = (c: unknown): Position[] => (typeof (c as unknown[])[0] === 'number' ? [c as Position] : (c as unknown[]).flatMap(flatten));
  return flatten(geometry.coordinates);
}

/** PostGIS's projection of a WGS84 GeoJSON geometry, at full precision. */
async function project(geometry: Geometry, srid: number): Promise<Geometry> {
  const { rows } = await knex.raw('select ST_AsGeoJSON(ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON(?), 4326), ?::int), 9, 0) as g', [JSON.stringify(geometry), srid]);
  return JSON.parse(rows[0].g);
}

/** PostGIS's inverse: a projected GeoJSON geometry back to WGS84 longitude/latitude. */
async function unproject(geometry: Geometry, srid: number): Promise<Geometry> {
  const { rows } = await knex.raw('select ST_AsGeoJSON(ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON(?), ?::int), 4326), 9, 0) as g', [JSON.stringify(geometry), srid]);
  return JSON.parse(rows[0].g);
}

/** `answer` (the hub's projection of `wgs84`) is PostGIS's projection of it within 1 cm, in metres to 2 decimals at most. */
async function expectProjectionOf(answer: Geometry, wgs84: Geometry, crs: Projected): Promise<void> {
  expect(answer.type).toBe(wgs84.type);
  expect(answer).not.toHaveProperty('crs');
  const expected = positions(await project(wgs84, SRID[crs]));
  const actual = positions(answer);
  expect(actual).toHaveLength(expected.length);
  actual.forEach(([x, y], i) => {
    const [ex, ey] = expected[i]!;
    expect(Math.hypot(x! - ex!, y! - ey!)).toBeLessThanOrEqual(0.01);
    expect(Math.round(x! * 100) / 100).toBe(x);
    expect(Math.round(y! * 100) / 100).toBe(y);
  });
}

function expectInStrasbourg(geometry: Geometry, crs: Projected): void {
  const { x, y } = STRASBOURG_RANGE[crs];
  for (const [px, py] of positions(geometry)) {
    expect(px).toBeGreaterThan(x[0]);
    expect(px).toBeLessThan(x[1]);
    expect(py).toBeGreaterThan(y[0]);
    expect(py).toBeLessThan(y[1]);
  }
}

/** Each selection of `field` in WGS84 (default) and under the aliases l93 and cc48. */
const inEveryCrs = (field: string, args = '') =>
  `${field}${args ? `(${args})` : ''} l93: ${field}(${args ? `${args}, ` : ''}crs: EPSG_2154) cc48: ${field}(${args ? `${args}, ` : ''}crs: EPSG_3948)`;

interface InEveryCrs {
  l93: Geometry;
  cc48: Geometry;
}
const aliasOf: Record<Projected, keyof InEveryCrs> = { EPSG_2154: 'l93', EPSG_3948: 'cc48' };

beforeAll(async () => {
  await testHub();
  knex = (await openTestDatabase()).knex;
});

describe('a GIS user asks for geometries in Lambert-93 or CC48, anonymously', () => {
  it("reads Strasbourg's centre in the three CRS: the WGS84 one unchanged, the projected ones PostGIS's projection of it", async () => {
    const { data, errors } = await gatewayQuery(`{ territory(code: "67482") { ${inEveryCrs('centre')} wgs84: centre(crs: EPSG_4326) } }`);
    expect(errors).toBeUndefined();
    const { centre, wgs84 } = data.territory;
    expect(centre.type).toBe('Point');
    expect(wgs84).toEqual(centre);
    for (const crs of PROJECTED) {
      await expectProjectionOf(data.territory[aliasOf[crs]], centre, crs);
      expectInStrasbourg(data.territory[aliasOf[crs]], crs);
    }
  });

  it("projects Strasbourg's outline as simplified in WGS84: simplifyMeters still applies", async () => {
    const { data, errors } = await gatewayQuery(`{ territory(code: "67482") { full: geometry(crs: EPSG_2154) ${inEveryCrs('geometry', 'simplifyMeters: 200')} } }`);
    expect(errors).toBeUndefined();
    const { geometry, full } = data.territory;
    expect(geometry.type).toBe('MultiPolygon');
    expect(positions(full).length).toBeGreaterThan(positions(geometry).length);
    for (const crs of PROJECTED) {
      await expectProjectionOf(data.territory[aliasOf[crs]], geometry, crs);
      expectInStrasbourg(data.territory[aliasOf[crs]], crs);
    }
  });

  it('reads the station STG Nord in the three CRS', async () => {
    const { data, errors } = await gatewayQuery(`{ airStation(id: "FR16029") { ${inEveryCrs('location')} } }`);
    expect(errors).toBeUndefined();
    const station = data.airStation;
    expect(station.location).toEqual({ type: 'Point', coordinates: [7.781631, 48.610363] });
    expect(station.l93).toEqual({ type: 'Point', coordinates: [expect.closeTo(1_052_288.62, 2), expect.closeTo(6_845_132.72, 2)] });
    for (const crs of PROJECTED) {
      await expectProjectionOf(station[aliasOf[crs]], station.location, crs);
      expectInStrasbourg(station[aliasOf[crs]], crs);
    }
  });

  it("reads every groundwater point in the three CRS, a blurred well at its commune's chief town as published", async () => {
    const { data, errors } = await gatewayQuery(`{ groundwaterPoints { id locationPrecision ${inEveryCrs('location')} } }`);
    expect(errors).toBeUndefined();
    expect(data.groundwaterPoints.length).toBeGreaterThan(10);
    expect(data.groundwaterPoints.map((p: { locationPrecision: string }) => p.locationPrecision)).toContain('COMMUNE_CENTRE');
    for (const point of data.groundwaterPoints) {
      for (const crs of PROJECTED) await expectProjectionOf(point[aliasOf[crs]], point.location, crs);
    }
  });

  it('reads citizen sensors in the three CRS', async () => {
    const { data, errors } = await gatewayQuery(`{ sensors(first: 20) { edges { node { id ${inEveryCrs('location')} } } } }`);
    expect(errors).toBeUndefined();
    const sensors = data.sensors.edges.map((edge: { node: unknown }) => edge.node);
    expect(sensors).toHaveLength(20);
    for (const sensor of sensors) {
      for (const crs of PROJECTED) await expectProjectionOf(sensor[aliasOf[crs]], sensor.location, crs);
    }
  });

  it("reads an area's shape in Lambert-93 while every producer still joins on its WGS84 shape", async () => {
    const select = '{ point: { lon: 7.7521, lat: 48.5734 }, radiusMeters: 2000 }';
    const joins = 'territories { code } airStations { id } sensors { id } groundwaterPoints { id }';
    const plain = await gatewayQuery(`{ area(select: ${select}) { geometry ${joins} } }`);
    const projected = await gatewayQuery(`{ area(select: ${select}) { l93: geometry(crs: EPSG_2154) ${joins} geometry } }`);
    expect(plain.errors).toBeUndefined();
    expect(projected.errors).toBeUndefined();
    const { l93, ...rest } = projected.data.area;
    expect(rest).toEqual(plain.data.area);
    expect(plain.data.area.airStations).toEqual([{ id: 'FR16034' }, { id: 'FR16040' }, { id: 'FR42010' }]);
    await expectProjectionOf(l93, plain.data.area.geometry, 'EPSG_2154');
    expectInStrasbourg(l93, 'EPSG_2154');
  });

  it('projects a whole list in one statement per CRS, and asks nothing more for WGS84', async () => {
    const hub = await testHub();
    const statements = async (query: string) => {
      // From a cold entity cache: what the subgraphs do when asked.
      hub.entityCache?.clear();
      const counters = ['atmo', 'aprona'].map((name) => countStatements(hub.subgraph(name).db.knex));
      const { errors } = await gatewayQuery(query);
      counters.forEach((counter) => counter.stop());
      expect(errors).toBeUndefined();
      return counters.map((counter) => counter.sql);
    };
    const wgs84 = await statements('{ groundwaterPoints { location } airStations { location } }');
    const projected = await statements(`{ groundwaterPoints { ${inEveryCrs('location')} } airStations { ${inEveryCrs('location')} } }`);
    // One list statement per producer; then one projection per producer and projected CRS, whatever the number of points.
    expect(wgs84.map((sql) => sql.length)).toEqual([1, 1]);
    expect(projected.map((sql) => sql.length)).toEqual([3, 3]);
    for (const sql of projected) expect(sql.filter((s) => /ST_Transform/.test(s))).toHaveLength(2);
  });

  it('refuses a CRS the hub does not serve, before any producer is asked (HTTP 400)', async () => {
    const { gatewayUrl } = await testHub();
    for (const query of ['{ territory(code: "67482") { centre(crs: EPSG_3857) } }', '{ airStation(id: "FR16029") { location(crs: "EPSG_2154") } }']) {
      const response = await fetch(gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
      expect(response.status).toBe(400);
      const body = (await response.json()) as { errors: { extensions: { code: string } }[]; data?: unknown };
      expect(body.data).toBeUndefined();
      expect(body.errors[0]!.extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    }
  });

  it('keeps `crs` in the open contract, on every geometry an anonymous caller reads', () => {
    const schema = buildSchema(fs.readFileSync(OPEN_CONTRACT_PATH, 'utf8'));
    const fields: [string, string][] = [['Territory', 'geometry'], ['Territory', 'centre'], ['Area', 'geometry'], ['AirStation', 'location'], ['CitizenSensor', 'location'], ['GroundwaterPoint', 'location']];
    for (const [type, field] of fields) {
      const crs = (schema.getType(type) as import('graphql').GraphQLObjectType).getFields()[field]!.args.find((arg) => arg.name === 'crs');
      expect(crs?.type.toString(), `${type}.${field}`).toBe('CoordinateReferenceSystem');
      expect(crs?.defaultValue).toBe('EPSG_4326');
    }
    expect((schema.getType('CoordinateReferenceSystem') as import('graphql').GraphQLEnumType).getValues().map((v) => v.name)).toEqual(['EPSG_4326', 'EPSG_2154', 'EPSG_3948']);
  });
});

describe("an attacker asks for a citizen sensor's location in a projected CRS to find the contributor's home", () => {
  // A home's exact point, stored unrounded (as a row written by a path that forgot to round would be).
  const SENSOR = 'sc-990000417';
  const HOME: [number, number] = [7.3625813, 48.7414127];
  const ROUNDED: [number, number] = [7.363, 48.741];

  beforeAll(async () => {
    await knex('community.sensor').insert({
      id: SENSOR,
      sensor_type: 'SDS011',
      measures: ['P1', 'P2'],
      geom: knex.raw('ST_SetSRID(ST_MakePoint(?, ?), 4326)', HOME),
      status: 'VALIDATED',
      producer_kind: 'CITIZEN',
      producer_name: 'Citizens of the TIGA territory',
      licence: 'ODBL',
      source: 'test/contract/crs.test.ts',
      synthetic: true,
    });
  });

  afterAll(async () => {
    await knex('community.sensor').where('id', SENSOR).delete();
  });

  it('gets, in every CRS, the point rounded to about 100 m and never the home', async () => {
    const { data, errors } = await gatewayQuery(`{ sensor(id: "${SENSOR}") { ${inEveryCrs('location')} wgs84: location(crs: EPSG_4326) } }`);
    expect(errors).toBeUndefined();
    const { location, wgs84 } = data.sensor;
    expect(location).toEqual({ type: 'Point', coordinates: ROUNDED });
    expect(wgs84).toEqual(location);
    for (const crs of PROJECTED) {
      const answer: Geometry = data.sensor[aliasOf[crs]];
      // The projection of the rounded point, to the centimetre …
      await expectProjectionOf(answer, location, crs);
      // … which, brought back to WGS84, is the rounded point (to 1e-7°, about 1 cm), …
      const [lon, lat] = positions(await unproject(answer, SRID[crs]))[0]!;
      expect(lon).toBeCloseTo(ROUNDED[0], 7);
      expect(lat).toBeCloseTo(ROUNDED[1], 7);
      // … about 55 m from the home, as far as the WGS84 answer is.
      const [homeX, homeY] = positions(await project({ type: 'Point', coordinates: HOME }, SRID[crs]))[0]!;
      const [x, y] = positions(answer)[0]!;
      expect(Math.hypot(x! - homeX!, y! - homeY!)).toBeGreaterThan(40);
    }
  });
});
