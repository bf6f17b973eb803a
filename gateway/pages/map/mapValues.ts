import type { AnonymousQuery } from '../../catalog/anonymousQuery.ts';
import { MapParameterError } from './sendCached.ts';

/** The map's data layers: three colour the territories (one at a time), three are points. */
export const AREA_LAYERS = ['atmo', 'health', 'urban'] as const;
export const POINT_LAYERS = ['stations', 'sensors', 'groundwater'] as const;
export type MapLayer = (typeof AREA_LAYERS)[number] | (typeof POINT_LAYERS)[number];

/** The urban indicators the contract publishes (`UrbanIndicators`), in the order the page offers them. */
export const URBAN_FIELDS = ['greenSpaceShare', 'imperviousShare', 'treeCanopyShare', 'populationDensity', 'cycleLaneDensity'] as const;

/** Hours of a station's or a sensor's history its latest value is looked for in, up to the end of the chosen day. */
const LATEST_WINDOW_HOURS = 48;
/** Citizen sensors per page: each is priced with its window of readings (200 × 48 stays cheap). */
const SENSORS_PER_PAGE = 200;

type Client = { client: string; requestId: string };
type Params = Record<string, unknown>;

const DAY = /^\d{4}-\d{2}-\d{2}$/;
/**
 * A calendar day that exists (Date.parse takes 2025-02-30 for 2 March) in years 1000–9999: the window of latest
 * values starts two days earlier, and a year before 0001 would be written `-000001-…`, which no producer reads.
 */
function day(value: unknown, name = 'date'): string {
  const time = typeof value === 'string' && DAY.test(value) ? Date.parse(`${value}T00:00:00Z`) : NaN;
  if (Number.isNaN(time) || new Date(time).toISOString().slice(0, 10) !== value || (value as string) < '1000-01-01') throw new MapParameterError(`${name} must be a day, YYYY-MM-DD`);
  return value as string;
}
function oneOf<T extends string>(value: unknown, allowed: readonly T[], name: string): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) throw new MapParameterError(`${name} must be one of ${allowed.join(', ')}`);
  return value as T;
}

/** The end of a window of latest values: the chosen day, or the series' last day when the day is after it. */
function windowEnding(date: string, seriesEnd: string | undefined): { from: string; to: string } {
  const end = seriesEnd && seriesEnd.slice(0, 10) < date ? seriesEnd.slice(0, 10) : date;
  const to = Date.parse(`${end}T23:59:59Z`);
  return { from: new Date(to + 1000 - LATEST_WINDOW_HOURS * 3_600_000).toISOString(), to: new Date(to).toISOString() };
}

/** What a request for a layer's values asks, validated: the key of its cached answer and how to read it. */
export interface ValuesRequest {
  key: string;
  read: (query: AnonymousQuery, client: Client, seriesEnd: (dataset: string) => Promise<string | undefined>) => Promise<unknown>;
}

/**
 * One layer's values for the whole territory in one anonymous operation (a choropleth's 68 communes in one
 * read, never one per commune): `layer=atmo&date=`, `layer=health&indicator=&period=&level=COMMUNE|EPCI`,
 * `layer=urban&indicator=`, `layer=stations&date=`, `layer=sensors&date=`, `layer=groundwater`.
 */
export function valuesRequest(params: Params): ValuesRequest {
  const layer = oneOf(params.layer, [...AREA_LAYERS, ...POINT_LAYERS], 'layer');
  const allowed: Record<MapLayer, string[]> = { atmo: ['date'], health: ['indicator', 'period', 'level'], urban: ['indicator'], stations: ['date'], sensors: ['date'], groundwater: [] };
  const unknown = Object.keys(params).filter((name) => name !== 'layer' && !allowed[layer].includes(name));
  if (unknown.length) throw new MapParameterError(`unknown parameter ${unknown.join(', ')} for layer=${layer} (it takes ${allowed[layer].join(', ') || 'nothing else'})`);
  switch (layer) {
    case 'atmo': {
      const date = day(params.date);
      return { key: `atmo:${date}`, read: (query, client) => atmoValues(query, client, date) };
    }
    case 'health': {
      const indicator = typeof params.indicator === 'string' && /^[A-Z][A-Z0-9_]{0,63}$/.test(params.indicator) ? params.indicator : undefined;
      if (!indicator) throw new MapParameterError('indicator must be an indicator code, UPPER_SNAKE_CASE (see healthIndicators)');
      const period = typeof params.period === 'string' && /^\d{4}(-\d{4})?$/.test(params.period) ? params.period : undefined;
      if (!period) throw new MapParameterError('period must be a year, YYYY (or YYYY-YYYY)');
      const level = params.level === undefined ? 'COMMUNE' : oneOf(params.level, ['COMMUNE', 'EPCI'] as const, 'level');
      return { key: `health:${indicator}:${period}:${level}`, read: (query, client) => healthValues(query, client, indicator, period, level) };
    }
    case 'urban': {
      const indicator = oneOf(params.indicator, URBAN_FIELDS, 'indicator');
      return { key: `urban:${indicator}`, read: (query, client) => urbanValues(query, client, indicator) };
    }
    case 'stations': {
      const date = day(params.date);
      return { key: `stations:${date}`, read: async (query, client, end) => stationValues(query, client, windowEnding(date, await end('air-measurements'))) };
    }
    case 'sensors': {
      const date = day(params.date);
      return { key: `sensors:${date}`, read: async (query, client, end) => sensorValues(query, client, windowEnding(date, await end('citizen-sensors'))) };
    }
    case 'groundwater':
      return { key: 'groundwater', read: (query, client) => groundwaterValues(query, client) };
  }
}

async function atmoValues(query: AnonymousQuery, client: Client, date: string) {
  const data = await query(`query MapAtmo($date: String!) { territories(kind: COMMUNE) { code airQuality(from: $date, to: $date) { index label color kind } } }`, { date }, client);
  const values: Record<string, unknown> = {};
  for (const t of data.territories as any[]) if (t.airQuality?.length) values[t.code] = t.airQuality[0];
  return { layer: 'atmo', date, values };
}

async function healthValues(query: AnonymousQuery, client: Client, indicator: string, period: string, level: 'COMMUNE' | 'EPCI') {
  const data = await query(
    `query MapHealth($kind: TerritoryKind!, $indicator: String!, $period: String!) { territories(kind: $kind) { code health(indicator: $indicator, period: $period) { label value unit precision suppressed suppressionReason } } }`,
    { kind: level, indicator, period },
    client,
  );
  const values: Record<string, unknown> = {};
  for (const t of data.territories as any[]) if (t.health?.length) values[t.code] = t.health[0];
  return { layer: 'health', indicator, period, level, values };
}

async function urbanValues(query: AnonymousQuery, client: Client, indicator: (typeof URBAN_FIELDS)[number]) {
  const data = await query(`{ territories(kind: COMMUNE) { code urban { year ${indicator} synthetic } } }`, {}, client);
  const values: Record<string, unknown> = {};
  for (const t of data.territories as any[]) if (t.urban && t.urban[indicator] !== null) values[t.code] = { value: t.urban[indicator], year: t.urban.year };
  return { layer: 'urban', indicator, values };
}

const point = (id: string, geometry: unknown, properties: Record<string, unknown>) => ({ type: 'Feature', id, geometry, properties: { id, ...properties } });

/** The last value of each pollutant (measurements come oldest first). */
function latestByPollutant(edges: { node: { pollutant: string; time: string; value: number; unit: string } }[]) {
  const latest: Record<string, { time: string; value: number; unit: string }> = {};
  for (const { node } of edges) latest[node.pollutant] = { time: node.time, value: node.value, unit: node.unit };
  return latest;
}

async function stationValues(query: AnonymousQuery, client: Client, window: { from: string; to: string }) {
  const data = await query(
    `query MapStations($from: String!, $to: String!) { airStations { id name communeCode typology location measurements(from: $from, to: $to, first: 1000) { edges { node { pollutant time value unit } } } } }`,
    window,
    client,
  );
  const features = (data.airStations as any[]).map((s) => point(s.id, s.location, { name: s.name, communeCode: s.communeCode, typology: s.typology ?? null, latest: latestByPollutant(s.measurements.edges) }));
  return { type: 'FeatureCollection', layer: 'stations', window, features };
}

async function sensorValues(query: AnonymousQuery, client: Client, window: { from: string; to: string }) {
  const features: unknown[] = [];
  const days = { from: window.from.slice(0, 10), to: window.to.slice(0, 10) };
  for (let after: string | null = null, more = true; more; ) {
    const page: any = (
      await query(
        `query MapSensors($after: String, $from: String!, $to: String!) { sensors(first: ${SENSORS_PER_PAGE}, after: $after) { edges { node { id sensorType location quality { score flags { code } computedAt } provenance { producerName licence synthetic } readings(from: $from, to: $to, first: ${LATEST_WINDOW_HOURS + 24}) { edges { node { time pm10 pm25 pm25HumidityCorrected humidity temperature } } } } } pageInfo { hasNextPage endCursor } } }`,
        { after, ...days },
        client,
      )
    ).sensors;
    for (const { node: s } of page.edges) {
      const latest = (s.readings.edges as { node: { time: string } }[]).filter((e) => e.node.time <= window.to).at(-1)?.node ?? null;
      features.push(point(s.id, s.location, { sensorType: s.sensorType, qualityScore: s.quality?.score ?? null, qualityFlags: s.quality?.flags.map((f: { code: string }) => f.code) ?? [], producerName: s.provenance.producerName, licence: s.provenance.licence, synthetic: s.provenance.synthetic, latest }));
    }
    more = page.pageInfo.hasNextPage;
    after = page.pageInfo.endCursor;
  }
  return { type: 'FeatureCollection', layer: 'sensors', window, features };
}

async function groundwaterValues(query: AnonymousQuery, client: Client) {
  const data = await query(`{ groundwaterPoints { id name communeCode location locationPrecision latestStatus { assessment lastSampled } } }`, {}, client);
  const features = (data.groundwaterPoints as any[]).map((p) =>
    point(p.id, p.location, { name: p.name ?? null, communeCode: p.communeCode ?? null, locationPrecision: p.locationPrecision, assessment: p.latestStatus.assessment, lastSampled: p.latestStatus.lastSampled ?? null }),
  );
  return { type: 'FeatureCollection', layer: 'groundwater', features };
}
