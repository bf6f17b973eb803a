import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { Database } from '../../lib/db.ts';
import type { IngestReport } from '../../lib/ingest/types.ts';
import { mappingsIn } from '../../lib/ingest/route.ts';
import { ingestFile } from '../../scripts/ingest.ts';
import { community } from '../../subgraphs/community/index.ts';
import { geometryOf, LAMBERT93_FEATURES, LAMBERT93_SOURCE, SHAPEFILE_FEATURES, SHAPEFILE_SOURCE, type FixtureFeature } from '../../subgraphs/community/samples/make-samples.ts';
import { bearer } from '../support/auth.ts';
import { gatewayQuery, testHub } from '../support/hub.ts';

/**
 * A citizen (community:contribute) and the operator's CLI send geodata as the Eurométropole and its
 * portal publish it — GeoJSON in Lambert-93, a zipped shapefile in CC48 with a Windows-1252 .dbf, the
 * Opendatasoft exports of data.strasbourg.eu — and read it back, reprojected to WGS84 by PostGIS, with its
 * accents. A file whose coordinates land outside the territory is refused whole, saying why.
 */
const SAMPLES = path.resolve(import.meta.dirname, '../../subgraphs/community/samples');
const sample = (name: string) => path.join(SAMPLES, name);
const ODS_CSV_SOURCE = 'data.strasbourg.eu, patrimoine_arbore (Opendatasoft export)';
const ODS_GEOJSON_SOURCE = 'TIGA synthetic sample (not real data.strasbourg.eu data), in the shape of an Opendatasoft GeoJSON export';
const SOURCES = [LAMBERT93_SOURCE, SHAPEFILE_SOURCE, ODS_CSV_SOURCE, ODS_GEOJSON_SOURCE];
const CITIZEN = 'citizen-geodata-7f3a';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tiga-geodata-'));

const CONTRIBUTION = 'query ($id: ID!) { contribution(id: $id) { status featureCount features provenance { source synthetic } } }';

interface Feature {
  geometry: { type: string; coordinates: unknown };
  properties: Record<string, unknown>;
}

/** Every position of a geometry, flattened. */
const positionsOf = (coordinates: unknown): number[][] => (typeof (coordinates as unknown[])[0] === 'number' ? [coordinates as number[]] : (coordinates as unknown[]).flatMap(positionsOf));

/** The features read back equal the file's: same geometry type, every position within 1e-6°, the same properties. */
function expectFeatures(features: Feature[], expected: { geometry: { type: string; coordinates: unknown }; properties: Record<string, unknown> }[]) {
  expect(features).toHaveLength(expected.length);
  expected.forEach((want, i) => {
    const got = features[i]!;
    expect(got.geometry.type).toBe(want.geometry.type);
    const [a, b] = [positionsOf(got.geometry.coordinates), positionsOf(want.geometry.coordinates)];
    expect(a).toHaveLength(b.length);
    a.forEach(([lon, lat], j) => {
      expect(Math.abs(lon! - b[j]![0]!)).toBeLessThan(1e-6);
      expect(Math.abs(lat! - b[j]![1]!)).toBeLessThan(1e-6);
    });
    const { _provenance, ...properties } = got.properties;
    expect(properties).toEqual(want.properties);
  });
}

const truth = (features: FixtureFeature[], properties: (f: FixtureFeature) => Record<string, unknown> = (f) => f.properties) =>
  features.map((f) => ({ geometry: geometryOf(f, 'wgs84') as { type: string; coordinates: unknown }, properties: properties(f) }));

describe('community: citizens send geodata in the Eurométropole’s own projections and its portal’s exports', () => {
  let db: Database;
  let gatewayUrl: string;
  let citizen: Record<string, string>;
  let moderator: Record<string, string>;

  const cleanUp = () => db.knex('community.contribution').whereIn('source', SOURCES).delete();
  const push = async (file: string, query = '') => {
    const url = new URL(`/ingest/community?name=${encodeURIComponent(path.basename(file))}${query}`, gatewayUrl);
    const response = await fetch(url, { method: 'POST', body: new Uint8Array(fs.readFileSync(file)), headers: citizen });
    return { status: response.status, report: (await response.json()) as IngestReport };
  };
  /** The contribution a file made for `contributor`, read through the gateway by a moderator. */
  const readBack = async (contributor: string, source: string) => {
    const row = await db.knex('community.contribution').where({ contributor, source }).first('id');
    expect(row, `a contribution of ${contributor} from "${source}"`).toBeDefined();
    const { data, errors } = await gatewayQuery(CONTRIBUTION, { id: String(row.id) }, moderator);
    expect(errors).toBeUndefined();
    return data.contribution as { status: string; featureCount: number; features: { features: Feature[] }; provenance: { source: string; synthetic: boolean } };
  };
  /** Both ways in: the operator's CLI (contributor `ingest`) and the citizen's push; the second changes nothing. */
  const both = async (file: string, options: { format: string; rows: number; mapping?: string; encoding?: string }) => {
    const mapping = options.mapping ? mappingsIn(community.mappings!)(options.mapping) : undefined;
    const cli = await ingestFile(db, 'community', file, { mapping });
    expect(cli).toMatchObject({ format: options.format, encoding: options.encoding ?? 'utf-8', committed: true, read: options.rows, inserted: options.rows, rejected: [], skipped: [] });
    const pushed = await push(file, options.mapping ? `&mapping=${options.mapping}` : '');
    expect(pushed.status).toBe(200);
    expect(pushed.report).toMatchObject({ format: options.format, committed: true, read: options.rows, inserted: options.rows, rejected: [], skipped: [] });
    const again = await push(file, options.mapping ? `&mapping=${options.mapping}` : '');
    expect(again.report).toMatchObject({ committed: true, inserted: 0, updated: 0, unchanged: options.rows });
  };

  beforeAll(async () => {
    const hub = await testHub();
    gatewayUrl = hub.gatewayUrl;
    db = hub.subgraph('community').db;
    await cleanUp();
    citizen = await bearer(['community:contribute'], CITIZEN);
    moderator = await bearer(['community:moderate'], 'moderator-geodata');
  });
  afterAll(async () => {
    await cleanUp();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('a GeoJSON survey in Lambert-93 (its crs honoured) is reprojected to WGS84, its accents intact', async () => {
    await both(sample('citizen-lambert93.geojson'), { format: 'citizen-geojson', rows: 3 });
    for (const contributor of ['ingest', CITIZEN]) {
      const contribution = await readBack(contributor, LAMBERT93_SOURCE);
      expect(contribution).toMatchObject({ status: 'PENDING', featureCount: 3, provenance: { source: LAMBERT93_SOURCE, synthetic: true } });
      expectFeatures(contribution.features.features, truth(LAMBERT93_FEATURES));
    }
  });

  it('a zipped shapefile in CC48 (EPSG:3948, from its .prj) with a Windows-1252 .dbf (from its .cpg) keeps ’, — and œ', async () => {
    await both(sample('citizen-cc48.zip'), { format: 'citizen-shapefile', rows: 3, encoding: 'windows-1252' });
    for (const contributor of ['ingest', CITIZEN]) {
      const contribution = await readBack(contributor, SHAPEFILE_SOURCE);
      expect(contribution).toMatchObject({ featureCount: 3, provenance: { source: SHAPEFILE_SOURCE, synthetic: true } });
      expectFeatures(contribution.features.features, truth(SHAPEFILE_FEATURES));
    }
  });

  it("data.strasbourg.eu's CSV export (BOM, `;`, Geo Point \"lat, lon\", Geo Shape) goes in through the named mapping ods-patrimoine-arbore", async () => {
    await both(sample('ods-patrimoine-arbore.csv'), { format: 'citizen-csv', rows: 3, mapping: 'ods-patrimoine-arbore' });
    const [header, ...lines] = fs.readFileSync(sample('ods-patrimoine-arbore.csv'), 'utf8').replace(/^\uFEFF/, '').trim().split('\n');
    const names = header!.split(';');
    const expected = lines.map((line) => {
      const [point, shape, ...rest] = line.split(/;(?=(?:[^"]*"[^"]*")*[^"]*$)/);
      const [lat, lon] = point!.split(/\s*,\s*/).map(Number);
      expect(JSON.parse(shape!.slice(1, -1).replace(/""/g, '"')).coordinates).toEqual([lon, lat]);
      return { geometry: { type: 'Point', coordinates: [lon, lat] }, properties: Object.fromEntries(rest.map((v, i) => [names[i + 2]!, v])) };
    });
    for (const contributor of ['ingest', CITIZEN]) {
      const contribution = await readBack(contributor, ODS_CSV_SOURCE);
      expect(contribution.featureCount).toBe(3);
      expectFeatures(contribution.features.features, expected);
    }
    expect(expected[1]!.properties.si_essence).toBe('Aesculus hippocastanum (marronnier d’Inde)');
  });

  it("data.strasbourg.eu's GeoJSON export, with the portal's field names (geo_point_2d…), is read as it comes", async () => {
    await both(sample('ods-patrimoine-arbore.geojson'), { format: 'citizen-geojson', rows: 3 });
    const file = JSON.parse(fs.readFileSync(sample('ods-patrimoine-arbore.geojson'), 'utf8'));
    const contribution = await readBack(CITIZEN, ODS_GEOJSON_SOURCE);
    expect(contribution.provenance).toEqual({ source: ODS_GEOJSON_SOURCE, synthetic: true });
    expectFeatures(contribution.features.features, file.features);
  });

  it('a file whose coordinates are not in the coordinate system it says (or implies) is refused whole, saying so', async () => {
    const before = await db.knex('community.contribution').where('contributor', CITIZEN).count({ n: '*' }).first();
    const write = (name: string, text: string) => {
      fs.writeFileSync(path.join(tmp, name), text);
      return path.join(tmp, name);
    };
    const lambert = fs.readFileSync(sample('citizen-lambert93.geojson'), 'utf8').replace(LAMBERT93_SOURCE, 'TIGA synthetic sample (edited)');
    const cases = [
      // Lambert-93 metres without their crs are read as WGS84 degrees.
      [write('no-crs.geojson', lambert.replace(/"crs": \{[^}]*\{[^}]*\}\s*\},/, '')), 'EPSG:4326'],
      // Lambert-93 metres labelled CC48 land in the Bay of Biscay.
      [write('wrong-crs.geojson', lambert.replace('EPSG::2154', 'EPSG::3948')), 'EPSG:3948'],
      // A point in Paris, in a citizen CSV (WGS84).
      [write('paris.csv', 'lon,lat,type,synthetic\n7.7458,48.5834,banc,true\n2.3522,48.8566,banc,true\n'), 'EPSG:4326'],
    ] as const;
    for (const [file, claimed] of cases) {
      const report = await ingestFile(db, 'community', file);
      expect(report).toMatchObject({ committed: false, inserted: 0 });
      expect(report.rejected.at(-1)!.reason).toMatch(new RegExp(`lands at \\(.*\\) in WGS84, outside the hub's territory: is the file's coordinate system \\(${claimed}\\) right\\?`));
      const pushed = await push(file);
      expect(pushed.status).toBe(422);
      expect(pushed.report.rejected.at(-1)!.line).toBe(report.rejected.at(-1)!.line);
    }
    expect(await db.knex('community.contribution').where('contributor', CITIZEN).count({ n: '*' }).first()).toEqual(before);
    expect(await db.knex('community.contribution').where('source', 'TIGA synthetic sample (edited)').first()).toBeUndefined();
  });
});
