import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../lib/db.ts';
import { ingestFile } from '../../scripts/ingest.ts';
import { bearer } from '../../test/support/auth.ts';
import { gatewayQuery, testHub } from '../../test/support/hub.ts';
import { exceeds, statusOf } from './status.ts';

const SAMPLES = path.join(import.meta.dirname, 'samples');
const sample = (file: string) => path.join(SAMPLES, file);
const FIXTURE_POINTS = ['BSSTIGAS01', 'BSSTIGAS02', 'BSSTIGAS03'];

describe('APRONA: the Alsace groundwater observatory through the hub', () => {
  let db: Database;

  beforeAll(async () => {
    db = (await testHub()).subgraph('aprona').db;
  });

  afterAll(async () => {
    await db.knex('aprona.analysis').whereIn('point_id', FIXTURE_POINTS).delete();
    await db.knex('aprona.point').whereIn('id', FIXTURE_POINTS).delete();
    await db.knex('aprona.parameter').where('code', '1301').delete();
  });

  it("a citizen reads the groundwater of Strasbourg: its monitoring points and how they compare with the drinking-water limits", async () => {
    const { data, errors } = await gatewayQuery(`{ territory(code: "67482") { name groundwater { assessment pointsExceedingLimits points { id aquifer { code name } locationPrecision synthetic
      latestStatus { assessment lastSampled parameters { parameter { code name unit drinkingWaterLimit } value qualifier exceedsLimit computedByHub } } } } } }`);
    expect(errors).toBeUndefined();
    const { groundwater } = data.territory;
    expect(groundwater.points.length).toBeGreaterThanOrEqual(10);
    for (const point of groundwater.points) {
      expect(point.id).toMatch(/^BSSTIGA\d{3}$/);
      expect(point.aquifer).toEqual({ code: 'CG001', name: "Pliocène de Haguenau et nappe d'Alsace" });
      expect(point.synthetic).toBe(true);
      const codes = point.latestStatus.parameters.map((p: { parameter: { code: string } }) => p.parameter.code);
      // Nitrates, the four pesticides sampled and the hub's total of pesticides (no total is published).
      expect(codes).toEqual(expect.arrayContaining(['1107', '1108', '1340', '1506', '1907', '6276', '6854']));
      const total = point.latestStatus.parameters.find((p: { parameter: { code: string } }) => p.parameter.code === '6276');
      expect(total).toMatchObject({ computedByHub: true, parameter: { drinkingWaterLimit: 0.5, unit: 'µg/L' } });
    }
    const exceeding = groundwater.points.filter((p: { latestStatus: { assessment: string } }) => p.latestStatus.assessment === 'EXCEEDS_LIMITS').map((p: { id: string }) => p.id);
    expect(groundwater.pointsExceedingLimits).toEqual(exceeding);
    expect(groundwater.assessment).toBe(exceeding.length ? 'EXCEEDS_LIMITS' : 'WITHIN_LIMITS');
  });

  it('the geographic join lists the groundwater points around the cathedral, with every other producer', async () => {
    const { data, errors } = await gatewayQuery('{ area(select: { point: { lon: 7.7521, lat: 48.5734 }, radiusMeters: 3000 }) { airStations { id } groundwaterPoints { id communeCode } } }');
    expect(errors).toBeUndefined();
    expect(data.area.airStations.length).toBeGreaterThan(0);
    expect(data.area.groundwaterPoints.length).toBeGreaterThan(0);
    expect(data.area.groundwaterPoints.every((p: { communeCode: string }) => p.communeCode === '67482')).toBe(true);
  });

  it('an IRIS or an EPCI has no commune groundwater summary: its points come through `area`', async () => {
    const { data, errors } = await gatewayQuery('{ territory(code: "246700488") { groundwater { assessment } } }');
    expect(errors).toBeUndefined();
    expect(data.territory.groundwater).toBeNull();
  });

  it.each([
    ['JSON', 'hubeau-stations.json', 'hubeau-analyses.json'],
    ['CSV', 'hubeau-stations.csv', 'hubeau-analyses.csv'],
  ])('APRONA pushes Hub\'Eau %s files and the values come back through the gateway as published', async (_, stations, analyses) => {
    const pointsReport = await ingestFile(db.knex, 'aprona', sample(stations));
    expect(pointsReport).toMatchObject({ committed: true, read: 3, rejected: [] });
    const analysesReport = await ingestFile(db.knex, 'aprona', sample(analyses));
    expect(analysesReport).toMatchObject({ committed: true, read: 8, rejected: [] });
    const again = await ingestFile(db.knex, 'aprona', sample(analyses));
    expect(again).toMatchObject({ committed: true, inserted: 0, updated: 0, unchanged: 8 });

    const { data, errors } = await gatewayQuery(`{
      krutenau: groundwaterPoint(id: "BSSTIGAS01") { name location locationPrecision communeCode aquifer { code } synthetic
        analyses(from: "2024-01-01", to: "2024-12-31") { edges { node { parameter { code name } sampledAt value unit qualifier quantificationLimit exceedsLimit validated } } } }
      illkirch: groundwaterPoint(id: "BSSTIGAS02") { locationPrecision latestStatus { assessment lastSampled } }
      saverne: groundwaterPoint(id: "BSSTIGAS03") { aquifer { code } analyses(from: "2024-01-01", to: "2024-12-31") { edges { node { value } } } }
      groundwaterParameters { code name unit drinkingWaterLimit }
    }`);
    expect(errors).toBeUndefined();
    expect(data.krutenau).toMatchObject({
      name: 'Piézomètre Krutenau (fixture)',
      location: { type: 'Point', coordinates: [7.735812, 48.581023] },
      locationPrecision: 'EXACT',
      communeCode: '67482',
      aquifer: { code: 'CG001' },
      synthetic: true,
    });
    const nodes = data.krutenau.analyses.edges.map((e: { node: unknown }) => e.node);
    expect(nodes).toEqual([
      { parameter: { code: '1107', name: 'Atrazine' }, sampledAt: '2024-03-12T09:30:00.000Z', value: 0.02, unit: 'µg/L', qualifier: 'BELOW_QUANTIFICATION_LIMIT', quantificationLimit: 0.02, exceedsLimit: false, validated: true },
      { parameter: { code: '1108', name: 'Atrazine déséthyl' }, sampledAt: '2024-03-12T09:30:00.000Z', value: 0.046, unit: 'µg/L', qualifier: 'QUANTIFIED', quantificationLimit: 0.02, exceedsLimit: false, validated: true },
      { parameter: { code: '1301', name: "Température de l'Eau" }, sampledAt: '2024-03-12T09:30:00.000Z', value: 12.4, unit: '°C', qualifier: 'QUANTIFIED', quantificationLimit: 0.1, exceedsLimit: null, validated: true },
      { parameter: { code: '1340', name: 'Nitrates' }, sampledAt: '2024-03-12T09:30:00.000Z', value: 38.2, unit: 'mg(NO3)/L', qualifier: 'QUANTIFIED', quantificationLimit: 0.5, exceedsLimit: false, validated: true },
      { parameter: { code: '6854', name: 'ESA-métolachlore' }, sampledAt: '2024-03-12T09:30:00.000Z', value: 0.23, unit: 'µg/L', qualifier: 'QUANTIFIED', quantificationLimit: 0.02, exceedsLimit: true, validated: true },
    ]);
    // A drinking-water well published at the commune centre, its nitrates above 50 mg/L.
    expect(data.illkirch).toEqual({ locationPrecision: 'COMMUNE_CENTRE', latestStatus: { assessment: 'EXCEEDS_LIMITS', lastSampled: '2024-06-04' } });
    // Saverne's only analysis is raw (status 1): not open. No aquifer was published for it.
    expect(data.saverne).toEqual({ aquifer: null, analyses: { edges: [] } });
    // A parameter the catalogue did not hold came in as published, with no limit.
    expect(data.groundwaterParameters).toContainEqual({ code: '1301', name: "Température de l'Eau", unit: '°C', drinkingWaterLimit: null });
  });

  it('a researcher with aprona:restricted reads the raw analysis; anonymous callers are refused it', async () => {
    const query = '{ groundwaterPoint(id: "BSSTIGAS03") { rawAnalyses(from: "2024-01-01", to: "2024-12-31") { edges { node { value validated } } } } }';
    const researcher = await gatewayQuery(query, undefined, await bearer(['aprona:restricted'], 'hydrogeologist'));
    expect(researcher.errors).toBeUndefined();
    expect(researcher.data.groundwaterPoint.rawAnalyses.edges).toEqual([{ node: { value: 9.8, validated: false } }]);
    const anonymous = await gatewayQuery(query);
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(anonymous.data.groundwaterPoint.rawAnalyses).toBeNull();
  });

  it('refuses, with the line and the reason, an analysis of an unknown point and a unit it cannot convert', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tiga-aprona-')), 'hubeau-analyses-bad.csv');
    const [header, first, second] = fs.readFileSync(sample('hubeau-analyses.csv'), 'utf8').split('\n');
    fs.writeFileSync(file, [header, first!.replace('BSSTIGAS01', 'BSSTIGAZ99'), second!.replace(/;µg\/L;/, ';mg(P)/L;')].join('\n') + '\n');
    const report = await ingestFile(db.knex, 'aprona', file);
    expect(report.committed).toBe(false);
    expect(report.rejected).toEqual([
      { line: 2, reason: 'unknown monitoring point BSSTIGAZ99: ingest its station (hubeau-stations-*) first' },
      { line: 3, reason: 'unit "mg(P)/L" of Atrazine (1107) is not its unit "µg/L" and the hub does not convert it' },
    ]);
  });

  it('converts nitrate as nitrogen into nitrate, as the limit is written', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tiga-aprona-')), 'hubeau-analyses-n.csv');
    const [header, first] = fs.readFileSync(sample('hubeau-analyses.csv'), 'utf8').split('\n');
    const line = first!.replace('2024-03-12T09:30:00Z', '2024-04-12T09:30:00Z').replace(';38.2;', ';10.0;').replace(';mg(NO3)/L;', ';mg(N)/L;');
    fs.writeFileSync(file, `${header}\n${line}\n`);
    expect(await ingestFile(db.knex, 'aprona', file)).toMatchObject({ committed: true, inserted: 1 });
    const { data } = await gatewayQuery('{ groundwaterPoint(id: "BSSTIGAS01") { analyses(parameter: "1340", from: "2024-04-01", to: "2024-04-30") { edges { node { value unit exceedsLimit } } } } }');
    expect(data.groundwaterPoint.analyses.edges).toEqual([{ node: { value: 44.27, unit: 'mg(NO3)/L', exceedsLimit: false } }]);
  });

  it('only a producer token for APRONA may push a file through the API', async () => {
    const content = fs.readFileSync(sample('hubeau-stations.json'), 'utf8');
    const mutation = 'mutation ($c: String!) { ingestAprona(format: "hubeau-stations-json", content: $c) { committed read } }';
    const contributor = await gatewayQuery(mutation, { c: content }, await bearer(['community:contribute', 'producer:atmo'], 'someone'));
    expect(contributor.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const producer = await gatewayQuery(mutation, { c: content }, await bearer(['producer:aprona'], 'aprona-feed'));
    expect(producer.errors).toBeUndefined();
    expect(producer.data.ingestAprona).toEqual({ committed: true, read: 3 });
  });
});

describe('the drinking-water rule', () => {
  const parameter = (code: string, kind: 'NITRATE' | 'PESTICIDE' | 'PESTICIDE_TOTAL', limit: number) => ({ code, name: code, kind, unit: 'µg/L', drinking_water_limit: limit, limit_basis: null });
  const analysis = (code: string, result: number, remark = 1, at = '2024-03-01T00:00:00.000Z') => ({
    point_id: 'BSSTIGA001', parameter_code: code, sampled_at: at, result, unit: 'µg/L', remark_code: remark, quantification_limit: 0.02, detection_limit: 0.007,
    qualification_code: '1', status_code: '2', source: 'test', synthetic: true,
  });

  it('tells a result below the quantification limit within the limit, unless the laboratory limit is above it', () => {
    expect(exceeds({ result: 0.02, remark_code: 10, quantification_limit: 0.02 }, 0.1)).toBe(false);
    expect(exceeds({ result: 0.05, remark_code: 10, quantification_limit: 0.05 }, 0.03)).toBeNull();
    expect(exceeds({ result: 0.031, remark_code: 1, quantification_limit: 0.005 }, 0.03)).toBe(true);
  });

  it('totals the quantified pesticides of the latest sample when no total is published', () => {
    const params = new Map([['1108', parameter('1108', 'PESTICIDE', 0.1)], ['6854', parameter('6854', 'PESTICIDE', 0.1)], ['6276', parameter('6276', 'PESTICIDE_TOTAL', 0.5)]]);
    const sample = [analysis('1108', 0.09), analysis('6854', 0.45), analysis('1107', 0.02, 10)];
    const status = statusOf(params, [analysis('1108', 0.09), analysis('6854', 0.45)], sample);
    expect(status.parameters.map((p) => [p.parameter.code, p.value, p.exceedsLimit, p.computedByHub])).toEqual([
      ['1108', 0.09, false, false],
      ['6276', 0.54, true, true],
      ['6854', 0.45, true, false],
    ]);
    expect(status.assessment).toBe('EXCEEDS_LIMITS');
  });
});
