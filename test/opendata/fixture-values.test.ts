import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { ingestFile } from '../../scripts/ingest.ts';
import { gatewayQuery, testHub } from '../support/hub.ts';

/**
 * The export and the OGC API are built on anonymous GraphQL, and the comparison tests check them against
 * it: that alone would not notice a value lost on the way in. So a file of known values goes in through the
 * producer's real reader (ATMO's national open-data CSV), and both routes must give back exactly what the
 * file says, day by day.
 */
const FIXTURE = path.join(import.meta.dirname, 'fixtures', 'indice-open-data.csv');
const SOURCE = 'ATMO Grand Est (TIGA open-data fixture)';

interface Expected {
  code: string;
  date: string;
  index: number;
  label: string;
  color: string;
  subIndices: number[] | null;
}

/** The fixture's rows, read as a person would read the file: one day of one commune per line. */
const expected: Expected[] = (parse(fs.readFileSync(FIXTURE, 'utf8'), { columns: true }) as Record<string, string>[]).map((row) => ({
  code: row.code_zone!,
  date: row.date_ech!,
  index: Number(row.code_qual),
  label: row.lib_qual!,
  color: row.coul_qual!,
  subIndices: row.code_no2 ? [row.code_no2, row.code_so2, row.code_o3, row.code_pm10, row.code_pm25].map(Number) : null,
}));

let base: string;
const asText = (value: unknown) => String(value);

beforeAll(async () => {
  const hub = await testHub();
  base = hub.gatewayUrl.replace(/\/graphql$/, '');
  const report = await ingestFile(hub.subgraph('atmo').db, 'atmo', FIXTURE);
  expect(report.committed).toBe(true);
  expect(report.rejected).toEqual([]);
});

afterAll(async () => {
  await (await testHub()).subgraph('atmo').db.knex('atmo.daily_index').where('source', SOURCE).delete();
});

describe('values of a file ingested by ATMO come out of the exports and the OGC API exactly as written', () => {
  for (const code of ['67482', '67218']) {
    const days = () => expected.filter((e) => e.code === code);

    it(`the CSV export of ${code} over the fixture's days`, async () => {
      const response = await fetch(`${base}/exports/air-quality-index.csv?territory=${code}&from=2023-06-01&to=2023-06-05`);
      expect(response.status).toBe(200);
      const rows = parse(await response.text(), { columns: true }) as Record<string, string>[];
      const own = rows.filter((r) => r.territoryCode === code);
      expect(own.map((r) => r.date)).toEqual(days().map((e) => e.date));
      for (const [i, want] of days().entries()) {
        const row = own[i]!;
        expect({ index: row.index, label: row.label, color: row.color, source: row.source }).toEqual({ index: asText(want.index), label: want.label, color: want.color, source: SOURCE });
        if (want.subIndices) expect([row.no2, row.so2, row.o3, row.pm10, row.pm25].map(Number)).toEqual(want.subIndices);
      }
    });

    it(`the GeoJSON export and the OGC API items of ${code} over the fixture's days`, async () => {
      const urls = [
        `${base}/exports/air-quality-index.geojson?territory=${code}&from=2023-06-01&to=2023-06-05`,
        `${base}/ogc/collections/air-quality-index/items?territory=${code}&datetime=2023-06-01/2023-06-05&limit=100`,
      ];
      for (const url of urls) {
        const response = await fetch(url, { headers: { accept: 'application/geo+json' } });
        expect(response.status, url).toBe(200);
        const collection = (await response.json()) as { features: { properties: Record<string, unknown>; geometry: { type: string } }[] };
        const own = collection.features.filter((f) => f.properties.territoryCode === code);
        expect(own.map((f) => f.properties.date), url).toEqual(days().map((e) => e.date));
        for (const [i, want] of days().entries()) {
          const { properties, geometry } = own[i]!;
          expect({ index: properties.index, label: properties.label, color: properties.color }, url).toEqual({ index: want.index, label: want.label, color: want.color });
          if (want.subIndices) expect([properties.no2, properties.so2, properties.o3, properties.pm10, properties.pm25], url).toEqual(want.subIndices);
          expect(geometry.type).toBe('MultiPolygon');
        }
      }
    });
  }

  it('and anonymous GraphQL says the same (the routes add nothing and lose nothing)', async () => {
    const { data } = await gatewayQuery('{ territory(code: "67482") { airQuality(from: "2023-06-01", to: "2023-06-05") { date index label color } } }');
    expect(data.territory.airQuality).toEqual(expected.filter((e) => e.code === '67482').map(({ date, index, label, color }) => ({ date, index, label, color })));
  });
});
