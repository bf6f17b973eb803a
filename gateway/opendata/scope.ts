import { OpenDataError } from '../catalog/anonymousQuery.ts';
import { seriesExtent, type Extent, type Series } from '../catalog/seriesExtent.ts';
import { CRS, type CrsCode, type OpenFilter, type ReadContext } from './openCollection.ts';

/** Where open-data routes look for dated records (as the catalogue does). */
export const FIRST_YEAR = 2000;
/** graphql-armor allows 20 aliases per operation. */
export const ALIASES_PER_QUERY = 16;
/** Territory outlines in exports and the OGC API are simplified so (metres): a choropleth's precision, a fraction of the size. */
export const OUTLINE_SIMPLIFY_METERS = 20;

/** Runs one anonymous operation for the context's client. */
export const ask = (ctx: ReadContext, query: string, variables?: Record<string, unknown>) => ctx.query(query, variables, { client: ctx.client, requestId: ctx.requestId, maxWaitMs: ctx.maxWaitMs });

/** The `crs` argument of a geometry field for the filter's CRS, e.g. `(crs: EPSG_2154)`; nothing for WGS84 (the default). */
export function crsArgument(crs: CrsCode | undefined, other = ''): string {
  const parts = [other, crs && crs !== 'EPSG:4326' ? `crs: ${CRS[crs].enum}` : ''].filter(Boolean);
  return parts.length ? `(${parts.join(', ')})` : '';
}

export const chunks = <T>(items: T[], size = ALIASES_PER_QUERY): T[][] => Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

export interface Place {
  code: string;
  name: string;
  kind: 'COMMUNE' | 'EPCI' | 'IRIS';
  geometry: unknown;
}

/**
 * The territories of the given kinds the filter selects, ordered by code, with their (simplified) outlines
 * in the filter's CRS: all of them without a territory or bbox; with `territory`, that territory and those
 * inside it (an EPCI's communes, a commune's IRIS); with `bbox`, those whose outline intersects it.
 */
export async function placesOf(ctx: ReadContext, filter: OpenFilter, kinds: Place['kind'][]): Promise<Place[]> {
  const geometry = `geometry${crsArgument(filter.crs, `simplifyMeters: ${OUTLINE_SIMPLIFY_METERS}`)}`;
  const data = await ask(ctx, `{ ${kinds.map((kind) => `${kind}: territories(kind: ${kind}) { code name kind ${geometry} }`).join(' ')} }`);
  let places = kinds.flatMap((kind) => (data[kind] ?? []) as Place[]);
  if (filter.territory) {
    const inside = new Set(await codesInside(ctx, filter.territory));
    places = places.filter((p) => inside.has(p.code));
  }
  if (filter.bbox) {
    const found = await ask(ctx, 'query Box($select: AreaInput!) { area(select: $select) { territories { code } } }', { select: { bbox: filter.bbox } });
    const inBox = new Set(((found.area?.territories ?? []) as { code: string }[]).map((t) => t.code));
    places = places.filter((p) => inBox.has(p.code));
  }
  return places.sort((a, b) => a.code.localeCompare(b.code));
}

/** A territory's code and its descendants' (EPCI → communes → IRIS). An unknown code is NOT_FOUND (from the contract). */
async function codesInside(ctx: ReadContext, code: string): Promise<string[]> {
  const data = await ask(ctx, 'query Inside($code: ID!) { territory(code: $code) { code children { code children { code } } } }', { code });
  type Node = { code: string; children?: Node[] };
  const walk = (node: Node): string[] => [node.code, ...(node.children ?? []).flatMap(walk)];
  if (!data.territory) throw new OpenDataError(`no territory has the code ${code}`, 'NOT_FOUND');
  return walk(data.territory as Node);
}

/**
 * The ids of the located records (`airStations`, `sensors`, `groundwaterPoints`) inside the filter's
 * territory and bbox, through the geographic join of the contract (`area`); undefined when neither is set.
 */
export async function idsInArea(ctx: ReadContext, filter: OpenFilter, field: 'airStations' | 'sensors' | 'groundwaterPoints'): Promise<Set<string> | undefined> {
  let ids: Set<string> | undefined;
  for (const select of [filter.territory ? { territory: filter.territory } : undefined, filter.bbox ? { bbox: filter.bbox } : undefined]) {
    if (!select) continue;
    const found = await ask(ctx, `query Inside($select: AreaInput!) { area(select: $select) { ${field} { id } } }`, { select });
    const here = new Set(((found.area?.[field] ?? []) as { id: string }[]).map((r) => r.id));
    ids = ids ? new Set([...ids].filter((id) => here.has(id))) : here;
  }
  return ids;
}

/** The UTC day of an instant or day (ISO 8601). */
export const dayOf = (value: string) => value.slice(0, 10);

/** Consecutive windows of at most `maxDays` days covering first..last (days, inclusive). */
export function windows(first: string, last: string, maxDays: number): [string, string][] {
  const DAY = 86_400_000;
  const out: [string, string][] = [];
  for (let start = Date.parse(`${first}T00:00:00Z`); start <= Date.parse(`${last}T00:00:00Z`); start += maxDays * DAY) {
    const end = Math.min(start + (maxDays - 1) * DAY, Date.parse(`${last}T00:00:00Z`));
    out.push([new Date(start).toISOString().slice(0, 10), new Date(end).toISOString().slice(0, 10)]);
  }
  return out;
}

/**
 * The days to read: the filter's interval where it gives both ends (read as asked, so a record written a
 * second ago is there, whatever a cached extent says), else completed by the series' extent; undefined when
 * they do not meet.
 */
export function clip(extent: { start: string; end: string } | undefined, filter: OpenFilter): { start: string; end: string } | undefined {
  const asked = filter.datetime ?? {};
  if (asked.start && asked.end) {
    // Nothing is dated before 2000 or after next year: an interval of centuries reads no more than that.
    const start = [dayOf(asked.start), `${FIRST_YEAR}-01-01`].sort().at(-1)!;
    const end = [dayOf(asked.end), `${new Date().getUTCFullYear() + 1}-12-31`].sort()[0]!;
    return start <= end ? { start, end } : undefined;
  }
  if (!extent) return undefined;
  const start = asked.start ? dayOf(asked.start) : dayOf(extent.start);
  const end = asked.end ? dayOf(asked.end) : dayOf(extent.end);
  return start <= end ? { start, end } : undefined;
}

/** Whether an instant lies in the filter's interval (bounds inclusive; a day bound covers its whole day). */
export function inInterval(at: string, filter: OpenFilter): boolean {
  const { start, end } = filter.datetime ?? {};
  if (start && at < start && dayOf(at) < start) return false;
  if (end && at > end && !(end.length === 10 && dayOf(at) === end)) return false;
  return true;
}

/** How long a series' extent is reused: new days show in the routes' listings within a minute; values are always read live. */
const EXTENT_TTL_MS = 60_000;
const extents = new Map<string, { at: number; extent: Promise<Extent | undefined> }>();

/**
 * The first and last day of a dated series of the contract (as the catalogue finds them: about seven
 * queries). Shared by every request for a minute and charged to the hub's own open-data budget, so a page
 * of the OGC API does not pay for it each time.
 */
export function extentOf(ctx: ReadContext, series: Series): Promise<Extent | undefined> {
  const key = series.select('w', 'from', 'to', 1);
  const hit = extents.get(key);
  if (hit && Date.now() - hit.at < EXTENT_TTL_MS) return hit.extent;
  const query: typeof ctx.query = (q, v) => ctx.query(q, v, { requestId: ctx.requestId });
  const extent = seriesExtent(query, series, { from: FIRST_YEAR, to: new Date().getUTCFullYear() + 1 });
  if (extents.size > 256) extents.clear();
  extents.set(key, { at: Date.now(), extent });
  extent.catch(() => extents.delete(key));
  return extent;
}

/** The value, or undefined when the contract says the thing asked for does not exist or is malformed (a 404 for a route). */
export async function missingAsUndefined<T>(promise: Promise<T>): Promise<T | undefined> {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof OpenDataError && (error.code === 'NOT_FOUND' || error.code === 'BAD_USER_INPUT')) return undefined;
    throw error;
  }
}
