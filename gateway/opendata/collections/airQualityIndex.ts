import type { Series } from '../../catalog/seriesExtent.ts';
import type { OpenCollection, OpenFeature, OpenFilter, ReadContext, Segment } from '../openCollection.ts';
import { ask, clip, extentOf, missingAsUndefined, placesOf, windows, type Place } from '../scope.ts';

/**
 * The indice ATMO of one EPCI as a dated series of the contract (ATMO publishes an EPCI's with its communes').
 * One territory per alias: `territories(kind: EPCI)` is priced as 1,000 territories, and 16 year-long windows
 * of it cost 5.9 M, over the 1 M budget of one operation.
 */
const epciIndices = (code: string): Series => ({
  select: (alias, from, to) => `${alias}: territory(code: "${code}") { airQuality(from: "${from}", to: "${to}") { date } }`,
  records: (answer) => (((answer as { airQuality: { date: string }[] | null } | null)?.airQuality ?? []) as { date: string }[]).map((i) => ({ at: i.date })),
  bounds: (a, b) => [a, b],
  perDay: 2,
});

/** The first and last day of the EPCI indices (the catalogue's extent of the dataset). */
async function indexExtent(ctx: ReadContext): Promise<{ start: string; end: string } | undefined> {
  const epcis = ((await ask(ctx, '{ territories(kind: EPCI) { code } }')).territories ?? []) as { code: string }[];
  const extents = (await Promise.all(epcis.map((e) => extentOf(ctx, epciIndices(e.code))))).filter((e) => e !== undefined);
  if (!extents.length) return undefined;
  return { start: extents.map((e) => e.start).sort()[0]!, end: extents.map((e) => e.end).sort().at(-1)! };
}

const FIELDS = 'date index label color subIndices { no2 so2 o3 pm10 pm25 } kind issuedOn updatedAt zoneCode zoneName source synthetic';

/** The day of the latest indice ATMO published for the territory, or undefined when none is. */
export async function latestIndexDay(ctx: ReadContext): Promise<string | undefined> {
  return (await indexExtent(ctx))?.end;
}

/** How long the per-territory counts of a window are reused (numberMatched and paging): a minute. */
const COUNTS_TTL_MS = 60_000;
const dated = new Map<number, { at: number; dates: Promise<Map<string, string[]>> }>();

/**
 * The days each commune and EPCI has an index for, in one calendar year. Reading them costs a few hundred
 * thousand cost units: it is the hub's own work (client `hub:open-data`), shared by every request for a
 * minute and keyed by calendar year only, so no choice of interval can make the hub count again (numberMatched
 * and paging may lag a new day by that minute; the values themselves are always read live).
 */
function datesIn(ctx: ReadContext, year: number): Promise<Map<string, string[]>> {
  const hit = dated.get(year);
  if (hit && Date.now() - hit.at < COUNTS_TTL_MS) return hit.dates;
  const dates = (async () => {
    const found = new Map<string, string[]>();
    for (const kind of ['COMMUNE', 'EPCI']) {
      const data = await ctx.query(`{ territories(kind: ${kind}) { code airQuality(from: "${year}-01-01", to: "${year}-12-31") { date } } }`, undefined, { requestId: ctx.requestId });
      for (const t of data.territories as { code: string; airQuality: { date: string }[] | null }[]) found.set(t.code, (t.airQuality ?? []).map((i) => i.date));
    }
    return found;
  })();
  if (dated.size > 64) dated.clear();
  dated.set(year, { at: Date.now(), dates });
  dates.catch(() => dated.delete(year));
  return dates;
}

/** How many indices each territory has from `from` to `to` (days, inclusive), from the years' dates. */
async function countsIn(ctx: ReadContext, from: string, to: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let year = Number(from.slice(0, 4)); year <= Number(to.slice(0, 4)); year++) {
    for (const [code, days] of await datesIn(ctx, year)) counts.set(code, (counts.get(code) ?? 0) + days.filter((day) => day >= from && day <= to).length);
  }
  return counts;
}

function toFeature(place: Place, index: any): OpenFeature {
  return {
    id: `${place.code}-${index.date}`,
    geometry: place.geometry,
    properties: {
      territoryCode: place.code, territoryName: place.name, territoryKind: place.kind, date: index.date, index: index.index, label: index.label, color: index.color,
      no2: index.subIndices.no2, so2: index.subIndices.so2, o3: index.subIndices.o3, pm10: index.subIndices.pm10, pm25: index.subIndices.pm25,
      kind: index.kind ?? null, issuedOn: index.issuedOn ?? null, updatedAt: index.updatedAt ?? null, zoneCode: index.zoneCode, zoneName: index.zoneName,
      source: index.source, synthetic: index.synthetic,
    },
  };
}

interface IndexSegment extends Segment {
  place: Place;
  from: string;
  to: string;
}

/** The daily indice ATMO of every commune and EPCI: one feature per territory and day, its outline as geometry. */
export const airQualityIndex: OpenCollection = {
  id: 'air-quality-index',
  dataset: 'air-quality-index',
  producer: 'atmo',
  title: { fr: 'Indice ATMO quotidien par commune et par EPCI', en: 'Daily ATMO index per commune and EPCI' },
  description: {
    fr: "L'indice ATMO de chaque jour (arrêté du 10 juillet 2020) de chaque commune et EPCI, avec ses sous-indices ; un objet par territoire et par jour, contour simplifié à 20 m.",
    en: 'The daily ATMO index (order of 10 July 2020) of every commune and EPCI, with its sub-indices; one feature per territory and day, outline simplified to 20 m.',
  },
  geometryType: 'MultiPolygon',
  temporal: { property: 'date' },
  properties: [
    { name: 'territoryCode', type: 'string', description: 'INSEE commune code or EPCI SIREN' },
    { name: 'territoryName', type: 'string', description: 'Name of the territory' },
    { name: 'territoryKind', type: 'string', description: 'COMMUNE or EPCI' },
    { name: 'date', type: 'date', description: 'Day the index describes' },
    { name: 'index', type: 'integer', description: '1 Good, 2 Fair, 3 Degraded, 4 Poor, 5 Very poor, 6 Extremely poor; 0 Absent, 7 Event' },
    { name: 'label', type: 'string', description: 'The official label of the index' },
    { name: 'color', type: 'string', description: 'The official colour of the index (#RRGGBB)' },
    { name: 'no2', type: 'integer', description: 'NO2 sub-index' },
    { name: 'so2', type: 'integer', description: 'SO2 sub-index' },
    { name: 'o3', type: 'integer', description: 'O3 sub-index' },
    { name: 'pm10', type: 'integer', description: 'PM10 sub-index' },
    { name: 'pm25', type: 'integer', description: 'PM2.5 sub-index' },
    { name: 'kind', type: 'string', description: 'FORECAST (published the day before) or OBSERVATION (the day’s own index)' },
    { name: 'issuedOn', type: 'date', description: 'Day of diffusion' },
    { name: 'updatedAt', type: 'date-time', description: 'When ATMO last updated it' },
    { name: 'zoneCode', type: 'string', description: 'Code of the zone ATMO computed it for' },
    { name: 'zoneName', type: 'string', description: 'Name of that zone' },
    { name: 'source', type: 'string', description: 'Where the hub got it' },
    { name: 'synthetic', type: 'boolean', description: 'True when generated by the project’s seed, not real data' },
  ],
  async segments(ctx, filter) {
    const days = clip(await indexExtent(ctx), filter);
    if (!days) return [];
    const places = await placesOf(ctx, filter, ['COMMUNE', 'EPCI']);
    const spans = windows(days.start, days.end, 366);
    const counts = await Promise.all(spans.map(([from, to]) => countsIn(ctx, from, to)));
    // Territory by territory, each oldest first.
    return places.flatMap((place) => spans.map(([from, to], i): IndexSegment => ({ key: `${place.code}/${from}`, count: counts[i]!.get(place.code) ?? 0, place, from, to })));
  },
  async *features(ctx, _filter, segment) {
    const { place, from, to } = segment as IndexSegment;
    const data = await ask(ctx, `query Indices($code: ID!) { territory(code: $code) { airQuality(from: "${from}", to: "${to}") { ${FIELDS} } } }`, { code: place.code });
    yield ((data.territory?.airQuality ?? []) as any[]).map((index) => toFeature(place, index));
  },
  async feature(ctx, id, crs) {
    const match = /^(\w{5,9})-(\d{4}-\d{2}-\d{2})$/.exec(id);
    if (!match) return undefined;
    const [, code, day] = match as unknown as [string, string, string];
    const filter: OpenFilter = { territory: code, crs };
    const places = (await missingAsUndefined(placesOf(ctx, filter, ['COMMUNE', 'EPCI']))) ?? [];
    const place = places.find((p) => p.code === code);
    if (!place) return undefined;
    const data = await missingAsUndefined(ask(ctx, `query Index($code: ID!) { territory(code: $code) { airQuality(from: "${day}", to: "${day}") { ${FIELDS} } } }`, { code }));
    const index = (data?.territory?.airQuality ?? [])[0];
    return index ? toFeature(place, index) : undefined;
  },
};
