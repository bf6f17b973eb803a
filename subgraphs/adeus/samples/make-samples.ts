/**
 * npx tsx subgraphs/adeus/samples/make-samples.ts — rebuilds this folder's projected fixtures byte for byte:
 *   territories-cc48.zip                          zipped shapefile, EPSG:3948 (.prj as ArcGIS writes it), .cpg 1252
 *   territories-cc48.geojson                      GeoJSON whose crs names EPSG:3948
 *   territories-cc48-labelled-lambert93.geojson   CC48 coordinates under a crs claiming EPSG:2154 (must be refused)
 * Every vertex is given as [lon, lat, x, y]: the WGS84 point chosen (the truth the tests compare with) and its
 * CC48 projection, computed once with proj4 2.22.0 (the EPSG:3948 definition of the research notes, §8) and
 * kept here as data, so that rebuilding needs nothing but this file. Codes ending 9999x are fictitious.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Geometry } from 'geojson';
import { writeShapefileZip } from '../../../lib/ingest/shapefile.ts';

type Vertex = [lon: number, lat: number, x: number, y: number];
type Ring = Vertex[];

export interface FixtureTerritory {
  code: string;
  kind: 'EPCI' | 'COMMUNE' | 'IRIS';
  name: string;
  population: number | null;
  parent: string | null;
  /** Polygon rings, or the polygons of a MultiPolygon. */
  polygons: Ring[][];
}

export const SOURCE = 'TIGA synthetic sample (not real ADEUS data): fictitious codes and outlines';

/** The shapefile's layer: names with the characters Windows-1252 puts in 0x80–0x9F (’ 0x92, œ 0x9C). */
export const SHAPEFILE_TERRITORIES: FixtureTerritory[] = [
  {
    code: '200099997', kind: 'EPCI', name: 'Communauté fictive du Ried (échantillon)', population: 15400, parent: null,
    polygons: [[[[7.68, 48.5, 2045629.78, 7266087.122], [7.74, 48.5, 2050055.381, 7266357.828], [7.74, 48.54, 2049782.097, 7270797.244], [7.68, 48.54, 2045359.95, 7270526.749], [7.68, 48.5, 2045629.78, 7266087.122]]]],
  },
  {
    code: '67997', kind: 'COMMUNE', name: 'Île-aux-Épis-sur-l’Ill (fictive)', population: 9100, parent: '200099997',
    polygons: [[[[7.69, 48.51, 2046299.793, 7267241.893], [7.71, 48.51, 2047774.718, 7267331.92], [7.71, 48.525, 2047672.884, 7268996.739], [7.69, 48.525, 2046198.392, 7268906.739], [7.69, 48.51, 2046299.793, 7267241.893]]]],
  },
  {
    code: '67996', kind: 'COMMUNE', name: 'Hœrdt-la-Fictive', population: 6300, parent: '200099997',
    polygons: [
      [[[7.715, 48.51, 2048143.445, 7267354.486], [7.73, 48.51, 2049249.619, 7267422.328], [7.73, 48.52, 2049181.442, 7268532.189], [7.715, 48.52, 2048075.484, 7268464.36], [7.715, 48.51, 2048143.445, 7267354.486]]],
      [[[7.72, 48.525, 2048410.122, 7269041.882], [7.735, 48.525, 2049515.967, 7269109.777], [7.735, 48.535, 2049447.717, 7270219.639], [7.72, 48.535, 2048342.088, 7270151.757], [7.72, 48.525, 2048410.122, 7269041.882]]],
    ],
  },
  {
    code: '679970101', kind: 'IRIS', name: 'Quartier fictif de la Forêt d’en bas', population: null, parent: '67997',
    polygons: [[
      [[7.695, 48.513, 2046648.225, 7267597.331], [7.705, 48.513, 2047385.644, 7267642.342], [7.705, 48.52, 2047338.172, 7268419.26], [7.695, 48.52, 2046600.854, 7268374.256], [7.695, 48.513, 2046648.225, 7267597.331]],
      // A hole: the outline of a (fictitious) pond, which the IRIS does not cover.
      [[7.699, 48.515, 2046929.647, 7267837.301], [7.699, 48.517, 2046916.101, 7268059.279], [7.701, 48.517, 2047063.573, 7268068.281], [7.701, 48.515, 2047077.125, 7267846.303], [7.699, 48.515, 2046929.647, 7267837.301]],
    ]],
  },
];

export const GEOJSON_TERRITORIES: FixtureTerritory[] = [
  {
    code: '200099995', kind: 'EPCI', name: 'EPCI fictif de la Bruche (échantillon)', population: 8200, parent: null,
    polygons: [[[[7.6, 48.55, 2039397.123, 7271281.429], [7.64, 48.55, 2042344.854, 7271458.283], [7.64, 48.58, 2042144.206, 7274788.158], [7.6, 48.58, 2039198.203, 7274611.409], [7.6, 48.55, 2039397.123, 7271281.429]]]],
  },
  {
    code: '67995', kind: 'COMMUNE', name: 'Commune fictive de Molsheim-l’Écluse', population: 4100, parent: '200099995',
    polygons: [[[[7.61, 48.555, 2040100.839, 7271880.489], [7.63, 48.555, 2041574.56, 7271968.907], [7.63, 48.57, 2041474.453, 7273633.857], [7.61, 48.57, 2040001.163, 7273545.464], [7.61, 48.555, 2040100.839, 7271880.489]]]],
  },
  {
    code: '679950101', kind: 'IRIS', name: 'IRIS fictif du Moulin', population: null, parent: '67995',
    polygons: [[[[7.615, 48.56, 2040436.01, 7272457.546], [7.62, 48.56, 2040804.405, 7272479.637], [7.62, 48.565, 2040771.108, 7273034.624], [7.615, 48.565, 2040402.749, 7273012.536], [7.615, 48.56, 2040436.01, 7272457.546]]]],
  },
];

/** CC48 coordinates under a crs that says Lambert-93: read as Lambert-93 they land ~1,000 km north-east, in Poland. */
export const MISLABELLED_TERRITORIES: FixtureTerritory[] = [
  {
    code: '200099994', kind: 'EPCI', name: 'EPCI fictif mal étiqueté', population: 1000, parent: null,
    polygons: [[[[7.79, 48.59, 2053121.848, 7276574.416], [7.83, 48.59, 2056066.83, 7276758.39], [7.83, 48.62, 2055857.974, 7280087.808], [7.79, 48.62, 2052914.719, 7279903.942], [7.79, 48.59, 2053121.848, 7276574.416]]]],
  },
  {
    code: '67994', kind: 'COMMUNE', name: 'Commune fictive mal étiquetée', population: 1000, parent: '200099994',
    polygons: [[[[7.8, 48.6, 2053788.916, 7277730.095], [7.82, 48.6, 2055261.119, 7277822.064], [7.82, 48.61, 2055191.644, 7278931.879], [7.8, 48.61, 2053719.729, 7278839.928], [7.8, 48.6, 2053788.916, 7277730.095]]]],
  },
];

/** The ESRI WKT of EPSG:3948 as ArcGIS (and GDAL ≥ 3) writes a .prj: ESRI's name "RGF_1993_CC48", no EPSG code. */
const CC48_PRJ =
  'PROJCS["RGF_1993_CC48",GEOGCS["GCS_RGF_1993",DATUM["D_RGF_1993",SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],' +
  'PROJECTION["Lambert_Conformal_Conic"],PARAMETER["False_Easting",1700000.0],PARAMETER["False_Northing",7200000.0],PARAMETER["Central_Meridian",3.0],' +
  'PARAMETER["Standard_Parallel_1",47.25],PARAMETER["Standard_Parallel_2",48.75],PARAMETER["Latitude_Of_Origin",48.0],UNIT["Meter",1.0]]';

/** The territory's outline in WGS84 (`wgs84`) or in CC48 (`cc48`), as GeoJSON. */
export function outline(territory: FixtureTerritory, system: 'wgs84' | 'cc48'): Geometry {
  const pick = (v: Vertex) => (system === 'wgs84' ? [v[0], v[1]] : [v[2], v[3]]);
  const polygons = territory.polygons.map((rings) => rings.map((ring) => ring.map(pick)));
  return polygons.length === 1 ? { type: 'Polygon', coordinates: polygons[0]! } : { type: 'MultiPolygon', coordinates: polygons };
}

export function shapefile(): Buffer {
  return writeShapefileZip({
    layer: 'territoires_cc48',
    prj: CC48_PRJ,
    cpg: '1252',
    fields: [
      { name: 'CODE', type: 'C', length: 9 },
      { name: 'NAME', type: 'C', length: 60 },
      { name: 'KIND', type: 'C', length: 7 },
      { name: 'POPULATION', type: 'N', length: 9 },
      { name: 'PARENT', type: 'C', length: 9 },
      { name: 'SOURCE', type: 'C', length: 90 },
    ],
    features: SHAPEFILE_TERRITORIES.map((t) => ({
      geometry: outline(t, 'cc48'),
      properties: { CODE: t.code, NAME: t.name, KIND: t.kind, POPULATION: t.population, PARENT: t.parent, SOURCE: SOURCE },
    })),
  });
}

export function geojson(territories: FixtureTerritory[], crs: string, name: string): string {
  const features = territories.map((t) => ({
    type: 'Feature',
    properties: { code: t.code, name: t.name, kind: t.kind, population: t.population, parent: t.parent },
    geometry: outline(t, 'cc48'),
  }));
  return `${JSON.stringify({ type: 'FeatureCollection', name, source: SOURCE, crs: { type: 'name', properties: { name: crs } }, features }, null, 1)}\n`;
}

/** File name → content, as this folder holds them. */
export function samples(): Record<string, Buffer | string> {
  return {
    'territories-cc48.zip': shapefile(),
    'territories-cc48.geojson': geojson(GEOJSON_TERRITORIES, 'urn:ogc:def:crs:EPSG::3948', 'territoires-cc48'),
    'territories-cc48-labelled-lambert93.geojson': geojson(MISLABELLED_TERRITORIES, 'urn:ogc:def:crs:EPSG::2154', 'territoires-cc48-mal-etiquetes'),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const [name, content] of Object.entries(samples())) fs.writeFileSync(new URL(`./${name}`, import.meta.url), content);
}
