import type { Knex } from 'knex';
import type { SeedReport, Seeder } from './types.ts';
import type { Referential } from './referential.ts';
import { days, gaussian, metresBetween, rng, round } from './random.ts';

/**
 * ATMO Grand Est seed: the real stations of the referential, and synthetic daily indices and hourly
 * measurements shaped like the real ones (winter particle episodes, summer ozone, NO2 highest near the
 * A35 and Strasbourg's centre, ~2 % of hours not validated). Sub-indices come from synthetic concentrations
 * through the official bands read from atmo.sub_index_band, so code_qual = max(sub-indices) by construction.
 */

const SOURCE = 'TIGA synthetic seed v1 (not real ATMO Grand Est data)';
const STATION_SOURCE = 'LCSQA, Liste points de mesures 2021 (code, name, location); commune by point in polygon';
const INDEX_FROM = '2024-01-01';
const INDEX_TO = '2025-12-31';
const MEASUREMENTS_FROM = '2025-01-01';
const MEASUREMENT_DAYS = 90;
const STRASBOURG_CENTRE: [number, number] = [7.7521, 48.5734];
/** Distance over which the urban NO2/PM excess fades (e-folding, metres). */
const URBAN_SCALE_M = 6000;
/** SO2 is measured at the stations nearest the Port du Rhin industry, where its sources are. */
const PORT_DU_RHIN: [number, number] = [7.8, 48.575];
const SO2_STATIONS = 2;
const HOUR_MS = 3_600_000;

type Pollutant = 'NO2' | 'SO2' | 'O3' | 'PM10' | 'PM25';
type Concentrations = Record<Pollutant, number>;
type Bands = Record<Pollutant, number[]>;
type SubIndices = Record<Pollutant, number>;

/** Regional meteorology of one day: shared by every commune, so episodes hit the whole territory at once. */
interface Weather {
  /** +1 mid-January … −1 mid-July. */
  season: number;
  /** Log-scale dispersion anomaly (AR(1)): positive when the air is stagnant. */
  stagnation: number;
  /** Multiplier of a winter particle episode (1 outside episodes). */
  pmEpisode: number;
  /** Extra ozone of a summer heat episode, µg/m³. */
  heat: number;
  sunday: boolean;
}

const urbanFactor = (point: [number, number]) => Math.exp(-metresBetween(point, STRASBOURG_CENTRE) / URBAN_SCALE_M);

function regionalWeather(dates: string[]): Weather[] {
  const random = rng('atmo:weather');
  let stagnation = 0;
  const pm = { left: 0, length: 0, peak: 1 };
  const o3 = { left: 0, length: 0, peak: 0 };
  const bell = (episode: { left: number; length: number }) => Math.sin((Math.PI * (episode.length - episode.left + 0.5)) / episode.length);
  return dates.map((date) => {
    const day = new Date(`${date}T00:00:00Z`);
    const month = day.getUTCMonth() + 1;
    const dayOfYear = (day.getTime() - Date.UTC(day.getUTCFullYear(), 0, 1)) / 86_400_000;
    stagnation = 0.75 * stagnation + 0.18 * gaussian(random);
    if (pm.left === 0 && (month === 12 || month <= 2) && random() < 0.045) {
      pm.length = pm.left = 3 + Math.floor(random() * 4);
      pm.peak = (1.5 + random() * 0.9) * (random() < 0.15 ? 1.45 : 1);
    }
    if (o3.left === 0 && month >= 6 && month <= 8 && random() < 0.07) {
      o3.length = o3.left = 3 + Math.floor(random() * 5);
      o3.peak = 20 + random() * 30;
    }
    const pmEpisode = pm.left > 0 ? pm.peak ** bell(pm) : 1;
    const heat = o3.left > 0 ? o3.peak * bell(o3) : 0;
    pm.left = Math.max(0, pm.left - 1);
    o3.left = Math.max(0, o3.left - 1);
    return { season: Math.cos((2 * Math.PI * (dayOfYear - 15)) / 365.25), stagnation, pmEpisode, heat, sunday: day.getUTCDay() === 0 };
  });
}

/** Indicator concentrations of a commune-day: NO2/O3/SO2 daily hourly maxima, PM daily means (µg/m³). */
function dailyConcentrations(w: Weather, urban: number, random: () => number): Concentrations {
  const noise = (sd: number) => Math.exp(sd * gaussian(random));
  const pm10 = (13 + 6 * urban) * (1 + 0.3 * w.season) * Math.exp(w.stagnation) * w.pmEpisode * noise(0.12);
  return {
    NO2: (25 + 50 * urban) * (1 + 0.2 * w.season) * (w.sunday ? 0.8 : 1) * Math.exp(0.6 * w.stagnation) * Math.sqrt(w.pmEpisode) * noise(0.15),
    SO2: (3 + 10 * urban) * noise(0.5),
    O3: ((62 - 30 * w.season) * (1 - 0.12 * urban) + w.heat) * noise(0.1),
    PM10: pm10,
    PM25: pm10 * (0.62 + 0.08 * w.season) * noise(0.08),
  };
}

/** Official sub-index: the first class whose bound the integer-rounded concentration does not exceed, else 6. */
function subIndex(value: number, bounds: number[]): number {
  const class1to5 = bounds.findIndex((bound) => Math.round(value) <= bound);
  return class1to5 === -1 ? 6 : class1to5 + 1;
}

async function readBands(trx: Knex): Promise<Bands> {
  const rows: { pollutant: Pollutant; max_ugm3: number }[] = await trx('atmo.sub_index_band').orderBy(['pollutant', 'code']);
  const bands = { NO2: [], SO2: [], O3: [], PM10: [], PM25: [] } as Bands;
  for (const row of rows) bands[row.pollutant].push(row.max_ugm3);
  return bands;
}

function indexRow(date: string, zone: { code: string; name: string; type: 'COMMUNE' | 'EPCI' }, sub: SubIndices) {
  return {
    date_ech: date,
    code_zone: zone.code,
    lib_zone: zone.name,
    type_zone: zone.type,
    code_qual: Math.max(sub.NO2, sub.SO2, sub.O3, sub.PM10, sub.PM25),
    code_no2: sub.NO2,
    code_so2: sub.SO2,
    code_o3: sub.O3,
    code_pm10: sub.PM10,
    code_pm25: sub.PM25,
    source: SOURCE,
    synthetic: true,
  };
}

/** Commune rows from their own concentrations; EPCI rows take, sub-index by sub-index, the worst member commune. */
function dailyIndexRows(referential: Referential, weather: Map<string, Weather>, bands: Bands) {
  const rows: ReturnType<typeof indexRow>[] = [];
  const worst = new Map<string, SubIndices>();
  for (const commune of referential.communes) {
    const random = rng(`atmo:daily:${commune.code}`);
    const urban = urbanFactor(commune.centre);
    for (const [date, w] of weather) {
      const c = dailyConcentrations(w, urban, random);
      const sub: SubIndices = {
        NO2: subIndex(c.NO2, bands.NO2),
        SO2: subIndex(c.SO2, bands.SO2),
        O3: subIndex(c.O3, bands.O3),
        PM10: subIndex(c.PM10, bands.PM10),
        PM25: subIndex(c.PM25, bands.PM25),
      };
      rows.push(indexRow(date, { code: commune.code, name: commune.name, type: 'COMMUNE' }, sub));
      const key = `${commune.epci}|${date}`;
      const seen = worst.get(key);
      worst.set(key, seen ? { NO2: Math.max(seen.NO2, sub.NO2), SO2: Math.max(seen.SO2, sub.SO2), O3: Math.max(seen.O3, sub.O3), PM10: Math.max(seen.PM10, sub.PM10), PM25: Math.max(seen.PM25, sub.PM25) } : sub);
    }
  }
  for (const epci of referential.epcis) {
    for (const date of weather.keys()) {
      const sub = worst.get(`${epci.code}|${date}`);
      if (sub) rows.push(indexRow(date, { code: epci.code, name: epci.name, type: 'EPCI' }, sub));
    }
  }
  return rows;
}

/** Europe/Paris offset, approximated by month (the DST switch days are off by an hour: fine for a diurnal profile). */
const localHour = (t: Date) => (t.getUTCHours() + (t.getUTCMonth() >= 3 && t.getUTCMonth() <= 9 ? 2 : 1)) % 24;
const peak = (hour: number, at: number, width: number) => Math.exp(-((hour - at) ** 2) / width);

/** Hourly mean of one pollutant without noise: regional weather × urban excess × diurnal cycle (µg/m³). */
function hourlyLevel(pollutant: Pollutant, w: Weather, urban: number, hour: number, weekend: boolean): number {
  const winter = 1 + 0.3 * w.season;
  const pm10 = (13 + 6 * urban) * winter * Math.exp(w.stagnation) * w.pmEpisode * (0.85 + 0.25 * peak(hour, 9, 6) + 0.3 * peak(hour, 21, 8));
  switch (pollutant) {
    case 'NO2': {
      // Commuter traffic: morning and evening rush hours, damped at weekends.
      const rush = (0.5 + 0.7 * urban) * (peak(hour, 8, 3) + 0.8 * peak(hour, 18.5, 4)) * (weekend ? 0.6 : 1);
      return (14 + 40 * urban) * (1 + 0.25 * w.season) * Math.exp(0.6 * w.stagnation) * Math.sqrt(w.pmEpisode) * (0.55 + rush);
    }
    case 'O3': {
      // Photochemistry peaks mid-afternoon; urban NO titrates ozone, mostly at night.
      const daylight = Math.max(0, Math.sin((Math.PI * (hour - 8)) / 13));
      const titration = 1 - 0.35 * urban * (daylight > 0 ? 0.3 : 1);
      return ((62 - 30 * w.season) * (1 - 0.12 * urban) + w.heat) * (0.45 + 0.75 * daylight) * titration;
    }
    case 'PM10':
      return pm10;
    case 'PM25':
      return pm10 * (0.62 + 0.08 * w.season);
    case 'SO2':
      return 1.5 + 3 * urban;
  }
}

/**
 * One station's hourly series for one pollutant. Noise is autocorrelated hour to hour; instrument faults
 * come in runs of 1–7 hours (~2 % of hours) whose values are not validated, some of them implausible.
 */
function* hourlySeries(station: { code: string; urban: number }, pollutant: Pollutant, start: number, hours: number, weather: (t: Date) => Weather) {
  const random = rng(`atmo:hourly:${station.code}:${pollutant}`);
  let noise = 0;
  let fault = 0;
  let plume = 0;
  for (let i = 0; i < hours; i++) {
    const time = new Date(start + i * HOUR_MS);
    const weekday = time.getUTCDay();
    noise = 0.85 * noise + 0.53 * gaussian(random);
    if (pollutant === 'SO2' && plume === 0 && random() < 0.003) plume = 1 + Math.floor(random() * 3);
    let value = hourlyLevel(pollutant, weather(time), station.urban, localHour(time), weekday === 0 || weekday === 6) * Math.exp(0.22 * noise);
    if (plume > 0) {
      value *= 8;
      plume--;
    }
    if (fault === 0 && random() < 0.005) fault = 1 + Math.floor(random() * 7);
    let validated = true;
    if (fault > 0) {
      fault--;
      validated = false;
      const kind = random();
      value = kind < 0.15 ? -(1 + random() * 9) : kind < 0.3 ? 9999 : value * (1.3 + random());
    }
    yield { measured_at: time.toISOString(), pollutant, value: round(validated ? Math.max(0, value) : value, 1), validated };
  }
}

export const seedAtmo: Seeder = async (knex, referential, options) => {
  return knex.transaction(async (trx): Promise<SeedReport> => {
    const existing = await trx('atmo.daily_index').count({ count: '*' }).first();
    if (Number(existing?.count) > 0) return { subgraph: 'atmo', rows: {} };

    const scale = Math.max(1, options.scale);
    const hours = Math.round(MEASUREMENT_DAYS * scale) * 24;
    // A larger scale reaches further back, never past the scale-1 history's end: no measurement is ever
    // dated in the future (a 13× seed running forward from 2025 would reach 2028).
    const end = Date.parse(`${MEASUREMENTS_FROM}T00:00:00Z`) + MEASUREMENT_DAYS * 24 * HOUR_MS;
    const start = end - hours * HOUR_MS;
    const firstDay = new Date(start).toISOString().slice(0, 10);
    const lastDay = new Date(end - HOUR_MS).toISOString().slice(0, 10);
    const dates = days(firstDay < INDEX_FROM ? firstDay : INDEX_FROM, lastDay > INDEX_TO ? lastDay : INDEX_TO);
    const weatherByDate = new Map(regionalWeather(dates).map((w, i) => [dates[i]!, w]));
    const indexWeather = new Map([...weatherByDate].filter(([date]) => date >= INDEX_FROM && date <= INDEX_TO));
    const weatherAt = (t: Date) => weatherByDate.get(t.toISOString().slice(0, 10))!;

    const epciOf = new Map(referential.communes.map((c) => [c.code, c.epci]));
    const stations = referential.stations.map((s) => ({
      code: s.code,
      name: s.name,
      commune_code: s.commune,
      epci_code: epciOf.get(s.commune) ?? null,
      typology: null,
      geom: trx.raw('ST_SetSRID(ST_MakePoint(?, ?), 4326)', s.location),
      source: STATION_SOURCE,
      synthetic: false,
    }));
    await trx.batchInsert('atmo.station', stations, 1000);

    const dailyRows = dailyIndexRows(referential, indexWeather, await readBands(trx));
    await trx.batchInsert('atmo.daily_index', dailyRows, 1000);

    const so2Stations = new Set(
      [...referential.stations].sort((a, b) => metresBetween(a.location, PORT_DU_RHIN) - metresBetween(b.location, PORT_DU_RHIN)).slice(0, SO2_STATIONS).map((s) => s.code),
    );
    let measurements = 0;
    for (const s of referential.stations) {
      const station = { code: s.code, urban: urbanFactor(s.location) };
      const pollutants: Pollutant[] = so2Stations.has(s.code) ? ['NO2', 'O3', 'PM10', 'PM25', 'SO2'] : ['NO2', 'O3', 'PM10', 'PM25'];
      const rows = pollutants.flatMap((pollutant) =>
        [...hourlySeries(station, pollutant, start, hours, weatherAt)].map((m) => ({ station_code: s.code, ...m, source: SOURCE, synthetic: true })),
      );
      await trx.batchInsert('atmo.measurement', rows, 1000);
      measurements += rows.length;
    }
    // Fresh statistics, so the planner picks the (station, time) indexes from the first query on.
    await trx.raw('analyze atmo.station, atmo.daily_index, atmo.measurement');
    return { subgraph: 'atmo', rows: { station: stations.length, daily_index: dailyRows.length, measurement: measurements } };
  });
};
