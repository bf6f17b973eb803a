import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Knex } from 'knex';
import type { IngestReport } from '../../lib/ingest/types.ts';
import { ingestFile, type FileOptions } from '../../scripts/ingest.ts';
import { bearer } from '../support/auth.ts';
import { gatewayQuery, testHub } from '../support/hub.ts';

/**
 * ATMO feeds the hub the national files the LCSQA publishes every day: the list of measurement sites (to
 * know its stations) and the hourly "E2" files of every French station, of which the hub keeps its own.
 * Every fixture goes in whole through the CLI and through `POST /ingest/atmo`, and reads back through the
 * gateway as the file has it.
 */
const SAMPLES = path.resolve(import.meta.dirname, '../../subgraphs/atmo/samples');
const E2 = path.join(SAMPLES, 'FR_E2_2026-03-29.csv');
const STATIONS = path.join(SAMPLES, 'lcsqa-stations.csv');
const E2_SOURCE = "ATMO GRAND EST, LCSQA/Geod'air E2";
const NEW_STATIONS = ['FR16997', 'FR16998'];
const LISTED = ['FR16029', 'FR16034', 'FR16040', 'FR42010'];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tiga-atmo-e2-'));

type Via = 'the CLI' | 'POST /ingest/atmo';
const VIAS: Via[] = ['the CLI', 'POST /ingest/atmo'];

let knex: Knex;
let gatewayUrl: string;
let producer: Record<string, string>;
let researcher: Record<string, string>;
let heldStations: Record<string, unknown>[];

async function ingest(via: Via, file: string, options: FileOptions = {}): Promise<IngestReport> {
  if (via === 'the CLI') return ingestFile((await testHub()).subgraph('atmo').db, 'atmo', file, options);
  const url = new URL('/ingest/atmo', gatewayUrl);
  url.searchParams.set('name', path.basename(file));
  if (options.timezone) url.searchParams.set('timezone', options.timezone);
  if (options.format) url.searchParams.set('format', options.format);
  const response = await fetch(url, { method: 'POST', body: fs.readFileSync(file), headers: producer });
  const report = (await response.json()) as IngestReport;
  expect(response.status).toBe(report.committed ? 200 : 422);
  return report;
}

async function cleanUp() {
  await knex('atmo.measurement').where('source', E2_SOURCE).delete();
  await knex('atmo.measurement').whereIn('station_code', NEW_STATIONS).delete();
  await knex('atmo.station').whereIn('code', NEW_STATIONS).delete();
  // The listed stations the seed holds get their seeded description back.
  for (const row of heldStations) await knex('atmo.station').where('code', row.code as string).update(row);
}

const write = (name: string, text: string) => {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, text);
  return file;
};
const e2Header = () => fs.readFileSync(E2, 'utf8').split('\r\n')[0]!;
const e2Line = (n: number) => fs.readFileSync(E2, 'utf8').split('\r\n')[n - 1]!;

beforeAll(async () => {
  const hub = await testHub();
  gatewayUrl = hub.gatewayUrl;
  knex = hub.subgraph('atmo').db.knex;
  producer = await bearer(['producer:atmo'], 'atmo-feed');
  researcher = await bearer(['atmo:restricted'], 'atmo-researcher');
  heldStations = await knex('atmo.station').whereIn('code', LISTED).select('*');
  expect(heldStations).toHaveLength(LISTED.length);
});

afterAll(async () => {
  await cleanUp();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const RAW = `edges { node { pollutant time value unit validated verified qualityCode source synthetic } }`;

async function rawSeries(station: string, from: string, to: string) {
  const { data, errors } = await gatewayQuery(`{ airStation(id: "${station}") { rawMeasurements(from: "${from}", to: "${to}") { ${RAW} } } }`, {}, researcher);
  expect(errors).toBeUndefined();
  return data.airStation.rawMeasurements.edges.map((e: { node: unknown }) => e.node);
}

const value = (pollutant: string, time: string, v: number, validated: boolean, verified: boolean, qualityCode: string) => ({
  pollutant, time, value: v, unit: 'µg/m³', validated, verified, qualityCode, source: E2_SOURCE, synthetic: true,
});

describe('ATMO registers its stations from the LCSQA list of measurement sites', () => {
  for (const via of VIAS) {
    it(`through ${via}: the stations inside the territory are registered, the others skipped and counted by line`, async () => {
      await cleanUp();
      const report = await ingest(via, STATIONS);
      expect(report.rejected).toEqual([]);
      expect(report).toMatchObject({ format: 'lcsqa-stations-csv', committed: true, read: 8, inserted: 2, updated: 4, unchanged: 0 });
      expect(report.skipped).toEqual([{ reason: "outside the hub's territory", count: 2, lines: [8, 9] }]);

      const { data, errors } = await gatewayQuery(`{
        new: airStation(id: "FR16998") { id name communeCode epciCode areaClassification activeFrom activeTo location synthetic source }
        closed: airStation(id: "FR16997") { name communeCode activeFrom activeTo }
        nord: airStation(id: "FR16029") { name communeCode epciCode areaClassification activeFrom location }
        metz: airStation(id: "FR01011") { id }
        territory(code: "67447") { airStations { id } } }`);
      expect(errors).toBeUndefined();
      // A new station is placed in the commune its Municipality names (written in capitals in the list).
      expect(data.new).toEqual({
        id: 'FR16998', name: 'Schiltigheim Écoles (fixture)', communeCode: '67447', epciCode: '246700488', areaClassification: 'suburban',
        activeFrom: '2022-01-03', activeTo: null, location: { type: 'Point', coordinates: [7.7487, 48.6075] }, synthetic: true,
        source: `LCSQA list of measurement sites (AirQualityStations): ${via === 'the CLI' ? 'lcsqa-stations.csv' : 'upload through the TIGA API'}`,
      });
      expect(data.closed).toEqual({ name: 'Strasbourg Ancienne Gare (fixture)', communeCode: '67482', activeFrom: '1998-01-01', activeTo: '2019-12-31' });
      // A station the hub holds keeps the commune it was placed in; the list adds what it knows.
      expect(data.nord).toEqual({ name: 'STG Nord', communeCode: '67482', epciCode: '246700488', areaClassification: 'urban', activeFrom: '2001-01-01', location: { type: 'Point', coordinates: [7.781631, 48.610363] } });
      expect(data.metz).toBeNull();
      expect(data.territory.airStations).toEqual([{ id: 'FR16998' }]);
    });
  }

  it('a new station whose Municipality is no commune near the territory is refused with its line and reason', async () => {
    await cleanUp();
    const text = fs.readFileSync(STATIONS, 'utf8').replace('SCHILTIGHEIM', 'Atlantis');
    const report = await ingest('the CLI', write('lcsqa-stations-bad.csv', text));
    expect(report).toMatchObject({ committed: false, inserted: 0 });
    expect(report.rejected).toEqual([{ line: 6, reason: 'Municipality "Atlantis" is not a commune of Bas-Rhin, Moselle or Vosges' }]);
  });
});

describe("ATMO loads the LCSQA E2 national hourly file (FR_E2_YYYY-MM-DD.csv)", () => {
  const SKIPPED = [
    { reason: 'station not held by the hub (outside the territory, or not registered from the LCSQA station list)', count: 3, lines: [12, 13, 18] },
    { reason: 'no value for this hour (empty "valeur"): nothing is stored, never 0', count: 2, lines: [7, 15] },
    { reason: 'a validated hourly mean of the same hour is in the file: the raw mean is left out', count: 1, lines: [2] },
    { reason: 'pollutant "NO" is not one the hub serves (NO2, O3, PM10, PM2.5, SO2)', count: 1, lines: [9] },
    { reason: 'pollutant "NOX as NO2" is not one the hub serves (NO2, O3, PM10, PM2.5, SO2)', count: 1, lines: [10] },
    { reason: 'pollutant "CO" is not one the hub serves (NO2, O3, PM10, PM2.5, SO2)', count: 1, lines: [11] },
  ];

  for (const via of VIAS) {
    it(`through ${via}: recognised by its header, every row of the hub's stations stored as published, the rest skipped and counted by line`, async () => {
      await cleanUp();
      const report = await ingest(via, E2);
      expect(report.rejected).toEqual([]);
      expect(report).toMatchObject({ format: 'lcsqa-e2-csv', encoding: 'utf-8', committed: true, read: 17, inserted: 8, updated: 0, unchanged: 0 });
      expect(report.skipped).toEqual(SKIPPED);

      // 2026 rows (quoted): UTC hours; the validated mean of 00:00 wins over the raw one; ozone valid with validité 4.
      expect(await rawSeries('FR16029', '2026-03-29T00:00:00Z', '2026-03-29T03:00:00Z')).toEqual([
        value('NO2', '2026-03-29T00:00:00.000Z', 24, true, true, 'A'),
        value('O3', '2026-03-29T00:00:00.000Z', 52, true, false, 'A'),
        value('PM25', '2026-03-29T00:00:00.000Z', 8.4, true, false, 'A'),
        value('NO2', '2026-03-29T01:00:00.000Z', 25, true, false, 'A'),
      ]);
      // validité -1 with a value: stored, not valid, with its code qualité as published.
      expect(await rawSeries('FR16034', '2026-03-29T00:00:00Z', '2026-03-29T03:00:00Z')).toEqual([value('NO2', '2026-03-29T01:00:00.000Z', 41, false, false, 'R')]);
      // 2021 rows (unquoted), validated means; SO2 with validité 2 (below the detection limit) is valid.
      expect(await rawSeries('FR16034', '2021-10-22T00:00:00Z', '2021-10-22T03:00:00Z')).toEqual([value('PM10', '2021-10-22T00:00:00.000Z', 18.3, true, true, 'A')]);
      expect(await rawSeries('FR42010', '2021-10-22T00:00:00Z', '2021-10-22T03:00:00Z')).toEqual([value('NO2', '2021-10-22T00:00:00.000Z', 31.2, true, true, 'A')]);
      expect(await rawSeries('FR16040', '2021-10-22T00:00:00Z', '2021-10-22T03:00:00Z')).toEqual([value('SO2', '2021-10-22T00:00:00.000Z', 2.1, true, true, 'A')]);

      // The open series leaves out the value not valid; an hour without a value is absent, never 0.
      const open = await gatewayQuery('{ airStation(id: "FR16034") { measurements(from: "2026-03-29T00:00:00Z", to: "2026-03-29T03:00:00Z") { edges { node { value } } } } }');
      expect(open.data.airStation.measurements.edges).toEqual([]);
      expect(await knex('atmo.measurement').where({ station_code: 'FR16029', pollutant: 'PM10' }).whereBetween('measured_at', ['2026-03-29T00:00:00Z', '2026-03-29T03:00:00Z'])).toEqual([]);
    });
  }

  it('read again, the file changes nothing', async () => {
    const report = await ingest('the CLI', E2);
    expect(report).toMatchObject({ committed: true, inserted: 0, updated: 0, unchanged: 8 });
  });

  it('a raw hourly mean never replaces a validated one; a validated mean replaces a raw one', async () => {
    const raw = e2Line(4).replace('moyenne horaire validée', 'moyenne horaire brute').replace('"24";"23.8"', '"99";"99.0"');
    const validated = e2Line(3).replace('moyenne horaire brute', 'moyenne horaire validée').replace('"25";"24.9"', '"26";"25.7"');
    const report = await ingest('POST /ingest/atmo', write('FR_E2_2026-03-29-update.csv', [e2Header(), raw, validated, ''].join('\r\n')));
    expect(report).toMatchObject({ committed: true, read: 2, inserted: 0, updated: 1, unchanged: 0, rejected: [] });
    expect(report.skipped).toEqual([{ reason: 'a validated hourly mean of this hour is already stored: the raw mean does not replace it', count: 1, lines: [2] }]);
    const nodes = await rawSeries('FR16029', '2026-03-29T00:00:00Z', '2026-03-29T01:00:00Z');
    expect(nodes.filter((n: { pollutant: string }) => n.pollutant === 'NO2')).toEqual([
      value('NO2', '2026-03-29T00:00:00.000Z', 24, true, true, 'A'),
      value('NO2', '2026-03-29T01:00:00.000Z', 26, true, true, 'A'),
    ]);
  });

  it('times are UTC unless the producer says otherwise: with --timezone Europe/Paris, 03:00 local on 29 March 2026 is 01:00Z; 02:00 does not exist', async () => {
    const at = (start: string, end: string) => e2Line(6).replace('"2026/03/29 00:00:00";"2026/03/29 01:00:00"', `"2026/03/29 ${start}";"2026/03/29 ${end}"`).replace('"8.4";"8.37"', '"9.1";"9.08"');
    const file = write('FR_E2_2026-03-29-paris.csv', [e2Header(), at('03:00:00', '04:00:00'), ''].join('\r\n'));
    for (const via of VIAS) {
      await knex('atmo.measurement').where({ station_code: 'FR16029', pollutant: 'PM25', measured_at: '2026-03-29T01:00:00Z' }).delete();
      const report = await ingest(via, file, { timezone: 'Europe/Paris' });
      expect(report).toMatchObject({ committed: true, inserted: 1, rejected: [] });
      const nodes = await rawSeries('FR16029', '2026-03-29T01:00:00Z', '2026-03-29T01:00:00Z');
      expect(nodes.filter((n: { pollutant: string }) => n.pollutant === 'PM25')).toEqual([value('PM25', '2026-03-29T01:00:00.000Z', 9.1, true, false, 'A')]);
    }
    const gap = await ingest('the CLI', write('FR_E2_2026-03-29-gap.csv', [e2Header(), at('02:00:00', '03:00:00'), ''].join('\r\n')), { timezone: 'Europe/Paris' });
    expect(gap).toMatchObject({ committed: false, rejected: [{ line: 2, reason: 'Date de début "2026/03/29 02:00:00" does not exist in Europe/Paris (clocks go forward then)' }] });
    const unknown = await ingest('the CLI', file, { timezone: 'Europe/Strasbourg' });
    expect(unknown).toMatchObject({ committed: false, rejected: [{ line: 0, reason: expect.stringMatching(/unknown time zone "Europe\/Strasbourg"/) }] });
  });

  it('a row of a held station with an unknown validité, a wrong unit or a two-hour period refuses the file with each line and reason, and nothing is written', async () => {
    const lines = fs.readFileSync(E2, 'utf8').split('\r\n');
    lines[3] = lines[3]!.replace('"A";"1";"true"', '"A";"7";"true"');
    lines[4] = lines[4]!.replace('"µg-m3"', '"ppb"');
    lines[5] = lines[5]!.replace('"2026/03/29 01:00:00";"ATMO', '"2026/03/29 02:00:00";"ATMO');
    lines[13] = lines[13]!.replace(';µg-m3;', ';mg-m3;');
    const before = await knex('atmo.measurement').where('source', E2_SOURCE).orderBy(['station_code', 'pollutant', 'measured_at']);
    const report = await ingest('POST /ingest/atmo', write('FR_E2_2026-03-29-bad.csv', lines.join('\r\n')));
    expect(report).toMatchObject({ committed: false, inserted: 0, updated: 0 });
    expect(report.rejected).toEqual([
      { line: 4, reason: 'validité "7" is not an EEA observationvalidity code (1, 2, 3, 4 valid; -1, -99 not valid)' },
      { line: 5, reason: 'unknown unit "ppb" (expected µg-m3)' },
      { line: 6, reason: 'Date de début 2026/03/29 00:00:00 and Date de fin 2026/03/29 02:00:00 are not one hour apart (UTC)' },
      { line: 14, reason: 'unit "mg-m3" for PM10: the hub serves PM10 in µg/m³ (mg/m³ is CO\'s unit)' },
    ]);
    expect(await knex('atmo.measurement').where('source', E2_SOURCE).orderBy(['station_code', 'pollutant', 'measured_at'])).toEqual(before);
  });
});
