import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildASTSchema, parse } from 'graphql';
import { countStatements } from '../../lib/db.ts';
import { readAccessPolicy } from '../../lib/auth/policy.ts';
import { readSupergraph } from '../../gateway/supergraph.ts';
import { fetchCachePolicies } from '../../gateway/cache/cachePolicy.ts';
import { PRODUCER_NAMES } from '../../subgraphs/registry.ts';
import { PROJECT_ROOT } from '../../lib/config.ts';
import { runQualityControl } from '../../subgraphs/community/quality.ts';
import type { Hub } from '../../hub/hub.ts';
import { bearer } from '../support/auth.ts';
import { gatewayQuery, testHub } from '../support/hub.ts';

/**
 * The gateway keeps open answers for anonymous callers, and no kept answer survives a change of the data it came
 * from: each producer's write, whoever makes it (this process, the ingest CLI, a quality-control run), is seen on
 * the very next query.
 */
let hub: Hub;
const knexOf = (producer: string) => hub.subgraph(producer).db.knex;

/** The SQL statements every subgraph sent while `query` ran through the gateway, and its answer. */
async function asked(query: string, headers?: Record<string, string>) {
  const counters = PRODUCER_NAMES.map((name) => countStatements(knexOf(name)));
  const response = await gatewayQuery(query, undefined, headers);
  counters.forEach((counter) => counter.stop());
  expect(response.errors).toBeUndefined();
  const reads = counters.map((counter) => counter.sql.filter((sql) => !sql.startsWith('insert into "audit".')).length);
  return { data: response.data, statements: reads.reduce((sum, n) => sum + n, 0), by: Object.fromEntries(PRODUCER_NAMES.map((name, i) => [name, reads[i]!])) };
}

beforeAll(async () => {
  hub = await testHub();
  expect(hub.entityCache?.enabled).toBe(true);
});

describe('the entity cache keeps what anonymous callers read', () => {
  const DASHBOARD = `{ territories(kind: COMMUNE, in: "246700488") { code name airQuality(from: "2025-01-01", to: "2025-01-07") { date index } health { indicator period value } urban { greenSpaceShare } } }`;

  it('answers a repeated dashboard without asking any producer, with the same answer', async () => {
    hub.entityCache!.clear();
    const first = await asked(DASHBOARD);
    expect(first.statements).toBeGreaterThan(0);
    const hits = hub.entityCache!.counts.hits;
    // Another text of the same question (the answer cache keeps answers by their text: this one it has not seen),
    // so the gateway plans it and every fetch is answered by the entity cache.
    const second = await asked(`${DASHBOARD} `);
    expect(second.statements).toBe(0);
    expect(second.data).toEqual(first.data);
    expect(hub.entityCache!.counts.hits).toBeGreaterThan(hits);
  });

  it('reuses each territory it knows in another question: ATMO is asked only for the ones it has not answered', async () => {
    hub.entityCache!.clear();
    const one = await asked('{ territory(code: "67482") { airQuality(from: "2025-02-01", to: "2025-02-03") { index } } }');
    expect(one.by.atmo).toBe(1);
    // The list starts with the same commune: ATMO answers only the other 32 (one batched statement), then none.
    const list = '{ territories(kind: COMMUNE, in: "246700488") { code airQuality(from: "2025-02-01", to: "2025-02-03") { index } } }';
    const first = await asked(list);
    expect(first.by.atmo).toBe(1);
    expect(first.data.territories.find((t: { code: string }) => t.code === '67482').airQuality).toEqual(one.data.territory.airQuality);
    const again = await asked('{ territory(code: "67043") { airQuality(from: "2025-02-01", to: "2025-02-03") { index } } }');
    expect(again.by.atmo).toBe(0);
    expect(again.data.territory.airQuality).toEqual(first.data.territories.find((t: { code: string }) => t.code === '67043').airQuality);
  });

  it('never keeps or serves an answer read with a token, nor a fetch that selects a restricted field', async () => {
    hub.entityCache!.clear();
    const researcher = await bearer(['orsal:restricted'], 'cache-researcher');
    const query = '{ territory(code: "67482") { health { indicator value cases } } }';
    const withToken = await asked(query, researcher);
    expect(withToken.statements).toBeGreaterThan(0);
    expect(hub.entityCache!.size).toBe(0);
    const again = await asked(query, researcher);
    expect(again.statements).toBeGreaterThan(0);
    // The policy itself: a fetch with a restricted field is never cacheable, whoever asks.
    const supergraph = buildASTSchema(parse(readSupergraph()), { assumeValidSDL: true });
    const policyOf = fetchCachePolicies(supergraph, readAccessPolicy(supergraph));
    expect(policyOf('query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Territory { health { value cases } } } }')).toEqual({ maxAgeSeconds: 0, reason: 'restricted field HealthValue.cases' });
    expect(policyOf('query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Territory { health { value } } } }').maxAgeSeconds).toBe(3600);
    expect(policyOf('{ territories(kind: COMMUNE) { code name } }').maxAgeSeconds).toBe(86400);
  });
});

describe('no kept answer survives a change of the data it came from', () => {
  /** Reads `query` twice (the second from the cache), changes the producer's data, and reads it once more. */
  async function afterWrite(query: string, write: () => Promise<unknown>, undo: () => Promise<unknown>) {
    const before = await asked(query);
    expect((await asked(query)).statements).toBe(0);
    await write();
    try {
      return { before: before.data, after: (await asked(query)).data };
    } finally {
      await undo();
    }
  }

  it('ADEUS: a renamed commune', async () => {
    const { before, after } = await afterWrite(
      '{ territory(code: "67001") { name } }',
      () => knexOf('adeus')('adeus.territory').where({ code: '67001' }).update({ name: 'Achenheim (renamed)' }),
      () => knexOf('adeus')('adeus.territory').where({ code: '67001' }).update({ name: 'Achenheim' }),
    );
    expect(before.territory.name).toBe('Achenheim');
    expect(after.territory.name).toBe('Achenheim (renamed)');
  });

  it('a write is seen by the very next query every time, its notice still on its way or not (50 rounds)', async () => {
    const query = '{ territory(code: "67001") { name } }';
    try {
      for (let round = 0; round < 50; round++) {
        await asked(query);
        await knexOf('adeus')('adeus.territory').where({ code: '67001' }).update({ name: `Achenheim (round ${round})` });
        expect((await asked(query)).data.territory.name).toBe(`Achenheim (round ${round})`);
      }
    } finally {
      await knexOf('adeus')('adeus.territory').where({ code: '67001' }).update({ name: 'Achenheim' });
    }
  });

  it('ATMO: a corrected indice', async () => {
    const query = '{ territory(code: "67482") { airQuality(from: "2025-01-02", to: "2025-01-02") { source } } }';
    const { after } = await afterWrite(
      query,
      () => knexOf('atmo').raw(`update atmo.daily_index set source = source || ' (corrected)' where code_zone = '67482' and date_ech = '2025-01-02'`),
      () => knexOf('atmo').raw(`update atmo.daily_index set source = replace(source, ' (corrected)', '') where code_zone = '67482' and date_ech = '2025-01-02'`),
    );
    expect(after.territory.airQuality[0].source).toMatch(/\(corrected\)$/);
  });

  it('ORSAL: a relabelled indicator', async () => {
    const { before, after } = await afterWrite(
      '{ territory(code: "67482") { health { indicator label } } }',
      () => knexOf('orsal').raw(`update orsal.indicator set label = label || ' (revised)'`),
      () => knexOf('orsal').raw(`update orsal.indicator set label = replace(label, ' (revised)', '')`),
    );
    expect(before.territory.health.length).toBeGreaterThan(0);
    for (const value of after.territory.health) expect(value.label).toMatch(/\(revised\)$/);
  });

  it('the community: a moderated sensor leaves the open list', async () => {
    const query = '{ sensors(first: 1000) { edges { node { id } } } }';
    const { node } = (await gatewayQuery(query)).data.sensors.edges[0];
    const { before, after } = await afterWrite(
      query,
      () => knexOf('community')('community.sensor').where({ id: node.id }).update({ status: 'REJECTED' }),
      () => knexOf('community')('community.sensor').where({ id: node.id }).update({ status: 'VALIDATED' }),
    );
    expect(before.sensors.edges.map((e: { node: { id: string } }) => e.node.id)).toContain(node.id);
    expect(after.sensors.edges.map((e: { node: { id: string } }) => e.node.id)).not.toContain(node.id);
  });

  it('APRONA: a renamed groundwater point', async () => {
    const { id } = (await gatewayQuery('{ groundwaterPoints { id } }')).data.groundwaterPoints[0];
    const query = `{ groundwaterPoint(id: "${id}") { name } }`;
    const original = (await gatewayQuery(query)).data.groundwaterPoint.name;
    const { after } = await afterWrite(
      query,
      () => knexOf('aprona')('aprona.point').where({ id }).update({ name: 'Renamed point' }),
      () => knexOf('aprona')('aprona.point').where({ id }).update({ name: original }),
    );
    expect(after.groundwaterPoint.name).toBe('Renamed point');
  });
});

describe('writers outside the gateway are heard too', () => {
  const onPostgres = process.env.DATABASE_URL !== undefined;

  it.runIf(onPostgres)('an ingest through the CLI (another process) is visible on the very next query', async () => {
    const query = '{ territory(code: "67482") { airQuality(from: "2023-06-01", to: "2023-06-02") { date index } } }';
    // The sample's rows, removed first (other test files count the seeded indices: they are removed again after,
    // unless they were there before).
    const sample = `date_ech between '2023-06-01' and '2023-06-03' and source like 'TIGA synthetic sample%'`;
    const before = Number((await knexOf('atmo').raw(`select count(*) as n from atmo.daily_index where ${sample}`)).rows[0].n);
    await knexOf('atmo').raw(`delete from atmo.daily_index where ${sample}`);
    try {
      expect((await asked(query)).data.territory.airQuality).toEqual([]);
      expect((await asked(query)).statements).toBe(0);
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/ingest.ts', 'atmo', path.join(PROJECT_ROOT, 'seeds/samples/atmo-indice-sample.csv')], { cwd: PROJECT_ROOT, env: process.env });
      expect(stdout).toMatch(/committed/);
      const after = await asked(query);
      expect(after.data.territory.airQuality.map((d: { date: string }) => d.date)).toEqual(['2023-06-01', '2023-06-02']);
    } finally {
      if (before === 0) await knexOf('atmo').raw(`delete from atmo.daily_index where ${sample}`);
    }
  });

  it('a quality-control run is visible on the very next query', async () => {
    const query = '{ sensors(first: 1000) { edges { node { id quality { score computedAt } } } } }';
    const id: string = (await gatewayQuery(query)).data.sensors.edges[0].node.id;
    const find = (data: any) => data.sensors.edges.find((e: { node: { id: string } }) => e.node.id === id).node;
    await knexOf('community')('community.sensor_quality').where({ sensor_id: id }).delete();
    expect(find((await asked(query)).data).quality).toBeNull();
    expect((await asked(query)).statements).toBe(0);
    const [record] = await runQualityControl(hub.subgraph('community').db, { apiUrl: hub.gatewayUrl, sensorIds: [id] });
    expect(record).toBeDefined();
    expect(find((await asked(query)).data).quality).not.toBeNull();
  });

  it.runIf(onPostgres)('a dropped listening session turns the cache off and empties it until it listens again', async () => {
    const query = '{ territory(code: "67001") { name } }';
    await asked(query);
    expect(hub.entityCache!.size).toBeGreaterThan(0);
    const gaps = hub.entityCache!.counts.gaps;
    await knexOf('adeus').raw(`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'tiga change listener' and datname = current_database()`);
    await expect.poll(() => hub.entityCache!.counts.gaps, { timeout: 5000 }).toBeGreaterThan(gaps);
    // Back within its back-off; what it kept before is gone.
    await expect.poll(() => hub.entityCache!.enabled, { timeout: 10_000 }).toBe(true);
    expect(hub.entityCache!.size).toBe(0);
    await knexOf('adeus')('adeus.territory').where({ code: '67001' }).update({ name: 'Achenheim (after the gap)' });
    try {
      expect((await asked(query)).data.territory.name).toBe('Achenheim (after the gap)');
    } finally {
      await knexOf('adeus')('adeus.territory').where({ code: '67001' }).update({ name: 'Achenheim' });
    }
  });

  it('every table of every producer announces its writes (a table added without the trigger fails here)', async () => {
    const rows = (
      await knexOf('adeus').raw(`select n.nspname as schema, c.relname as table from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname in (${PRODUCER_NAMES.map(() => '?').join(', ')}) and c.relkind in ('r', 'p') and c.relname not like 'knex\\_%'
          and not exists (select 1 from pg_trigger t where t.tgrelid = c.oid and t.tgname = 'notify_change')`, [...PRODUCER_NAMES])
    ).rows;
    expect(rows).toEqual([]);
  });
});
