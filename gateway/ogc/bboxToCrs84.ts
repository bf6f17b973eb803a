import proj4 from 'proj4';
import type { BBox } from '../catalog/readOpenData.ts';
import type { CrsCode } from '../opendata/openCollection.ts';

/**
 * The two projected CRSs the open contract serves, as EPSG defines them (both on RGF93, which coincides with
 * WGS84 at the metre: no datum shift). Output geometries are projected by PostGIS; only a `bbox-crs` box, an
 * input of this route, is brought back to CRS84 here, by proj4 (PROJ's definitions ported to JavaScript).
 */
const DEFINITIONS: Record<Exclude<CrsCode, 'EPSG:4326'>, string> = {
  'EPSG:2154': '+proj=lcc +lat_0=46.5 +lon_0=3 +lat_1=49 +lat_2=44 +x_0=700000 +y_0=6600000 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs',
  'EPSG:3948': '+proj=lcc +lat_0=48 +lon_0=3 +lat_1=47.25 +lat_2=48.75 +x_0=1700000 +y_0=7200000 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs',
};
/** Points unprojected along each edge: a conic's straight edge is a curve in CRS84. */
const SAMPLES_PER_EDGE = 16;

/**
 * The CRS84 envelope of a box given in one of the open contract's CRSs (`bbox-crs`, OGC API – Features
 * Part 2): the box itself in CRS84, else the envelope of its edges unprojected. The envelope holds the box,
 * so every feature the box meets is selected (with, at the corners, a few hundred metres more).
 */
export function bboxToCrs84(bbox: BBox, crs: CrsCode): BBox {
  if (crs === 'EPSG:4326') return bbox;
  const converter = proj4(DEFINITIONS[crs], 'WGS84');
  const unproject = (x: number, y: number) => converter.forward([x, y]) as [number, number];
  const [minX, minY, maxX, maxY] = bbox;
  const points: [number, number][] = [];
  for (let i = 0; i <= SAMPLES_PER_EDGE; i++) {
    const x = minX + ((maxX - minX) * i) / SAMPLES_PER_EDGE;
    const y = minY + ((maxY - minY) * i) / SAMPLES_PER_EDGE;
    points.push(unproject(x, minY), unproject(x, maxY), unproject(minX, y), unproject(maxX, y));
  }
  const lons = points.map((p) => p[0]);
  const lats = points.map((p) => p[1]);
  return [Math.min(...lons), Math.min(...lats), Math.max(...lons), Math.max(...lats)];
}
