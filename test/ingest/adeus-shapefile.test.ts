import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import iconv from 'iconv-lite';
import type { Database } from '../../lib/db.ts';
import { readShapefile, writeShapefileZip, type ShapefileToWrite } from '../../lib/ingest/shapefile.ts';
import { unzip, zip } from '../../lib/ingest/zip.ts';
import { ingestFile } from '../../scripts/ingest.ts';
import { adeus } from '../../subgraphs/adeus/index.ts';
import { samples, SHAPEFILE_TERRITORIES, outline } from '../../subgraphs/adeus/samples/make-samples.ts';
import { openTestDatabase } from '../support/database.ts';
import { migrateProducers } from '../support/subgraph.ts';

/**
 * What ADEUS's GIS may send as a zipped shapefile, and what the hub does with each: the fixtures are
 * rebuilt byte for byte by their script; an archive that does not say its coordinate system, holds two
 * layers, has a truncated part, or text in an unnamed code page is refused whole with the reason; a .prj
 * that names its EPSG code, or spells the system as GDAL 2 did, is read as well as ArcGIS's.
 */
const SAMPLES = path.resolve(import.meta.dirname, '../../subgraphs/adeus/samples');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tiga-shp-'));
const CODES = SHAPEFILE_TERRITORIES.map((t) => t.code);

/** The sample's layer, with `change` applied (the territories' first two: the EPCI and a commune). */
function layer(change: Partial<ShapefileToWrite> = {}): ShapefileToWrite {
  return {
    layer: 'variante',
    prj: 'PROJCS["RGF_1993_CC48",GEOGCS["GCS_RGF_1993",DATUM["D_RGF_1993",SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Lambert_Conformal_Conic"],PARAMETER["False_Easting",1700000.0],PARAMETER["False_Northing",7200000.0],PARAMETER["Central_Meridian",3.0],PARAMETER["Standard_Parallel_1",47.25],PARAMETER["Standard_Parallel_2",48.75],PARAMETER["Latitude_Of_Origin",48.0],UNIT["Meter",1.0]]',
    cpg: '1252',
    fields: [
      { name: 'code', type: 'C', length: 9 },
      { name: 'name', type: 'C', length: 60 },
      { name: 'kind', type: 'C', length: 7 },
      { name: 'parent', type: 'C', length: 9 },
    ],
    features: SHAPEFILE_TERRITORIES.slice(0, 2).map((t) => ({ geometry: outline(t, 'cc48'), properties: { code: t.code, name: t.name, kind: t.kind, parent: t.parent } })),
    ...change,
  };
}
const write = (name: string, bytes: Buffer) => {
  fs.writeFileSync(path.join(tmp, name), bytes);
  return path.join(tmp, name);
};
/** The archive without the members `drop` names, or with `replace`d ones. */
const rezip = (archive: Buffer, edit: (name: string, data: Buffer) => Buffer | null) =>
  zip([...unzip(archive)].flatMap(([name, data]) => {
    const edited = edit(name, data);
    return edited ? [{ name, data: edited }] : [];
  }));

describe('ADEUS: zipped shapefiles, and the ones the hub refuses', () => {
  let db: Database;
  const territories = () => db.knex('adeus.territory').whereIn('code', CODES).orderBy('code').select('code', 'name');
  const cleanUp = async () => {
    for (const kind of ['IRIS', 'COMMUNE', 'EPCI']) await db.knex('adeus.territory').whereIn('code', CODES).where('kind', kind).delete();
  };

  beforeAll(async () => {
    db = await openTestDatabase();
    await migrateProducers(db, [adeus]);
    await cleanUp();
  });
  afterAll(async () => {
    await cleanUp();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('the samples are what make-samples.ts builds, byte for byte', () => {
    for (const [name, content] of Object.entries(samples())) expect(fs.readFileSync(path.join(SAMPLES, name)).equals(Buffer.from(content)), name).toBe(true);
  });

  it('reads the .dbf in the code page its .cpg names: ’ (0x92) and œ (0x9C) are not C1 controls', () => {
    const read = readShapefile(fs.readFileSync(path.join(SAMPLES, 'territories-cc48.zip')));
    expect(read).toMatchObject({ layer: 'territoires_cc48', encoding: 'windows-1252' });
    expect(read.features.map((f) => f.properties.NAME)).toEqual(SHAPEFILE_TERRITORIES.map((t) => t.name));
    expect(read.features[2]!.geometry!.type).toBe('MultiPolygon');
  });

  it('refuses, whole and saying why: no .prj, two layers, a truncated .dbf, non-UTF-8 text without a .cpg, a corrupt archive', async () => {
    const good = writeShapefileZip(layer());
    const twoLayers = zip([...unzip(good)].flatMap(([name, data]) => [{ name, data }, { name: name.replace('variante', 'autre'), data }]));
    const cases: [string, Buffer, RegExp][] = [
      ['no-prj.zip', rezip(good, (name, data) => (name.endsWith('.prj') ? null : data)), /has no \.prj: its coordinate system is unknown/],
      ['two-layers.zip', twoLayers, /holds 2 layers \(variante, autre\): send one shapefile per archive/],
      ['truncated-dbf.zip', rezip(good, (name, data) => (name.endsWith('.dbf') ? data.subarray(0, data.length - 80) : data)), /the \.dbf is truncated/],
      ['no-cpg.zip', rezip(good, (name, data) => (name.endsWith('.cpg') ? null : data)), /not valid UTF-8 and the archive has no \.cpg/],
      ['corrupt.zip', good.subarray(0, good.length - 30), /truncated or corrupt/],
      ['unknown-cpg.zip', rezip(good, (name, data) => (name.endsWith('.cpg') ? Buffer.from('KOI8-R') : data)), /unknown encoding "KOI8-R"/],
    ];
    for (const [name, bytes, reason] of cases) {
      const report = await ingestFile(db, 'adeus', write(name, bytes));
      expect(report, name).toMatchObject({ format: 'territories-shapefile', committed: false, inserted: 0 });
      expect(report.rejected.at(-1)!.reason, name).toMatch(reason);
    }
    expect(await territories()).toEqual([]);
  });

  it('a .prj naming its EPSG code, or the system as GDAL 2 spelt it, reads the same; a UTF-8 .dbf needs no .cpg', async () => {
    const variants = [
      layer({ prj: 'PROJCS["RGF93 / CC48",GEOGCS["RGF93",DATUM["Reseau_Geodesique_Francais_1993",SPHEROID["GRS 1980",6378137,298.257222101]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],PROJECTION["Lambert_Conformal_Conic_2SP"],UNIT["metre",1],AUTHORITY["EPSG","3948"]]' }),
      layer({ prj: 'PROJCS["RGF93_CC48",GEOGCS["GCS_RGF93",DATUM["D_RGF_1993",SPHEROID["GRS_1980",6378137,298.257222101]],PRIMEM["Greenwich",0],UNIT["Degree",0.017453292519943295]],PROJECTION["Lambert_Conformal_Conic"],UNIT["Meter",1]]', cpg: 'UTF-8' }),
    ];
    for (const [i, variant] of variants.entries()) {
      const report = await ingestFile(db, 'adeus', write(`variant-${i}.zip`, writeShapefileZip(variant)));
      expect(report, `variant ${i}`).toMatchObject({ committed: true, read: 2, rejected: [] });
      expect(await territories()).toEqual(SHAPEFILE_TERRITORIES.slice(0, 2).map((t) => ({ code: t.code, name: t.name })).sort((a, b) => a.code.localeCompare(b.code)));
      await cleanUp();
    }
    // Without a .cpg, UTF-8 text is read as UTF-8 (checked).
    const utf8 = rezip(writeShapefileZip(layer({ cpg: 'UTF-8' })), (name, data) => (name.endsWith('.cpg') ? null : data));
    expect(await ingestFile(db, 'adeus', write('utf8-no-cpg.zip', utf8))).toMatchObject({ committed: true, encoding: 'utf-8', read: 2 });
    expect((await territories())[1]).toEqual({ code: '67997', name: 'Île-aux-Épis-sur-l’Ill (fictive)' });
    expect(iconv.encode('’', 'windows-1252')).toEqual(Buffer.from([0x92]));
    await cleanUp();
  });

  it('outlines with heights (x, y, z), as 3D exports write them, are stored in two dimensions', async () => {
    const epci = SHAPEFILE_TERRITORIES[0]!;
    const withZ = (outline(epci, 'cc48') as { coordinates: number[][][] }).coordinates.map((ring) => ring.map(([x, y]) => [x, y, 142.5]));
    const file = {
      type: 'FeatureCollection',
      crs: { type: 'name', properties: { name: 'EPSG:3948' } },
      features: [{ type: 'Feature', properties: { code: epci.code, name: epci.name, kind: epci.kind, source: 'TIGA synthetic sample (edited)' }, geometry: { type: 'Polygon', coordinates: withZ } }],
    };
    expect(await ingestFile(db, 'adeus', write('with-z.geojson', Buffer.from(JSON.stringify(file))))).toMatchObject({ committed: true, inserted: 1, rejected: [] });
    const row = (await db.knex.raw('select ST_NDims(geom) as dims from adeus.territory where code = ?', [epci.code])).rows[0];
    expect(row.dims).toBe(2);
  });
});
