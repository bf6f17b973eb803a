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
 * ATMO publishes the daily indice ATMO as the national open-data CSV, as GeoJSON and from its own ArcGIS
 * FeatureServer. Every day it publishes goes in — "Absent" (0) and "Événement" (7) days too —, the
 * forecast and the day's own index are both kept, and a day is the day in Europe/Paris, whatever instant a
 * service encodes it as. Each fixture goes in whole through the CLI and through `POST /ingest/atmo`.
 */
const SAMPLES = path.resolve(import.meta.dirname, '../../subgraphs/atmo/samples');
const HISTORY = path.join(SAMPLES, 'indice-atmo-history.csv');
const ARCGIS = path.join(SAMPLES, 'arcgis-ind-grandest-strasbourg.json');
const GEOJSON = path.join(SAMPLES, 'indice-atmo.geojson');
const SOURCE = 'ATMO Grand Est (TIGA synthetic fixture)';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tiga-atmo-indice-'));

type Via = 'the CLI' | 'POST /ingest/atmo';
const VIAS: Via[] = ['the CLI', 'POST /ingest/atmo'];

let knex: Knex;
let gatewayUrl: string;
let producer: Record<string, string>;

async function ingest(via: Via, file: string, options: FileOptions = {}): Promise<IngestReport> {
  if (via === 'the CLI') return ingestFile((await testHub()).subgraph('atmo').db, 'atmo', file, options);
  const url = new URL('/ingest/atmo', gatewayUrl);
  url.searchParams.set('name', path.basename(file));
  const response = await fetch(url, { method: 'POST', body: fs.readFileSync(file), headers: producer });
  const report = (await response.json()) as IngestReport;
  expect(response.status).toBe(report.committed ? 200 : 422);
  return report;
}

const cleanUp = () => knex('atmo.daily_index').where('source', SOURCE).delete();
const write = (name: string, text: string) => {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, text);
  return file;
};

const FIELDS = 'date index label color subIndices { no2 so2 o3 pm10 pm25 } kind issuedOn updatedAt zoneCode zoneName zoneType source synthetic';

async function airQuality(code: string, from: string, to: string, kind?: 'FORECAST' | 'OBSERVATION') {
  const { data, errors } = await gatewayQuery(`{ territory(code: "${code}") { airQuality(from: "${from}", to: "${to}"${kind ? `, kind: ${kind}` : ''}) { ${FIELDS} } } }`);
  expect(errors).toBeUndefined();
  return data.territory.airQuality;
}

const subs = (no2: number, so2: number, o3: number, pm10: number, pm25: number) => ({ no2, so2, o3, pm10, pm25 });
const day = (date: string, index: number, label: string, color: string, subIndices: ReturnType<typeof subs>, kind: string | null, issuedOn: string | null, updatedAt: string | null, zone = { zoneCode: '67482', zoneName: 'Strasbourg', zoneType: 'COMMUNE' }) => ({
  date, index, label, color, subIndices, kind, issuedOn, updatedAt, ...zone, source: SOURCE, synthetic: true,
});
const EMS = { zoneCode: '246700488', zoneName: 'Eurométropole de Strasbourg', zoneType: 'EPCI' };
const NONE = subs(0, 0, 0, 0, 0);

beforeAll(async () => {
  const hub = await testHub();
  gatewayUrl = hub.gatewayUrl;
  knex = hub.subgraph('atmo').db.knex;
  producer = await bearer(['producer:atmo'], 'atmo-feed');
});

afterAll(async () => {
  await cleanUp();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('ATMO loads a history of the national indice CSV with "Absent" and "Événement" days', () => {
  for (const via of VIAS) {
    it(`through ${via}: every day goes in whole and reads back with its official class, label and colour`, async () => {
      await cleanUp();
      const report = await ingest(via, HISTORY);
      expect(report.rejected).toEqual([]);
      expect(report).toMatchObject({ format: 'indice-csv', committed: true, read: 7, inserted: 7, updated: 0, unchanged: 0, skipped: [] });
      expect(await airQuality('67482', '2026-02-09', '2026-02-13')).toEqual([
        day('2026-02-09', 2, 'Moyen', '#50CCAA', subs(2, 1, 1, 2, 2), 'OBSERVATION', '2026-02-09', '2026-02-09T11:05:00.000Z'),
        day('2026-02-10', 0, 'Absent', '#DDDDDD', NONE, 'OBSERVATION', '2026-02-10', '2026-02-10T11:03:00.000Z'),
        day('2026-02-11', 7, 'Événement', '#888888', subs(2, 1, 2, 2, 1), 'OBSERVATION', '2026-02-11', '2026-02-11T10:58:00.000Z'),
        // Published twice: the day's own index is served, its forecast of the day before is kept beside it.
        day('2026-02-12', 4, 'Mauvais', '#FF5050', subs(2, 1, 2, 4, 3), 'OBSERVATION', '2026-02-12', '2026-02-12T11:07:00.000Z'),
        day('2026-02-13', 0, 'Absent', '#DDDDDD', NONE, 'OBSERVATION', '2026-02-13', '2026-02-13T11:01:00.000Z'),
      ]);
      expect(await airQuality('67482', '2026-02-09', '2026-02-13', 'FORECAST')).toEqual([
        day('2026-02-12', 3, 'Dégradé', '#F0E641', subs(3, 1, 2, 2, 3), 'FORECAST', '2026-02-11', '2026-02-11T11:10:00.000Z'),
      ]);
      expect(await airQuality('246700488', '2026-02-10', '2026-02-10')).toEqual([day('2026-02-10', 7, 'Événement', '#888888', NONE, 'OBSERVATION', '2026-02-10', '2026-02-10T11:03:00.000Z', EMS)]);
    });
  }

  it('a forecast published the day before and the observation published on the day never overwrite each other, whatever the order of imports', async () => {
    await cleanUp();
    const header = fs.readFileSync(HISTORY, 'utf8').split('\n')[0]!;
    const [forecast, observation] = fs.readFileSync(HISTORY, 'utf8').split('\n').slice(4, 6).map((line) => line.replaceAll('2026-02-12', '2026-02-14').replaceAll('2026-02-11', '2026-02-13'));
    const forecastFile = write('indice-forecast.csv', `${header}\n${forecast}\n`);
    expect(await ingest('the CLI', forecastFile)).toMatchObject({ committed: true, inserted: 1 });
    expect(await airQuality('67482', '2026-02-14', '2026-02-14')).toMatchObject([{ index: 3, kind: 'FORECAST', issuedOn: '2026-02-13' }]);
    expect(await ingest('POST /ingest/atmo', write('indice-observation.csv', `${header}\n${observation}\n`))).toMatchObject({ committed: true, inserted: 1, updated: 0 });
    expect(await airQuality('67482', '2026-02-14', '2026-02-14')).toMatchObject([{ index: 4, kind: 'OBSERVATION', issuedOn: '2026-02-14' }]);
    // The forecast imported again (the last import) changes nothing and does not hide the observation.
    expect(await ingest('the CLI', forecastFile)).toMatchObject({ committed: true, inserted: 0, updated: 0, unchanged: 1 });
    expect(await airQuality('67482', '2026-02-14', '2026-02-14')).toMatchObject([{ index: 4, kind: 'OBSERVATION' }]);
    expect(await airQuality('67482', '2026-02-14', '2026-02-14', 'FORECAST')).toMatchObject([{ index: 3, kind: 'FORECAST' }]);
    expect(await airQuality('67482', '2026-02-14', '2026-02-14', 'OBSERVATION')).toMatchObject([{ index: 4, kind: 'OBSERVATION' }]);
  });

  it('the history published without a date of diffusion (the seed) is served as before, with no kind', async () => {
    const [first] = await airQuality('67482', '2025-01-01', '2025-01-01');
    expect(first).toMatchObject({ date: '2025-01-01', kind: null, issuedOn: null, updatedAt: null, synthetic: true });
    expect(await airQuality('67482', '2025-01-01', '2025-01-01', 'OBSERVATION')).toEqual([]);
  });

  it('a class outside 0–7, a label of another class, a sub-index above 6 or a date of diffusion in the future is refused on its line, and nothing is written', async () => {
    await cleanUp();
    const lines = fs.readFileSync(HISTORY, 'utf8').split('\n');
    lines[1] = lines[1]!.replace(',2,Moyen,#50CCAA,', ',8,Moyen,#50CCAA,');
    lines[3] = lines[3]!.replace(',7,Événement,', ',7,Bon,');
    lines[4] = lines[4]!.replace(',3,1,2,2,3,', ',3,1,2,2,9,');
    lines[5] = lines[5]!.replace(',2026-02-12,2026-02-12,', ',2099-02-12,2026-02-12,');
    const report = await ingest('POST /ingest/atmo', write('indice-bad.csv', lines.join('\n')));
    expect(report).toMatchObject({ committed: false, inserted: 0 });
    expect(report.rejected).toEqual([
      { line: 2, reason: 'code_qual = 8 is outside 1–6 and is neither 0 (Absent) nor 7 (Événement)' },
      { line: 4, reason: 'lib_qual "Bon" does not match code_qual 7 ("Événement")' },
      { line: 5, reason: 'code_pm25 = 9 is outside 1–6 (0 when not available)' },
      { line: 6, reason: 'date_dif 2099-02-12 is in the future' },
    ]);
    expect(await knex('atmo.daily_index').where('source', SOURCE)).toEqual([]);
  });
});

describe("ATMO loads the answer of ATMO Grand Est's ArcGIS FeatureServer (ind_grandest, f=json)", () => {
  for (const via of VIAS) {
    it(`through ${via}: epoch-millisecond dates at 23:00Z and 22:00Z are the next day in Paris, integer zone codes get their leading zeros`, async () => {
      await cleanUp();
      const report = await ingest(via, ARCGIS);
      expect(report.rejected).toEqual([]);
      expect(report).toMatchObject({ format: 'indice-arcgis-json', committed: true, read: 5, inserted: 5, skipped: [] });
      expect(await airQuality('67482', '2026-02-14', '2026-06-30')).toEqual([
        day('2026-02-15', 2, 'Moyen', '#50CCAA', subs(2, 1, 2, 1, 2), 'OBSERVATION', '2026-02-15', null),
        day('2026-06-20', 4, 'Mauvais', '#FF5050', subs(2, 1, 4, 2, 2), 'OBSERVATION', '2026-06-20', null),
      ]);
      expect(await airQuality('67482', '2026-06-20', '2026-06-20', 'FORECAST')).toEqual([day('2026-06-20', 3, 'Dégradé', '#F0E641', subs(2, 1, 3, 2, 2), 'FORECAST', '2026-06-19', null)]);
      expect(await airQuality('246700488', '2026-02-15', '2026-02-15')).toEqual([day('2026-02-15', 0, 'Absent', '#DDDDDD', NONE, 'OBSERVATION', '2026-02-15', null, EMS)]);
      // Charleville-Mézières (08105), an ATMO Grand Est zone outside the hub's referential, sent as the integer 8105.
      expect(await knex('atmo.daily_index').where({ code_zone: '08105' }).select('date_ech', 'lib_zone', 'type_zone', 'code_qual')).toEqual([
        { date_ech: '2026-02-15', lib_zone: 'Charleville-Mézières', type_zone: 'COMMUNE', code_qual: 1 },
      ]);
    });
  }

  it('an ArcGIS error answer, or a synthetic flag after the features it would label, is refused whole', async () => {
    const error = await ingest('the CLI', write('arcgis-error.json', '{"error":{"code":400,"message":"Cannot perform query. Invalid query parameters.","details":[]}}'), { format: 'indice-arcgis-json' });
    expect(error).toMatchObject({ committed: false, rejected: [{ line: 1, reason: expect.stringMatching(/^the service answered an error, not features: .*Invalid query parameters/) }] });
    const text = fs.readFileSync(ARCGIS, 'utf8').replace('"synthetic": true,', '');
    const late = await ingest('POST /ingest/atmo', write('arcgis-late-flag.json', text.replace(/\}\s*$/, ', "synthetic": true}')));
    expect(late).toMatchObject({ committed: false, rejected: [{ line: 1, reason: expect.stringMatching(/synthetic" flag comes after features/) }] });
  });
});

describe('ATMO loads the indice as GeoJSON (national WFS, or ArcGIS f=geojson)', () => {
  for (const via of VIAS) {
    it(`through ${via}: a GeoServer date "2026-02-16Z" is that day, an instant "2026-02-16T23:00:00Z" is the 17th in Paris`, async () => {
      await cleanUp();
      const report = await ingest(via, GEOJSON);
      expect(report.rejected).toEqual([]);
      expect(report).toMatchObject({ format: 'indice-geojson', committed: true, read: 3, inserted: 3 });
      expect(await airQuality('67482', '2026-02-16', '2026-02-17')).toEqual([
        day('2026-02-16', 2, 'Moyen', '#50CCAA', subs(2, 1, 2, 1, 1), 'OBSERVATION', '2026-02-16', '2026-02-16T11:04:00.000Z'),
        day('2026-02-17', 7, 'Événement', '#888888', NONE, 'OBSERVATION', '2026-02-17', '2026-02-17T10:58:00.000Z'),
      ]);
      expect(await airQuality('67447', '2026-02-16', '2026-02-16')).toEqual([
        day('2026-02-16', 0, 'Absent', '#DDDDDD', NONE, 'OBSERVATION', '2026-02-16', '2026-02-16T11:04:00.000Z', { zoneCode: '67447', zoneName: 'Schiltigheim', zoneType: 'COMMUNE' }),
      ]);
    });
  }
});
