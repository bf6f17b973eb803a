import { beforeAll, describe, expect, it } from 'vitest';
import { countStatements } from '../../lib/db.ts';
import { answerCacheLookups } from '../../lib/observability/metrics.ts';
import { captureLogs, configureLogging } from '../../lib/observability/logger.ts';
import { PRODUCER_NAMES } from '../../subgraphs/registry.ts';
import { expensiveGate } from '../../gateway/expensiveGate.ts';
import type { Hub } from '../../hub/hub.ts';
import { bearer } from '../support/auth.ts';
import { testHub } from '../support/hub.ts';

/**
 * The same question asked again by anyone without a token is answered with the bytes of the last answer, with no
 * plan and no producer asked — but never after a write to a producer it read, never from or for a token, and never
 * for an answer with errors.
 */
let hub: Hub;
const knexOf = (producer: string) => hub.subgraph(producer).db.knex;

const replays = async () => (await answerCacheLookups.get()).values.find((v) => v.labels.result === 'hit')?.value ?? 0;

/** POSTs `query` to the gateway and counts the SQL statements every producer ran meanwhile. */
async function ask(query: string, headers: Record<string, string> = {}) {
  const counters = PRODUCER_NAMES.map((name) => countStatements(knexOf(name)));
  const before = await replays();
  const response = await fetch(hub.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query }) });
  const text = await response.text();
  counters.forEach((counter) => counter.stop());
  const statements = counters.map((counter) => counter.sql.filter((sql) => !sql.startsWith('insert into "audit".')).length).reduce((a, b) => a + b, 0);
  return { status: response.status, type: response.headers.get('content-type'), text, json: JSON.parse(text), statements, replayed: (await replays()) > before };
}

beforeAll(async () => {
  hub = await testHub();
  expect(hub.answerCache).toBeDefined();
});

describe('the answer cache replays what anonymous callers asked before', () => {
  const PROFILE = 'query AnswerCacheProfile { territory(code: "67482") { code name health { indicator period value } urban { greenSpaceShare } airQuality(from: "2025-03-01", to: "2025-03-07") { date index } } }';

  it('answers the same question again with the same bytes, planning nothing and asking no producer', async () => {
    hub.entityCache!.clear();
    const first = await ask(PROFILE);
    expect(first.status).toBe(200);
    expect(first.json.errors).toBeUndefined();
    expect(first.statements).toBeGreaterThan(0);
    expect(first.replayed).toBe(false);
    const entityLookups = hub.entityCache!.counts.hits + hub.entityCache!.counts.misses;
    const saved = configureLogging({ level: 'info' });
    const logs = captureLogs();
    const again = await ask(PROFILE);
    logs.stop();
    configureLogging(saved);
    expect(again.replayed).toBe(true);
    // The access log says so, under the operation's own name and hash.
    expect(logs.entries().filter((e) => e.msg === 'graphql request' && e.service === 'gateway')).toEqual([
      expect.objectContaining({ operationName: 'AnswerCacheProfile', operationType: 'query', operationHash: expect.stringMatching(/^[0-9a-f]{64}$/), outcome: 'ok', cached: true }),
    ]);
    expect(again.statements).toBe(0);
    expect(again.text).toBe(first.text);
    expect(again.type).toBe(first.type);
    // Not even the entity cache was asked: the gateway did not plan the query.
    expect(hub.entityCache!.counts.hits + hub.entityCache!.counts.misses).toBe(entityLookups);
  });

  it('a write to a producer the answer read is seen on the very next query; a write elsewhere leaves it kept', async () => {
    const query = '{ territory(code: "67001") { name } }';
    await ask(query);
    expect((await ask(query)).replayed).toBe(true);
    // APRONA's data is not part of this answer: a write there changes nothing it holds.
    await knexOf('aprona').raw('update aprona.point set name = name where false');
    await knexOf('aprona').raw(`update aprona.point set name = name where ctid = (select ctid from aprona.point limit 1)`);
    expect((await ask(query)).replayed).toBe(true);
    try {
      await knexOf('adeus')('adeus.territory').where({ code: '67001' }).update({ name: 'Achenheim (answer cache)' });
      const after = await ask(query);
      expect(after.replayed).toBe(false);
      expect(after.json.data.territory.name).toBe('Achenheim (answer cache)');
    } finally {
      await knexOf('adeus')('adeus.territory').where({ code: '67001' }).update({ name: 'Achenheim' });
    }
    expect((await ask(query)).json.data.territory.name).toBe('Achenheim');
  });

  it('never replays an answer to or from a token', async () => {
    const researcher = await bearer(['orsal:restricted'], 'answer-cache-researcher');
    const open = '{ territory(code: "67482") { health { indicator value } } }';
    await ask(open);
    const kept = hub.answerCache!.size;
    // The same open question with a token: asked of the producers, every time, and nothing kept.
    for (let i = 0; i < 2; i++) {
      const withToken = await ask(open, researcher);
      expect(withToken.replayed).toBe(false);
      expect(withToken.statements).toBeGreaterThan(0);
    }
    // A restricted question a researcher may ask: never kept, so an anonymous caller gets only its refusal.
    const restricted = '{ territory(code: "67482") { health { indicator value cases } } }';
    const answered = await ask(restricted, researcher);
    expect(answered.json.errors).toBeUndefined();
    expect(JSON.stringify(answered.json.data)).toContain('"cases"');
    expect(hub.answerCache!.size).toBe(kept);
    const anonymous = await ask(restricted);
    expect(anonymous.replayed).toBe(false);
    expect(anonymous.json.errors?.length).toBeGreaterThan(0);
    expect(anonymous.text).not.toBe(answered.text);
  });

  it('never keeps an answer with errors: the next caller gets the question asked again', async () => {
    const query = '{ territory(code: "67482") { name health { cases } } }';
    const first = await ask(query);
    expect(first.json.errors?.length).toBeGreaterThan(0);
    const again = await ask(query);
    expect(again.replayed).toBe(false);
    expect(again.json.data).toEqual(first.json.data);
    // Each refusal is its own: it names its own request id.
    expect(again.json.errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toEqual(first.json.errors.map((e: { extensions: { code: string } }) => e.extensions.code));
    expect(again.text).not.toBe(first.text);
  });
});

describe('a replayed expensive answer is charged what it holds', () => {
  const gate = () =>
    expensiveGate({ threshold: 100, slots: 1, perClient: 2, waitMs: 100, costPerMinute: 200, hubCostPerMinute: 1_000, budget: 50_000 });

  it('spends its actual cost from its client\'s budget, and is refused once that is spent', async () => {
    const charged = gate();
    // The 33 communes' dashboard: priced 2,000, holds 66.
    expect(await charged.charge('address:a', { cost: 2000, actualCost: 66 })).toBe(true);
    expect(await charged.charge('address:a', { cost: 2000, actualCost: 66 })).toBe(true);
    expect(await charged.charge('address:a', { cost: 2000, actualCost: 66 })).toBe(true);
    expect(await charged.charge('address:a', { cost: 2000, actualCost: 66 })).toBe(false);
    // Another client has its own budget; a cheap answer is never charged.
    expect(await charged.charge('address:b', { cost: 2000, actualCost: 66 })).toBe(true);
    expect(await charged.charge('address:a', { cost: 10, actualCost: 10 })).toBe(true);
  });

  it('spends the hub\'s budget as well, all clients together', async () => {
    const charged = gate();
    let granted = 0;
    for (let client = 0; client < 20; client++) if (await charged.charge(`address:${client}`, { cost: 2000, actualCost: 150 })) granted++;
    expect(granted).toBe(6);
  });
});
