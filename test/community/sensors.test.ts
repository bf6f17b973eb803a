import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { countStatements } from '../../lib/db.ts';
import { readingsQuery } from '../../subgraphs/community/datasource.ts';
import { postGraphQL } from '../support/subgraph.ts';
import { ENTITIES, startCommunity, type CommunityHarness } from './harness.ts';

const READINGS = `query ($id: ID!, $from: String!, $to: String!, $first: Int, $after: String) {
  sensor(id: $id) {
    readings(from: $from, to: $to, first: $first, after: $after) {
      edges { cursor node { time pm10 pm25 temperature humidity } }
      pageInfo { hasNextPage endCursor }
    }
    rawReadings(from: $from, to: $to, first: $first, after: $after) { edges { node { time pm25 } } }
  }
}`;

describe('community: citizen sensors, their readings and the open-data catalogue', () => {
  let h: CommunityHarness;
  let ids: string[];

  beforeAll(async () => {
    h = await startCommunity();
    const response = await postGraphQL(h.server.url, '{ sensors(first: 1000) { edges { node { id } } } }');
    ids = response.data.sensors.edges.map((edge: { node: { id: string } }) => edge.node.id);
  });

  afterAll(async () => {
    await h?.close();
  });

  it('a map app lists the validated sensors page by page, each labelled as citizen ODbL data', async () => {
    expect(ids.length).toBe(40);
    expect(ids.every((id) => /^sc-\d+$/.test(id))).toBe(true);
    const first = await postGraphQL(
      h.server.url,
      `{ sensors(first: 25) { edges { node { id sensorType pairedSensorType measures status
           provenance { producerKind producerName licence source synthetic validationStatus } } }
         pageInfo { hasNextPage endCursor } } }`,
    );
    const page = first.data.sensors;
    expect(page.edges).toHaveLength(25);
    expect(page.pageInfo.hasNextPage).toBe(true);
    const node = page.edges[0].node;
    expect(node.sensorType).toBe('SDS011');
    expect(['DHT22', 'BME280']).toContain(node.pairedSensorType);
    expect(node.measures).toEqual(['P1', 'P2', 'temperature', 'humidity']);
    expect(node.status).toBe('VALIDATED');
    expect(node.provenance).toMatchObject({ producerKind: 'CITIZEN', licence: 'ODBL', synthetic: true, validationStatus: 'VALIDATED' });
    expect(node.provenance.source).toMatch(/synthetic/i);
    expect(node.provenance.producerName).not.toMatch(/citizen-\d/);
    const second = await postGraphQL(h.server.url, 'query ($after: String) { sensors(first: 25, after: $after) { edges { node { id } } pageInfo { hasNextPage } } }', {
      after: page.pageInfo.endCursor,
    });
    const rest = second.data.sensors.edges.map((edge: { node: { id: string } }) => edge.node.id);
    expect([...page.edges.map((edge: { node: { id: string } }) => edge.node.id), ...rest]).toEqual(ids);
    expect(second.data.sensors.pageInfo.hasNextPage).toBe(false);
  });

  it('the gateway resolves 20 sensor references with one SQL statement, and their readings with one more', async () => {
    const representations = ids.slice(0, 20).map((id) => ({ __typename: 'CitizenSensor', id }));
    let counter = countStatements(h.db.knex);
    const response = await postGraphQL(h.server.url, ENTITIES, { representations });
    counter.stop();
    expect(response.errors).toBeUndefined();
    expect(response.data._entities.map((s: { id: string }) => s.id)).toEqual(ids.slice(0, 20));
    expect(counter.count).toBe(1);

    counter = countStatements(h.db.knex);
    const withReadings = await postGraphQL(
      h.server.url,
      `query ($representations: [_Any!]!) { _entities(representations: $representations) {
         ... on CitizenSensor { id readings(from: "2025-01-02", to: "2025-01-02", first: 24) { edges { node { time pm25 } } } } } }`,
      { representations },
    );
    counter.stop();
    expect(withReadings.errors).toBeUndefined();
    const day = withReadings.data._entities[0].readings.edges;
    expect(day.length).toBeGreaterThan(18);
    expect(day.every((edge: { node: { time: string } }) => edge.node.time.startsWith('2025-01-02T'))).toBe(true);
    expect(counter.count).toBe(2);
  });

  it('a researcher pages through a week of hourly readings of plausible winter values', async () => {
    const id = ids[0]!;
    const firstPage = await postGraphQL(h.server.url, READINGS, { id, from: '2025-01-01', to: '2025-01-07', first: 100 }, h.researcher);
    expect(firstPage.errors).toBeUndefined();
    const readings = firstPage.data.sensor.readings;
    expect(readings.edges).toHaveLength(100);
    expect(readings.pageInfo.hasNextPage).toBe(true);
    const nextPage = await postGraphQL(h.server.url, READINGS, { id, from: '2025-01-01', to: '2025-01-07', first: 1000, after: readings.pageInfo.endCursor }, h.researcher);
    const all = [...readings.edges, ...nextPage.data.sensor.readings.edges].map((edge: { node: any }) => edge.node);
    expect(all.length).toBeGreaterThan(7 * 24 * 0.95);
    expect(all.length).toBeLessThanOrEqual(7 * 24);
    const times = all.map((r) => r.time);
    expect(new Set(times).size).toBe(times.length);
    expect(times).toEqual([...times].sort());
    for (const r of all) {
      expect(r.pm25).toBeGreaterThan(0);
      expect(r.pm25).toBeLessThan(r.pm10 + 0.1);
      expect(r.temperature).toBeGreaterThan(-20);
      expect(r.temperature).toBeLessThan(20);
      expect(r.humidity).toBeGreaterThanOrEqual(30);
      expect(r.humidity).toBeLessThanOrEqual(100);
    }
  });

  it('the humid-air overestimation is kept in the data: PM2.5 reads higher above 80 % humidity', async () => {
    const rows = await h.db.knex.raw(`
      select avg(pm25) filter (where humidity > 90) as humid, avg(pm25) filter (where humidity < 75) as dry
      from community.reading where passes_basic_checks`);
    const { humid, dry } = rows.rows[0];
    expect(humid).toBeGreaterThan(dry * 1.3);
  });

  it('the SDS011 fault value 999.9 stays in rawReadings but never reaches the open readings', async () => {
    const broken = await h.db.knex('community.reading').where('pm25', 999.9).first('sensor_id', 'measured_at');
    expect(broken).toBeDefined();
    const day = new Date(broken.measured_at).toISOString().slice(0, 10);
    const response = await postGraphQL(h.server.url, READINGS, { id: broken.sensor_id, from: day, to: day, first: 100 }, h.researcher);
    const open = response.data.sensor.readings.edges.map((edge: { node: { pm25: number } }) => edge.node.pm25);
    const raw = response.data.sensor.rawReadings.edges.map((edge: { node: { pm25: number } }) => edge.node.pm25);
    expect(raw).toContain(999.9);
    expect(open).not.toContain(999.9);
    expect(raw.length - open.length).toBe(raw.filter((v: number) => v === 999.9).length);
  });

  it('a reversed or malformed time range is refused with BAD_USER_INPUT', async () => {
    const reversed = await postGraphQL(h.server.url, READINGS, { id: ids[0], from: '2025-01-07', to: '2025-01-01' }, h.researcher);
    expect(reversed.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(reversed.errors?.[0]?.message).toMatch(/reversed/);
    const malformed = await postGraphQL(h.server.url, READINGS, { id: ids[0], from: '2025-02-30', to: '2025-03-01' }, h.researcher);
    expect(malformed.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const badCursor = await postGraphQL(h.server.url, READINGS, { id: ids[0], from: '2025-01-01', to: '2025-01-02', after: 'garbage' }, h.researcher);
    expect(badCursor.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('an unknown sensor id gives NOT_FOUND', async () => {
    const response = await postGraphQL(h.server.url, '{ sensor(id: "sc-1") { id } }');
    expect(response.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('a moderator (restricted scope) sees the pseudonymous contributor', async () => {
    const response = await postGraphQL(h.server.url, 'query ($id: ID!) { sensor(id: $id) { contributor { pseudonym contactEmail } } }', { id: ids[0] }, h.researcher);
    const { pseudonym, contactEmail } = response.data.sensor.contributor;
    expect(pseudonym).toMatch(/^citizen-\d{3}$/);
    expect(contactEmail).toBe(`${pseudonym}@example.org`);
  });

  it('the time-range readings query walks the (sensor_id, measured_at) primary key', async () => {
    const sql = readingsQuery(h.db.knex, ids.slice(0, 3), {
      from: '2025-01-05T00:00:00.000Z',
      toExclusive: '2025-01-06T00:00:00.000Z',
      limit: 100,
      after: undefined,
      raw: false,
    }).toString();
    await h.db.knex.raw('analyze community.reading');
    const result = await h.db.knex.raw(`explain ${sql}`);
    const plan = (result.rows as { 'QUERY PLAN': string }[]).map((row) => row['QUERY PLAN']).join('\n');
    expect(plan).toContain('reading_pkey');
  });

  it('a citizen browses the open-data catalogue: collectivity, partner and citizen datasets, all synthetic', async () => {
    const response = await postGraphQL(
      h.server.url,
      `{ datasets(first: 100) { edges { node { id title description licence producer { kind name } theme updatedAt landingPage format
           provenance { producerKind licence synthetic source validationStatus } } } pageInfo { hasNextPage } } }`,
    );
    expect(response.errors).toBeUndefined();
    const datasets = response.data.datasets.edges.map((edge: { node: any }) => edge.node);
    expect(datasets.length).toBeGreaterThanOrEqual(10);
    expect(datasets.map((d: { title: string }) => d.title)).toEqual(
      expect.arrayContaining(['Pistes cyclables', "Arbres d'alignement", "Qualité de l'eau potable"]),
    );
    const kinds = new Set(datasets.map((d: any) => d.producer.kind));
    expect([...kinds].sort()).toEqual(['CITIZEN', 'COLLECTIVITY', 'PARTNER']);
    for (const d of datasets) {
      expect(d.provenance).toMatchObject({ producerKind: d.producer.kind, licence: d.licence, synthetic: true, validationStatus: 'VALIDATED' });
      expect(d.updatedAt).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(d.landingPage).toMatch(/^https:\/\/data\.example\.org\//);
    }
    const citizen = datasets.find((d: any) => d.producer.kind === 'CITIZEN');
    expect(citizen.licence).toBe('ODBL');

    const representations = datasets.map((d: { id: string }) => ({ __typename: 'Dataset', id: d.id }));
    const counter = countStatements(h.db.knex);
    const entities = await postGraphQL(h.server.url, ENTITIES, { representations });
    counter.stop();
    expect(entities.data._entities.map((d: { id: string }) => d.id)).toEqual(datasets.map((d: { id: string }) => d.id));
    expect(counter.count).toBe(1);
  });
});
