import { isTerritoryCode } from '../../lib/territory-codes.ts';
import { OpenDataError } from '../catalog/anonymousQuery.ts';
import type { BBox } from '../catalog/readOpenData.ts';
import { CRS, type CrsCode, type OpenFilter } from '../opendata/openCollection.ts';

/** What an export's query string asks for. */
export interface ExportQuery {
  filter: OpenFilter;
  /** `?sep=semicolon` or `?locale=fr`: a CSV for spreadsheets set to French. */
  french: boolean;
  /** `?geometry=wkt`: a CSV with a WKT column. */
  wkt: boolean;
}

/** Every parameter an export understands; any other is refused, so a misspelt filter never goes unnoticed. */
export const EXPORT_PARAMETERS = {
  territory: 'INSEE commune code, IRIS code or EPCI SIREN: records in that territory (and those inside it)',
  bbox: 'minLon,minLat,maxLon,maxLat in WGS84: records whose place intersects the box',
  from: 'first day (YYYY-MM-DD) or instant (ISO 8601 with its offset), inclusive',
  to: 'last day or instant, inclusive',
  crs: 'EPSG:4326 (default, longitude/latitude), EPSG:2154 (Lambert-93) or EPSG:3948 (CC48)',
  sep: 'CSV: comma (default) or semicolon (with decimal commas and a byte order mark, for spreadsheets in French)',
  locale: 'CSV: fr, the same as sep=semicolon',
  geometry: 'CSV: wkt adds each geometry as WKT',
} as const;

const CSV_ONLY = ['sep', 'locale', 'geometry'];
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

const invalid = (message: string) => new OpenDataError(message, 'BAD_USER_INPUT');

/** A calendar day, as given, or an instant in UTC (`…T…Z`, milliseconds: how the contract writes instants). */
function moment(name: 'from' | 'to', value: string): { text: string; first: number; last: number } {
  if (DATE.test(value)) {
    const first = Date.parse(`${value}T00:00:00.000Z`);
    if (Number.isNaN(first) || new Date(first).toISOString().slice(0, 10) !== value) throw invalid(`${name} "${value}" is not a real day`);
    return { text: value, first, last: first + 86_400_000 - 1 };
  }
  const at = Date.parse(value);
  if (!INSTANT.test(value) || Number.isNaN(at)) throw invalid(`${name} must be a day (YYYY-MM-DD) or an ISO 8601 instant with its offset (2024-05-01T08:00:00Z), got "${value}"`);
  return { text: new Date(at).toISOString(), first: at, last: at };
}

function bboxOf(value: string): BBox {
  const parts = value.split(',');
  const numbers = parts.map((p) => (p.trim() === '' ? NaN : Number(p)));
  if (numbers.length !== 4 || numbers.some((n) => !Number.isFinite(n))) throw invalid(`bbox must be four numbers minLon,minLat,maxLon,maxLat, got "${value}"`);
  const [minLon, minLat, maxLon, maxLat] = numbers as BBox;
  if (minLon < -180 || maxLon > 180 || minLat < -90 || maxLat > 90) throw invalid(`bbox "${value}" is outside WGS84 longitudes (-180..180) and latitudes (-90..90)`);
  if (minLon > maxLon || minLat > maxLat) throw invalid(`bbox "${value}" has a minimum above its maximum`);
  return [minLon, minLat, maxLon, maxLat];
}

/** `EPSG:2154` (any case) or the CRS's OGC URI. */
function crsOf(value: string): CrsCode {
  const found = (Object.keys(CRS) as CrsCode[]).find((code) => code === value.toUpperCase() || CRS[code].uri === value);
  if (!found) throw invalid(`crs must be one of ${Object.keys(CRS).join(', ')}, got "${value}"`);
  return found;
}

/**
 * Reads an export's query string: every value checked, none guessed. A bad value throws OpenDataError
 * BAD_USER_INPUT (HTTP 400) naming the parameter and what it expects.
 */
export function parseExportQuery(query: Record<string, unknown>, extension: string): ExportQuery {
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(query)) {
    if (!(name in EXPORT_PARAMETERS)) throw invalid(`unknown parameter "${name}": an export takes ${Object.keys(EXPORT_PARAMETERS).join(', ')}`);
    if (typeof value !== 'string') throw invalid(`${name} is given more than once`);
    if (CSV_ONLY.includes(name) && extension !== 'csv') throw invalid(`${name} applies to CSV exports only`);
    values[name] = value;
  }
  const filter: OpenFilter = {};
  if (values.territory !== undefined) {
    if (!isTerritoryCode(values.territory)) throw invalid(`territory "${values.territory}" is not an INSEE commune code (5 characters), an IRIS code (9) or an EPCI SIREN (9 digits)`);
    filter.territory = values.territory;
  }
  if (values.bbox !== undefined) filter.bbox = bboxOf(values.bbox);
  const from = values.from !== undefined ? moment('from', values.from) : undefined;
  const to = values.to !== undefined ? moment('to', values.to) : undefined;
  if (from && to && from.first > to.last) throw invalid(`from (${values.from}) is after to (${values.to})`);
  if (from || to) filter.datetime = { ...(from ? { start: from.text } : {}), ...(to ? { end: to.text } : {}) };
  if (values.crs !== undefined) filter.crs = crsOf(values.crs);
  if (values.sep !== undefined && values.sep !== 'comma' && values.sep !== 'semicolon') throw invalid(`sep must be comma or semicolon, got "${values.sep}"`);
  if (values.locale !== undefined && values.locale !== 'fr' && values.locale !== 'en') throw invalid(`locale must be fr or en, got "${values.locale}"`);
  if (values.geometry !== undefined && values.geometry !== 'wkt') throw invalid(`geometry must be wkt, got "${values.geometry}"`);
  const french = values.sep === 'semicolon' || values.locale === 'fr';
  if (french && (values.sep === 'comma' || values.locale === 'en')) throw invalid('sep and locale contradict each other');
  return { filter, french, wkt: values.geometry === 'wkt' };
}
