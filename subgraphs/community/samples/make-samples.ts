/**
 * npx tsx subgraphs/community/samples/make-samples.ts — rebuilds this folder's projected fixtures byte for byte:
 *   citizen-cc48.zip            a citizen survey as a zipped shapefile, EPSG:3948 (.prj as QGIS 2 / GDAL 2 write it), .cpg "1252"
 *   citizen-lambert93.geojson   a citizen survey as GeoJSON whose crs names EPSG:2154
 * Every position is [lon, lat, x, y]: the WGS84 point chosen (the truth the tests compare with) and its
 * projection, computed once with proj4 2.22.0 (definitions of the research notes, §8) and kept here as data.
 * The values are synthetic, and say so: a `SYNTHETIC` field (.dbf logical) and a top-level `"synthetic": true`.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Geometry } from 'geojson';
import { writeShapefileZip } from '../../../lib/ingest/shapefile.ts';

type Position = [lon: number, lat: number, x: number, y: number];

export interface FixtureFeature {
  properties: Record<string, string>;
  /** A point, or the vertices of a line. */
  point?: Position;
  line?: Position[];
}

/** Each file's own source label: a contributor's PENDING contribution is keyed by it. */
export const SHAPEFILE_SOURCE = 'TIGA synthetic sample (not real citizen data): street furniture survey, CC48 shapefile';
export const LAMBERT93_SOURCE = 'TIGA synthetic sample (not real citizen data): street furniture survey, Lambert-93 GeoJSON';

/** Street furniture reported around the cathedral, in CC48: text with Windows-1252's 0x80–0x9F characters (’ — œ). */
export const SHAPEFILE_FEATURES: FixtureFeature[] = [
  { properties: { NOM: 'Parvis de la cathédrale — pavés descellés', ETAT: 'à réparer' }, point: [7.7509, 48.5818, 2050299.189, 7275485.966] },
  { properties: { NOM: 'Banc du square de l’Aubette', ETAT: 'bon' }, point: [7.738, 48.579, 2049368.352, 7275116.667] },
  { properties: { NOM: 'Fontaine « Cœur de l’îlot »', ETAT: 'hors service' }, point: [7.762, 48.5745, 2051166.694, 7274726.264] },
];

/** The same kind of survey in Lambert-93, as GeoJSON: two points and a line. */
export const LAMBERT93_FEATURES: FixtureFeature[] = [
  { properties: { type: 'fontaine à boire', lieu: 'place Kléber', état: 'en service' }, point: [7.7458, 48.5834, 1049831.995, 6841981.39] },
  { properties: { type: 'banc', lieu: 'quai des Bateliers', état: 'abîmé, un pied manquant' }, point: [7.7536, 48.5804, 1050426.335, 6841683.073] },
  {
    properties: { type: 'piste cyclable encombrée', lieu: 'rue du Faubourg-National', état: 'poubelles sur la piste' },
    line: [[7.735, 48.582, 1049046.166, 6841778.24], [7.738, 48.5825, 1049263.716, 6841846.99], [7.741, 48.5833, 1049479.26, 6841949.038]],
  },
];

/** `EPSG:3948` as QGIS 2 and GDAL 2 write a .prj (ESRI WKT named like PostGIS: "RGF93_CC48"). */
const CC48_PRJ =
  'PROJCS["RGF93_CC48",GEOGCS["GCS_RGF93",DATUM["D_RGF_1993",SPHEROID["GRS_1980",6378137,298.257222101]],PRIMEM["Greenwich",0],UNIT["Degree",0.017453292519943295]],' +
  'PROJECTION["Lambert_Conformal_Conic"],PARAMETER["standard_parallel_1",47.25],PARAMETER["standard_parallel_2",48.75],PARAMETER["latitude_of_origin",48],' +
  'PARAMETER["central_meridian",3],PARAMETER["false_easting",1700000],PARAMETER["false_northing",7200000],UNIT["Meter",1]]';

/** The feature's geometry in WGS84 (`wgs84`) or as projected in the file (`projected`). */
export function geometryOf(feature: FixtureFeature, system: 'wgs84' | 'projected'): Geometry {
  const pick = (p: Position) => (system === 'wgs84' ? [p[0], p[1]] : [p[2], p[3]]);
  return feature.point ? { type: 'Point', coordinates: pick(feature.point) } : { type: 'LineString', coordinates: feature.line!.map(pick) };
}

export function shapefile(): Buffer {
  return writeShapefileZip({
    layer: 'signalements_cc48',
    prj: CC48_PRJ,
    cpg: '1252',
    fields: [
      { name: 'NOM', type: 'C', length: 60 },
      { name: 'ETAT', type: 'C', length: 20 },
      { name: 'SOURCE', type: 'C', length: 90 },
      { name: 'SYNTHETIC', type: 'L', length: 1 },
    ],
    features: SHAPEFILE_FEATURES.map((f) => ({ geometry: geometryOf(f, 'projected'), properties: { ...f.properties, SOURCE: SHAPEFILE_SOURCE, SYNTHETIC: true } })),
  });
}

export function lambert93(): string {
  const features = LAMBERT93_FEATURES.map((f) => ({ type: 'Feature', properties: f.properties, geometry: geometryOf(f, 'projected') }));
  const collection = { type: 'FeatureCollection', name: 'signalements_lambert93', source: LAMBERT93_SOURCE, synthetic: true, crs: { type: 'name', properties: { name: 'urn:ogc:def:crs:EPSG::2154' } }, features };
  return `${JSON.stringify(collection, null, 1)}\n`;
}

/** File name → content, as this folder holds them. */
export function samples(): Record<string, Buffer | string> {
  return { 'citizen-cc48.zip': shapefile(), 'citizen-lambert93.geojson': lambert93() };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const [name, content] of Object.entries(samples())) fs.writeFileSync(new URL(`./${name}`, import.meta.url), content);
}
