import type { AnonymousQuery } from './anonymousQuery.ts';

/** One record of a time series as the open contract returns it. */
export interface SeriesRecord {
  /** Its instant or day, as the contract gives it (ISO 8601). */
  at: string;
  source?: string;
  synthetic?: boolean;
}

/**
 * A time series of the open contract read through a root list whose items each hold a cursor connection
 * ordered oldest first, with `from`/`to` arguments limited to a year (e.g. `airStations { measurements }`).
 */
export interface Series {
  /** The selection of one window under `alias`, e.g. `w0: airStations { measurements(from:…, to:…, first:…) {…} }`. */
  select(alias: string, from: string, to: string, first: number): string;
  /** The records of one alias's answer, every item's page flattened. */
  records(answer: unknown): SeriesRecord[];
  /** The `from` and `to` arguments covering the UTC days `firstDay`..`lastDay`: dates or instants. */
  bounds(firstDay: string, lastDay: string): [string, string];
  /** More records than one item holds in one day (the last day is read whole). */
  perDay: number;
}

export interface Extent {
  start: string;
  end: string;
  /** The records read at both ends (for their provenance). */
  records: SeriesRecord[];
}

const DAY_MS = 86_400_000;
/** graphql-armor allows 20 aliases per operation: 16 windows per query leaves room. */
const WINDOWS_PER_QUERY = 16;

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const msOf = (day: string) => Date.parse(`${day}T00:00:00Z`);

/** Splits the days first..last into at most `parts` consecutive windows. */
function split(first: string, last: string, parts: number): [string, string][] {
  const days = (msOf(last) - msOf(first)) / DAY_MS + 1;
  const size = Math.ceil(days / parts);
  const windows: [string, string][] = [];
  for (let start = msOf(first); start <= msOf(last); start += size * DAY_MS) {
    windows.push([dayOf(start), dayOf(Math.min(start + (size - 1) * DAY_MS, msOf(last)))]);
  }
  return windows;
}

/** The records of each window (`first` per item), asking up to 16 windows per query. */
async function read(query: AnonymousQuery, series: Series, windows: [string, string][], first: number): Promise<SeriesRecord[][]> {
  const found: SeriesRecord[][] = [];
  for (let i = 0; i < windows.length; i += WINDOWS_PER_QUERY) {
    const chunk = windows.slice(i, i + WINDOWS_PER_QUERY);
    const data = await query(`{ ${chunk.map(([a, b], j) => series.select(`w${j}`, ...series.bounds(a, b), first)).join(' ')} }`);
    found.push(...chunk.map((_, j) => series.records(data[`w${j}`])));
  }
  return found;
}

const lastNonEmpty = (lists: SeriesRecord[][]) => lists.reduce((last, records, i) => (records.length ? i : last), -1);
const earliest = (records: SeriesRecord[]) => records.reduce((min, r) => (r.at < min ? r.at : min), records[0]!.at);
const latest = (records: SeriesRecord[]) => records.reduce((max, r) => (r.at > max ? r.at : max), records[0]!.at);

/**
 * The first and last instants of a series, read through the open contract only: the earliest record of
 * each year (`first: 1`, the connection being ordered oldest first) gives the start; the last year holding
 * records is then narrowed to its last day by successive splits into 16 windows, and that day read whole
 * gives the end. About seven queries, whatever the series' size. Undefined when the years hold nothing.
 */
export async function seriesExtent(query: AnonymousQuery, series: Series, years: { from: number; to: number }): Promise<Extent | undefined> {
  const yearWindows: [string, string][] = [];
  for (let year = years.from; year <= years.to; year++) yearWindows.push([`${year}-01-01`, `${year}-12-31`]);
  const perYear = await read(query, series, yearWindows, 1);
  const firstYear = perYear.findIndex((records) => records.length > 0);
  if (firstYear < 0) return undefined;
  const lastYear = lastNonEmpty(perYear);
  let window = yearWindows[lastYear]!;
  while (window[0] !== window[1]) {
    const parts = split(window[0], window[1], WINDOWS_PER_QUERY);
    const found = await read(query, series, parts, 1);
    window = parts[lastNonEmpty(found)]!;
  }
  const [lastDay] = await read(query, series, [window], series.perDay);
  const first = perYear[firstYear]!;
  return { start: earliest(first), end: latest(lastDay!), records: [...first, ...lastDay!] };
}
