/** The part of shpjs 6 (calvinmetcalf/shapefile-js, MIT, no types of its own) the hub uses. */
declare module 'shpjs' {
  import type { Geometry } from 'geojson';
  /**
   * The geometries of a `.shp` file, one per record in order (null for a null shape). Without `prj` the
   * coordinates are returned as stored; the hub never passes one (PostGIS reprojects).
   */
  export function parseShp(shp: ArrayBuffer | ArrayBufferView, prj?: undefined): ((Geometry & { bbox?: number[] }) | null)[];
}
