import type { Database } from '../../lib/db.ts';
import type { JobDefinition } from '../../lib/producer.ts';
import type { settings } from './settings.ts';
import { qualitySeries, saveQuality, sensorsForQuality, type QualityRecord } from './datasource.ts';

/**
 * Citizen-sensor quality control (the method is described on `SensorQuality` in schema.graphql).
 * The reference stations come from the hub's public GraphQL API, never from ATMO's tables.
 */
export const STUCK_HOURS = 6;
export const HUMID_RH = 75;
export const KAPPA = 0.4;
const LARGE_BIAS = 10;
const MIN_COMPARED = 24;
export const METHOD =
  `range (0–999 µg/m³, 999.9 fault), stuck ≥ ${STUCK_HOURS} h, RH > ${HUMID_RH} % flagged and corrected (κ-Köhler, κ = ${KAPPA}), ` +
  'bias and Pearson r of corrected PM2.5 against the nearest ATMO station over the same hours';

/** κ-Köhler mass growth factor (Crilley et al. 2018): C = 1 + (κ/1.65) / (1/aw − 1), aw = RH capped at 95 %. */
export function humidityCorrected(pm: number, humidity: number | null): number {
  if (humidity === null || humidity <= 0) return pm;
  const aw = Math.min(humidity, 95) / 100;
  return pm / (1 + KAPPA / 1.65 / (1 / aw - 1));
}

export interface Reading {
  time: string;
  pm25: number | null;
  pm10: number | null;
  humidity: number | null;
}

export function pearson(xs: number[], ys: number[]): number | null {
  const n = xs.length;
  if (n < 3) return null;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - mx;
    const dy = ys[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx === 0 || syy === 0 ? null : sxy / Math.sqrt(sxx * syy);
}

const hourOf = (iso: string) => `${iso.slice(0, 13)}:00:00.000Z`;

/** Scores one sensor's series against a reference series (hour → µg/m³), or none. */
export function assess(readings: Reading[], reference: { station: string; values: Map<string, number> } | null, now: Date): Omit<QualityRecord, 'sensorId'> {
  const bad = new Set<number>();
  let outOfRange = 0;
  readings.forEach((r, i) => {
    const wrong = (v: number | null) => v !== null && (v < 0 || v >= 999);
    if (wrong(r.pm25) || wrong(r.pm10)) {
      outOfRange += 1;
      bad.add(i);
    }
  });
  let stuck = 0;
  for (let i = 0; i < readings.length; ) {
    let j = i + 1;
    while (j < readings.length && readings[j]!.pm25 !== null && readings[j]!.pm25 === readings[i]!.pm25) j++;
    if (readings[i]!.pm25 !== null && j - i >= STUCK_HOURS) {
      stuck += j - i;
      for (let k = i; k < j; k++) bad.add(k);
    }
    i = j;
  }
  const humid = readings.filter((r) => r.humidity !== null && r.humidity > HUMID_RH).length;
  const usable = readings.filter((r, i) => !bad.has(i) && r.pm25 !== null);
  const share = readings.length === 0 ? 0 : usable.length / readings.length;
  const xs: number[] = [];
  const ys: number[] = [];
  if (reference) {
    for (const r of usable) {
      const ref = reference.values.get(hourOf(r.time));
      if (ref !== undefined) {
        xs.push(humidityCorrected(r.pm25!, r.humidity));
        ys.push(ref);
      }
    }
  }
  const correlation = pearson(xs, ys);
  const bias = xs.length > 0 ? xs.reduce((sum, x, i) => sum + x - ys[i]!, 0) / xs.length : null;
  const agreement = xs.length >= MIN_COMPARED ? Math.max(0, correlation ?? 0) : 0.7;
  const score = Math.min(1, Math.max(0, share * agreement * (bias !== null && Math.abs(bias) > LARGE_BIAS ? 0.8 : 1)));
  const flags = [
    { code: 'OUT_OF_RANGE', description: 'PM value negative, ≥ 999 µg/m³ or the SDS011 fault value 999.9', count: outOfRange },
    { code: 'STUCK', description: `the same PM2.5 value for ${STUCK_HOURS} or more consecutive hours`, count: stuck },
    { code: 'HUMID', description: `relative humidity above ${HUMID_RH} %: PM overestimated, corrected by the κ-Köhler factor`, count: humid },
    {
      code: 'LOW_CORRELATION',
      description: 'Pearson r below 0.5 against the nearest reference station over at least 24 common hours',
      count: xs.length >= MIN_COMPARED && (correlation ?? 0) < 0.5 ? xs.length : 0,
    },
  ].filter((f) => f.count > 0);
  return {
    score: Math.round(score * 1000) / 1000,
    flags,
    method: METHOD,
    referenceStation: xs.length > 0 ? reference!.station : null,
    bias: bias === null ? null : Math.round(bias * 100) / 100,
    correlation: correlation === null ? null : Math.round(correlation * 1000) / 1000,
    comparedHours: xs.length,
    computedAt: now.toISOString(),
  };
}

function metres(a: [number, number], b: [number, number]): number {
  const rad = Math.PI / 180;
  const dLat = (b[1] - a[1]) * rad;
  const dLon = (b[0] - a[0]) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a[1] * rad) * Math.cos(b[1] * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6_371_000 * Math.asin(Math.sqrt(h));
}

async function graphql<T>(url: string, query: string, variables: Record<string, unknown>): Promise<T> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  const body = (await response.json()) as { data?: T; errors?: { message: string }[] };
  if (body.errors?.length || !body.data) throw new Error(`hub API: ${body.errors?.map((e) => e.message).join('; ') ?? response.status}`);
  return body.data;
}

const STATIONS = '{ airStations { id location } }';
// 500 per page: the gateway's query-cost limit refuses 1,000 measurements with their connection.
const MEASUREMENTS = `query ($id: ID!, $from: String!, $to: String!, $after: String) { airStation(id: $id) {
  measurements(pollutant: PM25, from: $from, to: $to, first: 500, after: $after) { edges { node { time value } } pageInfo { hasNextPage endCursor } } } }`;

async function stationSeries(url: string, id: string, from: string, to: string): Promise<Map<string, number>> {
  const values = new Map<string, number>();
  let after: string | null = null;
  for (;;) {
    const data: any = await graphql(url, MEASUREMENTS, { id, from, to, after });
    const page = data.airStation?.measurements;
    if (!page) return values;
    for (const { node } of page.edges as { node: { time: string; value: number } }[]) values.set(hourOf(new Date(node.time).toISOString()), node.value);
    if (!page.pageInfo.hasNextPage) return values;
    after = page.pageInfo.endCursor;
  }
}

export interface QcOptions {
  /** The hub's public GraphQL endpoint (the gateway). */
  apiUrl: string;
  /** Only these sensors (tests); all by default. */
  sensorIds?: string[];
  now?: Date;
}

/** Runs QC over the sensors and stores the results in community.sensor_quality. Returns what it stored. */
export async function runQualityControl(db: Database, options: QcOptions): Promise<QualityRecord[]> {
  const now = options.now ?? new Date();
  const { airStations } = await graphql<{ airStations: { id: string; location: { coordinates: [number, number] } }[] }>(options.apiUrl, STATIONS, {});
  const sensors = (await sensorsForQuality(db.knex)).filter((s) => !options.sensorIds || options.sensorIds.includes(s.id));
  const cache = new Map<string, Map<string, number>>();
  const results: QualityRecord[] = [];
  for (const sensor of sensors) {
    const readings = await qualitySeries(db.knex, sensor.id);
    let reference: { station: string; values: Map<string, number> } | null = null;
    if (readings.length > 0) {
      const from = readings[0]!.time;
      const to = new Date(Date.parse(readings.at(-1)!.time) + 3_600_000).toISOString();
      // The nearest station that measured PM2.5 over those hours (not every station measures particles).
      const nearest = [...airStations].sort((a, b) => metres([sensor.lon, sensor.lat], a.location.coordinates) - metres([sensor.lon, sensor.lat], b.location.coordinates));
      for (const station of nearest.slice(0, 5)) {
        const key = `${station.id}|${from}|${to}`;
        const values = cache.get(key) ?? (await stationSeries(options.apiUrl, station.id, from, to));
        cache.set(key, values);
        if (values.size > 0) {
          reference = { station: station.id, values };
          break;
        }
      }
    }
    results.push({ sensorId: sensor.id, ...assess(readings, reference, now) });
  }
  await saveQuality(db.knex, results);
  return results;
}

/** Quality control as a job of the community producer: after start-up, then every TIGA_QC_INTERVAL_MINUTES. */
export const qualityControlJob: JobDefinition<{ [K in keyof typeof settings]: number }> = {
  name: 'quality-control',
  description: 'scores every citizen sensor against the nearest ATMO reference station, read through the hub\'s public API',
  intervalMinutes: (s) => s.qcIntervalMinutes,
  run: async ({ db, apiUrl }) => `quality control: ${(await runQualityControl(db, { apiUrl })).length} citizen sensors scored`,
};
