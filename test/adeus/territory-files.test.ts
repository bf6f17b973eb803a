import fs from 'node:fs';
import path from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { Database } from '../../lib/db.ts';
import type { IngestReport } from '../../lib/ingest/types.ts';
import { ingestFile } from '../../scripts/ingest.ts';
import { GEOJSON_TERRITORIES, MISLABELLED_TERRITORIES, SHAPEFILE_TERRITORIES, SOURCE, outline, type FixtureTerritory } from '../../subgraphs/adeus/samples/make-samples.ts';
import { bearer } from '../support/auth.ts';
import { gatewayQuery, testHub } from '../support/hub.ts';

/**
 * ADEUS sends its referential as its GIS exports it, in the Eurométropole's projection, CC48 (EPSG:3948):
 * a zipped shapefile (.prj as ArcGIS writes it, .dbf in Windows-1252 named by its .cpg) and a GeoJSON with
 * its crs. PostGIS reprojects; the outlines read back through the gateway are the WGS84 ones the fixtures
 * were projected from. A CC48 file labelled Lambert-93 would land in Poland: it is refused, saying so.
 * The codes are fictitious (9999x) and removed afterwards: the real referential is not touched.
 */
const SAMPLES = path.resolve(import.meta.dirname, '../../subgraphs/adeus/samples');
const CODES = [...SHAPEFILE_TERRITORIES, ...GEOJSON_TERRITORIES, ...MISLABELLED_TERRITORIES].map((t) => t.code);
const TERRITORY = 'query ($code: ID!) { territory(code: $code) { code kind name population parent { code } geometry } }';

type Ring = number[][];

/** A ring as a sorted list of its distinct vertices: a shapefile's outer rings run clockwise, GeoJSON's the other way. */
const vertices = (ring: Ring) => ring.slice(0, -1).map(([x, y]) => [x!, y!]).sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);

function expectOutline(got: { type: string; coordinates: Ring[][] }, territory: FixtureTerritory) {
  const want = outline(territory, 'wgs84');
  const polygons = want.type === 'Polygon' ? [want.coordinates] : (want as { coordinates: Ring[][] }).coordinates;
  expect(got.type).toBe('MultiPolygon');
  expect(got.coordinates).toHaveLength(polygons.length);
  got.coordinates.forEach((rings, p) => {
    expect(rings).toHaveLength(polygons[p]!.length);
    rings.forEach((ring, r) => {
      const [a, b] = [vertices(ring), vertices(polygons[p]![r]! as Ring)];
      expect(a).toHaveLength(b.length);
      a.forEach(([lon, lat], i) => {
        expect(Math.abs(lon! - b[i]![0]!)).toBeLessThan(1e-6);
        expect(Math.abs(lat! - b[i]![1]!)).toBeLessThan(1e-6);
      });
    });
  });
}

describe('ADEUS: the referential in CC48, as a zipped shapefile and as GeoJSON', () => {
  let db: Database;
  let gatewayUrl: string;
  let producer: Record<string, string>;

  const cleanUp = async () => {
    for (const kind of ['IRIS', 'COMMUNE', 'EPCI']) await db.knex('adeus.territory').whereIn('code', CODES).where('kind', kind).delete();
  };
  const push = async (file: string) => {
    const response = await fetch(new URL(`/ingest/adeus?name=${encodeURIComponent(path.basename(file))}`, gatewayUrl), { method: 'POST', body: new Uint8Array(fs.readFileSync(file)), headers: producer });
    return { status: response.status, report: (await response.json()) as IngestReport };
  };
  const readBack = async (territories: FixtureTerritory[]) => {
    for (const territory of territories) {
      const { data, errors } = await gatewayQuery(TERRITORY, { code: territory.code });
      expect(errors).toBeUndefined();
      expect(data.territory).toMatchObject({ code: territory.code, kind: territory.kind, name: territory.name, population: territory.population, parent: territory.parent ? { code: territory.parent } : null });
      expectOutline(data.territory.geometry, territory);
    }
  };

  beforeAll(async () => {
    const hub = await testHub();
    gatewayUrl = hub.gatewayUrl;
    db = hub.subgraph('adeus').db;
    producer = await bearer(['producer:adeus'], 'adeus-gis');
    await cleanUp();
  });
  afterAll(async () => cleanUp());

  it('a zipped shapefile in CC48 (.prj "RGF_1993_CC48", .cpg 1252): outlines in WGS84 to 1e-6°, names with ’ and œ intact', async () => {
    const file = path.join(SAMPLES, 'territories-cc48.zip');
    const cli = await ingestFile(db, 'adeus', file);
    expect(cli).toMatchObject({ format: 'territories-shapefile', encoding: 'windows-1252', committed: true, read: 4, inserted: 4, rejected: [], skipped: [] });
    const pushed = await push(file);
    expect(pushed.status).toBe(200);
    expect(pushed.report).toMatchObject({ format: 'territories-shapefile', committed: true, read: 4, inserted: 0, updated: 0, unchanged: 4 });
    await readBack(SHAPEFILE_TERRITORIES);
    expect((await db.knex('adeus.territory').where('code', '67996').first('source')).source).toBe(SOURCE);
    // The hole of the IRIS is a hole: a point in the pond is outside, one beside it inside.
    const inside = (lon: number, lat: number) => db.knex.raw(`select ST_Contains(geom, ST_SetSRID(ST_MakePoint(?, ?), 4326)) as inside from adeus.territory where code = '679970101'`, [lon, lat]);
    expect((await inside(7.7, 48.516)).rows[0].inside).toBe(false);
    expect((await inside(7.697, 48.516)).rows[0].inside).toBe(true);
  });

  it('a GeoJSON whose crs names EPSG:3948 is reprojected by PostGIS, by the CLI and by a push alike', async () => {
    const file = path.join(SAMPLES, 'territories-cc48.geojson');
    const cli = await ingestFile(db, 'adeus', file);
    expect(cli).toMatchObject({ format: 'territories-geojson', committed: true, read: 3, inserted: 3, rejected: [] });
    const pushed = await push(file);
    expect(pushed.report).toMatchObject({ committed: true, read: 3, unchanged: 3 });
    await readBack(GEOJSON_TERRITORIES);
  });

  it('a CC48 file whose crs says Lambert-93 is refused whole, naming where it lands and the coordinate system it claimed', async () => {
    const file = path.join(SAMPLES, 'territories-cc48-labelled-lambert93.geojson');
    for (const report of [await ingestFile(db, 'adeus', file), (await push(file)).report]) {
      expect(report).toMatchObject({ format: 'territories-geojson', committed: false, inserted: 0 });
      expect(report.rejected).toEqual([{ line: 1, reason: expect.stringMatching(/^lands at \(2\d\.\d{4}, 5\d\.\d{4}\) in WGS84, outside the hub's territory: is the file's coordinate system \(EPSG:2154\) right\?$/) }]);
    }
    expect(await db.knex('adeus.territory').whereIn('code', MISLABELLED_TERRITORIES.map((t) => t.code)).select('code')).toEqual([]);
  });
});
