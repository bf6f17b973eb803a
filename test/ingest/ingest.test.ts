import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { openTestDatabase } from '../support/database.ts';
import { serveSubgraph, postGraphQL, migrateProducers } from '../support/subgraph.ts';
import { bearer } from '../support/auth.ts';
import { loadConfig } from '../../lib/config.ts';
import type { Database } from '../../lib/db.ts';
import type { ClaimedServer } from '../support/subgraph.ts';
import { loadReferential } from '../../seeds/referential.ts';
import { seedAtmo } from '../../seeds/atmo.ts';
import { seedOrsal } from '../../seeds/orsal.ts';
import { atmo } from '../../subgraphs/atmo/index.ts';
import { orsal } from '../../subgraphs/orsal/index.ts';
import { adeus } from '../../subgraphs/adeus/index.ts';
import { ingestFile } from '../../scripts/ingest.ts';

const SAMPLES = path.resolve(import.meta.dirname, '../../seeds/samples');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tiga-ingest-'));
let db: Database;

/** Every sample, the table it fills (rows of the sample only), and a line to break with a bad value. */
const CASES = [
  { producer: 'adeus', file: 'adeus-territories-sample.geojson', table: 'adeus.territory', key: 'code', where: "source like 'TIGA synthetic sample%'", rows: 4 },
  { producer: 'adeus', file: 'adeus-urban-indicators-sample.csv', table: 'adeus.urban_indicator', key: 'territory_code, year', where: "source like 'TIGA synthetic sample%'", rows: 4, bad: [3, (l: string) => l.replace('60.8', '160.8'), /impervious_share = 160.8 is outside/] },
  { producer: 'atmo', file: 'atmo-indice-sample.csv', table: 'atmo.daily_index', key: 'code_zone, date_ech', where: "source like 'TIGA synthetic sample%' and date_ech < '2023-06-03'", rows: 6, bad: [4, (l: string) => l.replace(',2,1,2,1,2,', ',2,1,9,1,2,'), /code_o3 = 9 is outside 1–6/] },
  { producer: 'atmo', file: 'atmo-indice-sample.geojson', table: 'atmo.daily_index', key: 'code_zone, date_ech', where: "source like 'TIGA synthetic sample%' and date_ech = '2023-06-03'", rows: 3 },
  { producer: 'atmo', file: 'atmo-measurements-sample.csv', table: 'atmo.measurement', key: 'station_code, pollutant, measured_at', where: "source like 'TIGA synthetic sample%'", rows: 18, bad: [5, (l: string) => l.replace(/,[0-9.]+,µg/, ',-3.5,µg'), /negative concentration -3.5/] },
  { producer: 'orsal', file: 'orsal-indicators-sample.csv', table: 'orsal.indicator_value', key: 'territory_code, indicator, period', where: "source like 'TIGA synthetic sample%'", rows: 4, bad: [3, (l: string) => l.replace(';51;', ';51000;'), /cases \(51000\) exceed population \(27000\)/] },
] as const;

const snapshot = async (c: (typeof CASES)[number]) => (await db.knex.raw(`select * from ${c.table} where ${c.where} order by ${c.key}`)).rows as unknown[];
const copyWith = (file: string, name: string, edit: (text: string) => string) => {
  const target = path.join(tmp, name);
  fs.writeFileSync(target, edit(fs.readFileSync(path.join(SAMPLES, file), 'utf8')));
  return target;
};

beforeAll(async () => {
  db = await openTestDatabase();
  await migrateProducers(db, [adeus, atmo, orsal]);
  const referential = loadReferential(loadConfig().sharedDataDir);
  await seedAtmo(db.knex, referential, { scale: 1 });
  await seedOrsal(db.knex, referential, { scale: 1 });
});

afterAll(async () => {
  // The samples' rows leave the shared test database as they came (other files run after this one).
  for (const c of [...CASES].reverse()) await db.knex.raw(`delete from ${c.table} where source like 'TIGA synthetic sample%'`);
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('a producer feeds the hub its own files through the ingest CLI', () => {
  for (const c of CASES) {
    it(`${c.file}: ingests, then re-ingests with no change`, async () => {
      const first = await ingestFile(db.knex, c.producer, path.join(SAMPLES, c.file));
      expect(first.rejected).toEqual([]);
      expect(first).toMatchObject({ committed: true, read: c.rows });
      expect(first.inserted + first.updated + first.unchanged).toBe(c.rows);
      const before = await snapshot(c);
      expect(before).toHaveLength(c.rows);
      expect(before.every((row) => (row as { synthetic?: boolean }).synthetic !== false)).toBe(true);
      const again = await ingestFile(db.knex, c.producer, path.join(SAMPLES, c.file));
      expect(again).toMatchObject({ committed: true, read: c.rows, inserted: 0, updated: 0, unchanged: c.rows, rejected: [] });
      expect(await snapshot(c)).toEqual(before);
    });
  }

  for (const c of CASES.filter((c) => 'bad' in c)) {
    const [line, edit, reason] = (c as { bad: readonly [number, (l: string) => string, RegExp] }).bad;
    const breakLine = (text: string) => text.split('\n').map((l, i) => (i === line - 1 ? edit(l) : l)).join('\n');
    const changeFirst = (text: string) => text.replace(/TIGA synthetic sample/g, 'TIGA synthetic sample (edited)');

    it(`${c.file}: a corrupted copy (bad value on line ${line}) is refused with the line and reason, and nothing is written`, async () => {
      const before = await snapshot(c);
      const file = copyWith(c.file, `bad-${c.file}`, (t) => breakLine(changeFirst(t)));
      const report = await ingestFile(db.knex, c.producer, file);
      expect(report.committed).toBe(false);
      expect(report.rejected).toHaveLength(1);
      expect(report.rejected[0]!.line).toBe(line);
      expect(report.rejected[0]!.reason).toMatch(reason);
      expect(await snapshot(c)).toEqual(before);
    });

    it(`${c.file}: --partial imports the valid rows and writes the reject to <file>.rejects.csv`, async () => {
      const file = copyWith(c.file, `partial-${c.file}`, breakLine);
      const report = await ingestFile(db.knex, c.producer, file, { partial: true });
      expect(report).toMatchObject({ committed: true, read: c.rows, inserted: 0, updated: 0, unchanged: c.rows - 1 });
      expect(report.rejected.map((r) => r.line)).toEqual([line]);
      expect(fs.readFileSync(`${file}.rejects.csv`, 'utf8')).toMatch(new RegExp(`^line,reason\\n${line},"`));
    });

    it(`${c.file}: a file whose header no format has, or a truncated file, is refused and nothing is written`, async () => {
      const before = await snapshot(c);
      const header = copyWith(c.file, `header-${c.file}`, (t) => changeFirst(t).replace(/^[a-z_]+/, 'kode'));
      const badHeader = await ingestFile(db.knex, c.producer, header);
      expect(badHeader.committed).toBe(false);
      // Recognised by content, not by name: an unknown header is refused with the formats the producer reads.
      expect(badHeader.rejected[0]).toMatchObject({ line: 1, reason: expect.stringMatching(/matches none of the formats read here: .*csv/) });
      const text = changeFirst(fs.readFileSync(path.join(SAMPLES, c.file), 'utf8'));
      const truncated = copyWith(c.file, `truncated-${c.file}`, () => text.slice(0, text.lastIndexOf(',', text.length - 60)));
      const cut = await ingestFile(db.knex, c.producer, truncated, { partial: false });
      expect(cut.committed).toBe(false);
      expect(cut.rejected.at(-1)!.line).toBe(c.rows + 1);
      expect(cut.rejected.at(-1)!.reason).toMatch(/truncated|fields|empty/);
      expect(await snapshot(c)).toEqual(before);
    });
  }

  it('a broken or truncated GeoJSON file is refused naming the feature, and nothing is written', async () => {
    const c = CASES[0];
    const before = await snapshot(c);
    const text = fs.readFileSync(path.join(SAMPLES, c.file), 'utf8').replace(/TIGA synthetic sample/g, 'TIGA synthetic sample (edited)');
    const truncated = copyWith(c.file, 'truncated.geojson', () => text.slice(0, text.indexOf('"679990101"')));
    const report = await ingestFile(db.knex, 'adeus', truncated);
    expect(report).toMatchObject({ committed: false, inserted: 0 });
    expect(report.rejected[0]).toMatchObject({ line: 4, reason: expect.stringMatching(/truncated JSON/) });
    const broken = copyWith(c.file, 'broken.geojson', () => text.replace('"Commune fictive voisine"', '"Commune fictive voisine" "x"'));
    const brokenReport = await ingestFile(db.knex, 'adeus', broken);
    expect(brokenReport.committed).toBe(false);
    expect(brokenReport.rejected[0]).toMatchObject({ line: 3, reason: expect.stringMatching(/broken JSON in element 3/) });
    expect(await snapshot(c)).toEqual(before);
  });

  it('an ATMO index in the future, with an inconsistent code_qual or a malformed zone is refused with each line', async () => {
    const file = copyWith('atmo-indice-sample.csv', 'future-indice.csv', (t) =>
      t.replace('2023-06-02,67482', '2099-06-02,67482').replace('2023-06-02,67218,Illkirch-Graffenstaden,COMMUNE,3', '2023-06-02,67218,Illkirch-Graffenstaden,COMMUNE,4').replace('2023-06-01,67218', '2023-06-01,6721'),
    );
    const report = await ingestFile(db.knex, 'atmo', file);
    expect(report.committed).toBe(false);
    expect(report.rejected.map((r) => [r.line, r.reason.split(' ').slice(0, 2).join(' ')])).toEqual([
      [3, 'code_zone "6721"'],
      [5, 'date_ech 2099-06-02'],
      [6, 'code_qual ='],
    ]);
  });

  it('station measurements: an unknown station, a future time, an unknown unit or pollutant and a malformed number are each refused on their line', async () => {
    const file = copyWith('atmo-measurements-sample.csv', 'bad-values-measurements.csv', (t) => {
      const lines = t.split('\n');
      lines[1] = lines[1]!.replace('FR16029', 'FR00000');
      lines[2] = lines[2]!.replace('2023-06-01', '2099-06-01');
      lines[3] = lines[3]!.replace('µg/m³', 'ppm');
      lines[4] = lines[4]!.replace(/^FR16029,NO2/, 'FR16029,CO2');
      lines[5] = lines[5]!.replace(/,[0-9.]+,µg/, ',12..5,µg');
      return lines.join('\n');
    });
    const report = await ingestFile(db.knex, 'atmo', file);
    expect(report).toMatchObject({ committed: false, inserted: 0 });
    expect(report.rejected.map((r) => [r.line, r.reason.replace(/ "[^"]*"| \S+ is in the future.*| \(.*/g, '')])).toEqual([
      [2, 'unknown station'],
      [3, 'measured_at'],
      [4, 'unknown unit'],
      [5, 'unknown pollutant'],
      [6, 'value is not a number:'],
    ]);
  });

  it('ORS tables: an unknown indicator, a CI that does not bracket the rate and a malformed level are refused on their line', async () => {
    const file = copyWith('orsal-indicators-sample.csv', 'bad-values-orsal.csv', (t) =>
      t.replace('67482;COMMUNE;ASTHMA_PREVALENCE', '67482;COMMUNE;NOT_AN_INDICATOR').replace(';14,21;12,79;15,63;', ';14,21;15,00;15,63;').replace('246700488;EPCI', '246700488;REGION'),
    );
    const report = await ingestFile(db.knex, 'orsal', file);
    expect(report.committed).toBe(false);
    expect(report.rejected).toEqual([
      { line: 2, reason: 'unknown indicator "NOT_AN_INDICATOR"' },
      { line: 4, reason: 'territory_level must be COMMUNE, IRIS or EPCI, not "REGION"' },
    ]);
    const ci = copyWith('orsal-indicators-sample.csv', 'bad-ci-orsal.csv', (t) => t.replace(';14,21;12,79;15,63;', ';14,21;15,00;15,63;'));
    expect((await ingestFile(db.knex, 'orsal', ci)).rejected).toEqual([{ line: 2, reason: 'the confidence interval [15, 15.63] does not bracket the rate 14.21' }]);
  });

  it('Lambert-93 outlines land where expected: the cathedral square contains the cathedral in WGS84', async () => {
    // IGN's reference pair for Paris (652469.02, 6862035.26) ↔ (2.3522, 48.8566), reprojected by PostGIS as the readers do, and the cathedral of Strasbourg.
    const paris = (await db.knex.raw(`select ST_X(p) as lon, ST_Y(p) as lat from (select ST_Transform(ST_SetSRID(ST_MakePoint(652469.02, 6862035.26), 2154), 4326) as p) t`)).rows[0];
    expect(paris.lon).toBeCloseTo(2.3522, 4);
    expect(paris.lat).toBeCloseTo(48.8566, 4);
    const row = (await db.knex.raw(`select ST_X(centre) as x, ST_Y(centre) as y, ST_Contains(geom, ST_SetSRID(ST_MakePoint(7.7507, 48.5818), 4326)) as inside from adeus.territory where code = '679990101'`)).rows[0];
    expect(row.inside).toBe(true);
    expect(row.x).toBeCloseTo(7.7507, 3);
    expect(row.y).toBeCloseTo(48.5818, 3);
  });

  it('the CLI, run as a command, prints the report and exits 1 on a refused file, 0 on a good one', async () => {
    if (process.env.DATABASE_URL === undefined) return; // the embedded database is this process's memory: the CLI would not see it
    const run = promisify(execFile);
    const ok = await run('npx', ['tsx', 'scripts/ingest.ts', 'atmo', path.join(SAMPLES, 'atmo-indice-sample.csv')], { cwd: path.resolve(import.meta.dirname, '../..'), env: process.env });
    expect(ok.stdout).toMatch(/committed\n {2}read 6, inserted 0, updated 0, unchanged 6, skipped 0, rejected 0/);
    const bad = copyWith('atmo-indice-sample.csv', 'cli-bad-indice.csv', (t) => t.replace('2023-06-02,67482', '2099-06-02,67482'));
    const refused = await run('npx', ['tsx', 'scripts/ingest.ts', 'atmo', bad], { cwd: path.resolve(import.meta.dirname, '../..'), env: process.env }).catch((e) => e);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/REFUSED, nothing written[\s\S]*line 5: date_ech 2099-06-02 is in the future/);
  });
});

describe('a producer ingests through the API, only into its own subgraph', () => {
  let server: ClaimedServer;
  const mutation = `mutation ($content: String!) { ingestAtmo(format: "indice-csv", content: $content) { committed read inserted updated unchanged rejected { line reason } } }`;
  beforeAll(async () => {
    server = await serveSubgraph(atmo, db);
  });
  afterAll(async () => server.close());

  it('with producer:atmo the file is ingested; without it, or with producer:orsal, FORBIDDEN', async () => {
    const content = fs.readFileSync(path.join(SAMPLES, 'atmo-indice-sample.csv'), 'utf8');
    const ok = await postGraphQL(server.url, mutation, { content }, await bearer(['producer:atmo'], 'atmo-bot'));
    expect(ok.errors).toBeUndefined();
    expect(ok.data.ingestAtmo).toMatchObject({ committed: true, read: 6, rejected: [] });
    for (const headers of [{}, await bearer(['producer:orsal'], 'ors-bot')]) {
      const refused = await postGraphQL(server.url, mutation, { content }, headers);
      expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(refused.data?.ingestAtmo ?? null).toBeNull();
    }
  });
});
