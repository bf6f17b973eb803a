import type { Request } from 'express';
import type { BBox } from '../catalog/readOpenData.ts';
import { CRS, type CrsCode, type OpenFilter } from '../opendata/openCollection.ts';
import { badRequest } from './ogcError.ts';
import { bboxToCrs84 } from './bboxToCrs84.ts';

/** The largest page (OGC API – Features Part 1: `limit` is 1..10,000) and the default one. */
export const MAX_LIMIT = 10_000;
export const DEFAULT_LIMIT = 100;

export type Format = 'json' | 'html';
export type Lang = 'fr' | 'en';

/** What every resource accepts besides its own parameters: the format and the language of the texts. */
const COMMON = ['f', 'lang'];
/** The parameters of each kind of resource; any other is refused (OGC API – Features /req/core/query-param-unknown). */
export const PARAMETERS = {
  page: COMMON,
  items: [...COMMON, 'limit', 'offset', 'bbox', 'bbox-crs', 'datetime', 'crs', 'territory'],
  feature: [...COMMON, 'crs'],
} as const;

/** The CRS code of a CRS URI the open contract serves, or undefined. */
export function crsOfUri(uri: string): CrsCode | undefined {
  return (Object.keys(CRS) as CrsCode[]).find((code) => CRS[code].uri === uri.trim());
}

/** One value of a query parameter: a repeated parameter is refused, an absent one is undefined. */
function single(req: Request, name: string): string | undefined {
  const value = req.query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw badRequest(`the parameter ${name} is given more than once`);
  return value;
}

/** Refuses parameters the resource does not know (OGC API – Features: HTTP 400). */
export function checkParameters(req: Request, allowed: readonly string[]): void {
  const unknown = Object.keys(req.query).filter((name) => !allowed.includes(name));
  if (unknown.length) throw badRequest(`unknown parameter${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}: this resource accepts ${allowed.join(', ')}`);
}

/** `f`: json or html, undefined when absent (the Accept header decides). */
export function formatOf(req: Request): Format | undefined {
  const f = single(req, 'f');
  if (f === undefined) return undefined;
  if (f !== 'json' && f !== 'html') throw badRequest('f must be json or html');
  return f;
}

/** `lang`, else Accept-Language: French unless English is asked for. */
export function langOf(req: Request): { lang: Lang; negotiated: boolean } {
  const lang = single(req, 'lang');
  if (lang !== undefined) {
    if (lang !== 'fr' && lang !== 'en') throw badRequest('lang must be fr or en');
    return { lang, negotiated: false };
  }
  return { lang: req.acceptsLanguages('fr', 'en') === 'en' ? 'en' : 'fr', negotiated: true };
}

/** `crs` (Part 2): the output CRS, CRS84 when absent. */
export function crsOf(req: Request, name = 'crs'): CrsCode {
  const uri = single(req, name);
  if (uri === undefined) return 'EPSG:4326';
  const crs = crsOfUri(uri);
  if (!crs) throw badRequest(`${name} must be one of ${Object.values(CRS).map((c) => c.uri).join(', ')}`);
  return crs;
}

function integer(req: Request, name: string, min: number, max: number, fallback: number): number {
  const text = single(req, name);
  if (text === undefined) return fallback;
  const value = /^\d{1,16}$/.test(text) ? Number(text) : NaN;
  if (!(value >= min && value <= max)) throw badRequest(`${name} must be an integer from ${min} to ${max.toLocaleString('en')}`);
  return value;
}

/**
 * `bbox`: 4 numbers (or 6, heights ignored) in `bbox-crs`, given back in CRS84 as one box, or two when it
 * crosses the antimeridian (its west edge east of its east edge).
 */
function bboxOf(req: Request): BBox[] | undefined {
  const text = single(req, 'bbox');
  const crs = crsOf(req, 'bbox-crs');
  if (text === undefined) return undefined;
  const numbers = text.split(',').map((part) => (part.trim() === '' ? NaN : Number(part)));
  if ((numbers.length !== 4 && numbers.length !== 6) || numbers.some((n) => !Number.isFinite(n))) throw badRequest('bbox must be 4 numbers, minx,miny,maxx,maxy (or 6 with heights)');
  const [minX, minY, maxX, maxY] = (numbers.length === 6 ? [numbers[0], numbers[1], numbers[3], numbers[4]] : numbers) as BBox;
  if (minY > maxY) throw badRequest('bbox: the lower bound is above the upper one');
  if (crs === 'EPSG:4326') {
    if ([minX, maxX].some((x) => Math.abs(x) > 180) || [minY, maxY].some((y) => Math.abs(y) > 90)) throw badRequest('bbox: longitudes lie in -180..180 and latitudes in -90..90 (CRS84)');
    if (minX > maxX) return [[minX, minY, 180, maxY], [-180, minY, maxX, maxY]];
    return [[minX, minY, maxX, maxY]];
  }
  if (minX > maxX) throw badRequest('bbox: the lower bound is above the upper one');
  return [bboxToCrs84([minX, minY, maxX, maxY], crs)];
}

/** An instant or a day of RFC 3339 (`2024-03-01`, `2024-03-01T10:00:00Z`), in UTC; undefined for an open end. */
function instantOf(text: string): string | undefined {
  if (text === '' || text === '..') return undefined;
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (day) {
    const [, y, mo, d] = day.map(Number) as [number, number, number, number];
    const date = new Date(Date.UTC(y, mo - 1, d));
    if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) throw badRequest(`datetime: ${text} is not a day of the calendar`);
    return text;
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(text) || Number.isNaN(Date.parse(text))) {
    throw badRequest(`datetime: ${text} is neither an RFC 3339 instant (2024-03-01T10:00:00Z) nor a day (2024-03-01)`);
  }
  return new Date(text).toISOString();
}

/** Milliseconds of a bound, a day standing for its first instant (start) or its last (end). */
const msOf = (bound: string, end: boolean) => (bound.length === 10 ? Date.parse(`${bound}T00:00:00Z`) + (end ? 86_399_999 : 0) : Date.parse(bound));

/** `datetime`: an instant, a day, or an interval `start/end` whose ends may be open (`..` or empty). */
function datetimeOf(req: Request): OpenFilter['datetime'] {
  const text = single(req, 'datetime');
  if (text === undefined) return undefined;
  const parts = text.split('/');
  if (parts.length > 2) throw badRequest('datetime is an instant or an interval start/end');
  if (parts.length === 1) {
    const at = instantOf(parts[0]!);
    if (!at) throw badRequest('datetime: an instant cannot be open; write an interval such as 2024-01-01/..');
    return { start: at, end: at };
  }
  const start = instantOf(parts[0]!);
  const end = instantOf(parts[1]!);
  if (start && end && msOf(start, false) > msOf(end, true)) throw badRequest('datetime: the interval ends before it starts');
  return start || end ? { ...(start ? { start } : {}), ...(end ? { end } : {}) } : undefined;
}

/** The extra `territory` filter: a commune (INSEE), IRIS or EPCI (SIREN) code of the referential. */
function territoryOf(req: Request): string | undefined {
  const code = single(req, 'territory');
  if (code === undefined) return undefined;
  if (!/^[0-9A-Za-z]{5,9}$/.test(code)) throw badRequest('territory must be a commune (INSEE), IRIS or EPCI (SIREN) code, e.g. 67482');
  return code;
}

export interface ItemsQuery {
  limit: number;
  offset: number;
  /** The filter for the open collection, but its bbox. */
  filter: Omit<OpenFilter, 'bbox'>;
  /** The bbox in CRS84: one box, or two for one crossing the antimeridian. */
  bbox?: BBox[];
  crs: CrsCode;
}

/** Every parameter of `/collections/{id}/items`, checked; a malformed one is a 400 naming it. */
export function itemsQueryOf(req: Request): ItemsQuery {
  checkParameters(req, PARAMETERS.items);
  const crs = crsOf(req);
  const bbox = bboxOf(req);
  const datetime = datetimeOf(req);
  const territory = territoryOf(req);
  return {
    limit: integer(req, 'limit', 1, MAX_LIMIT, DEFAULT_LIMIT),
    offset: integer(req, 'offset', 0, Number.MAX_SAFE_INTEGER, 0),
    crs,
    ...(bbox ? { bbox } : {}),
    filter: { ...(territory ? { territory } : {}), ...(datetime ? { datetime } : {}), crs },
  };
}
