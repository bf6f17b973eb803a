import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { Knex } from 'knex';
import { testHub } from '../support/hub.ts';
import { postGraphQL } from '../support/subgraph.ts';
import { rng, gaussian } from '../../seeds/random.ts';
import { runQualityControl, humidityCorrected, pearson } from '../../subgraphs/community/quality.ts';
import type { Database } from '../../lib/db.ts';

const FROM = '2025-01-01T00:00:00.000Z';
const TO = '2025-01-11T00:00:00.000Z';
const SOURCE = 'TIGA QC test (synthetic)';

async function addSensor(knex: Knex, id: string, lon: number, lat: number, readings: { time: string; pm25: number; humidity: number }[]) {
  await knex('community.reading').where('sensor_id', id).delete();
  await knex('community.sensor_quality').where('sensor_id', id).delete();
  await knex('community.sensor').where('id', id).delete();
  await knex('community.sensor').insert({
    id, sensor_type: 'SDS011', measures: ['P1', 'P2', 'humidity'], geom: knex.raw('ST_SetSRID(ST_MakePoint(?, ?), 4326)', [lon, lat]),
    status: 'VALIDATED', producer_kind: 'CITIZEN', producer_name: 'QC test', licence: 'ODBL', source: SOURCE, synthetic: true,
  });
  await knex.batchInsert('community.reading', readings.map((r) => ({ sensor_id: id, measured_at: r.time, pm25: r.pm25, pm10: r.pm25 * 1.3, humidity: r.humidity, source: SOURCE, synthetic: true })), 1000);
}

describe('community: citizen sensor quality control against the ATMO reference stations', () => {
  let gatewayUrl: string;
  let db: Database;
  let station: { id: string; lon: number; lat: number; series: { time: string; value: number }[] };

  beforeAll(async () => {
    const hub = await testHub();
    gatewayUrl = hub.gatewayUrl;
    db = hub.subgraph("community").db;
    const stations = await postGraphQL(gatewayUrl, '{ airStations { id location } }');
    for (const s of stations.data.airStations as { id: string; location: { coordinates: [number, number] } }[]) {
      const r = await postGraphQL(gatewayUrl, `query ($id: ID!) { airStation(id: $id) { measurements(pollutant: PM25, from: "${FROM}", to: "${TO}", first: 500) { edges { node { time value } } } } }`, { id: s.id });
      const series = r.data.airStation.measurements.edges.map((e: { node: { time: string; value: number } }) => e.node);
      if (series.length > 100) {
        station = { id: s.id, lon: s.location.coordinates[0], lat: s.location.coordinates[1], series };
        break;
      }
    }
    expect(station).toBeDefined();
    const random = rng('community:qc-test');
    // 30 m from the station: tracks it with 15 % noise, overestimates in humid hours as an SDS011 does.
    const twin = station.series.map((m, i) => {
      const humidity = 60 + 30 * Math.sin(i / 9);
      const grown = m.value / humidityCorrected(1, humidity);
      return { time: m.time, pm25: Math.max(0.5, Math.round(grown * (1 + 0.15 * gaussian(random)) * 10) / 10), humidity };
    });
    await addSensor(db.knex, 'sc-99000001', station.lon + 0.0004, station.lat, twin);
    await addSensor(db.knex, 'sc-99000002', station.lon - 0.0004, station.lat, station.series.map((m) => ({ time: m.time, pm25: 12.4, humidity: 70 })));
    await addSensor(db.knex, 'sc-99000003', station.lon, station.lat + 0.0004, station.series.map((m) => ({ time: m.time, pm25: 999.9, humidity: 70 })));
  });

  afterAll(async () => {
    // The database is shared with other test files, which count the seeded sensors.
    await db?.knex('community.sensor').whereIn('id', ['sc-99000001', 'sc-99000002', 'sc-99000003']).delete();
  });

  it('the humidity correction and the correlation behave as documented', () => {
    expect(humidityCorrected(10, 50)).toBeCloseTo(10 / (1 + 0.4 / 1.65), 6);
    expect(humidityCorrected(10, 99)).toBeCloseTo(10 / (1 + (0.4 / 1.65) * 19), 6);
    expect(humidityCorrected(10, null)).toBe(10);
    expect(pearson([1, 2, 3, 4], [2, 4, 6, 8])).toBeCloseTo(1, 9);
    expect(pearson([1, 1, 1, 1], [2, 4, 6, 8])).toBeNull();
  });

  it('a sensor next to a reference station scores high; a stuck one and a 999.9 one score low (job reads the API)', async () => {
    const results = await runQualityControl(db, { apiUrl: gatewayUrl, sensorIds: ['sc-99000001', 'sc-99000002', 'sc-99000003'] });
    expect(results).toHaveLength(3);
    const response = await postGraphQL(gatewayUrl, `{ good: sensor(id: "sc-99000001") { ...q } stuck: sensor(id: "sc-99000002") { ...q } fault: sensor(id: "sc-99000003") { ...q } }
      fragment q on CitizenSensor { quality { score flags { code description count } method referenceStation bias correlation computedAt } }`);
    expect(response.errors).toBeUndefined();
    const { good, stuck, fault } = response.data;
    expect(good.quality.referenceStation).toBe(station.id);
    expect(good.quality.correlation).toBeGreaterThan(0.8);
    expect(Math.abs(good.quality.bias)).toBeLessThan(3);
    expect(good.quality.score).toBeGreaterThan(0.7);
    expect(good.quality.flags.map((f: { code: string }) => f.code)).toContain('HUMID');
    expect(good.quality.method).toMatch(/Köhler/);
    expect(stuck.quality.score).toBeLessThan(0.3);
    expect(stuck.quality.flags).toContainEqual(expect.objectContaining({ code: 'STUCK', count: station.series.length }));
    expect(fault.quality.score).toBeLessThan(0.3);
    expect(fault.quality.flags).toContainEqual(expect.objectContaining({ code: 'OUT_OF_RANGE', count: station.series.length }));
    expect(Date.parse(good.quality.computedAt)).not.toBeNaN();
    const readings = await postGraphQL(gatewayUrl, '{ sensor(id: "sc-99000001") { readings(from: "2025-01-01", to: "2025-01-01", first: 24) { edges { node { pm25 humidity pm25HumidityCorrected } } } } }');
    for (const { node } of readings.data.sensor.readings.edges) {
      expect(node.pm25HumidityCorrected).toBeCloseTo(humidityCorrected(node.pm25, node.humidity), 1);
      expect(node.pm25HumidityCorrected).toBeLessThan(node.pm25);
    }
  });
});
