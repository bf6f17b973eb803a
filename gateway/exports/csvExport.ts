import type { OpenFeature, PropertyValue } from '../opendata/openCollection.ts';
import { exportColumns } from './exportColumns.ts';
import type { ExportFormat, ExportSettings } from './exportFormat.ts';
import { plainNumber, wktOf } from './geometryText.ts';

/**
 * A number as a spreadsheet and a parser read it back exactly: the shortest decimal that round-trips
 * (ECMAScript's), never in exponent notation, with a decimal comma for French spreadsheets.
 */
const numberText = (value: number, french: boolean) => (french ? plainNumber(value).replace('.', ',') : plainNumber(value));

/**
 * RFC 4180: a field holding the separator, a quote, CR or LF is quoted, its quotes doubled. An empty string
 * is quoted (`""`) so that it stays distinct from an absent value (an empty field), as GDAL reads them.
 */
function field(value: PropertyValue, separator: string, french: boolean): string {
  if (value === null) return '';
  if (typeof value === 'number') return numberText(value, french);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value === '') return '""';
  return value.includes(separator) || value.includes('"') || value.includes('\r') || value.includes('\n') ? `"${value.replaceAll('"', '""')}"` : value;
}

/** A point's coordinates, when the feature has one. */
function pointOf(feature: OpenFeature): [number, number] | undefined {
  const geometry = feature.geometry as { type?: string; coordinates?: number[] } | null;
  return geometry?.type === 'Point' && geometry.coordinates ? [geometry.coordinates[0]!, geometry.coordinates[1]!] : undefined;
}

/**
 * CSV (RFC 4180, UTF-8, CRLF), one row per feature: `id`, the collection's properties, its geometry, then
 * `licence` and `attribution`.
 *
 * The geometry, so that a spreadsheet opens the file and a GIS loads it (QGIS "Delimited text", GDAL's CSV
 * driver): a point collection gets two coordinate columns, `longitude,latitude` in WGS84, `x,y` (easting,
 * northing, metres) in a projected CRS. A polygon collection's outline is left out by default: a commune's
 * outline is kilometres of WKT, repeated on every row of a daily series, past a spreadsheet's 32,767
 * characters per cell. Its rows carry their territory's code instead (`territoryCode`, or `code` in the
 * referential), the join key of `/exports/territories.geojson`/`.fgb`; `?geometry=wkt` adds a `wkt`
 * column (in the asked CRS) to any CSV for a GIS that wants the outlines in the file itself.
 */
export const csvExport: ExportFormat = {
  extension: 'csv',
  mediaType: 'text/csv; charset=utf-8; header=present',
  title: 'CSV (RFC 4180, UTF-8)',
  writer(settings: ExportSettings) {
    const { collection, crs, french } = settings;
    const separator = french ? ';' : ',';
    const columns = exportColumns(collection, settings.licence);
    const point = collection.geometryType === 'Point';
    const projected = crs !== 'EPSG:4326';
    // Geometry after the properties, before licence and attribution (the last two columns).
    const table = columns.slice(0, -2);
    const geometryNames = [...(point ? (projected ? ['x', 'y'] : ['longitude', 'latitude']) : []), ...(settings.wkt ? ['wkt'] : [])];
    const trailing = columns.slice(-2);
    const row = (feature: OpenFeature): string => {
      const cells = table.map((c) => field(c.value(feature), separator, french));
      if (point) {
        const xy = pointOf(feature);
        cells.push(xy ? numberText(xy[0], french) : '', xy ? numberText(xy[1], french) : '');
      }
      if (settings.wkt) cells.push(field(wktOf(feature.geometry), separator, french));
      for (const c of trailing) cells.push(field(c.value(feature), separator, french));
      return `${cells.join(separator)}\r\n`;
    };
    return {
      // Excel reads a CSV as the system's ANSI code page unless it starts with a byte order mark.
      head: () => `${french ? '\uFEFF' : ''}${[...table.map((c) => c.name), ...geometryNames, ...trailing.map((c) => c.name)].join(separator)}\r\n`,
      features: (batch) => batch.map(row).join(''),
      tail: () => '',
    };
  },
};
