import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { countStatements } from '../../lib/db.ts';
import { startOrsal, type OrsalFixture } from './fixture.ts';

const EMS = '246700488';

let orsal: OrsalFixture;
let emsCommunes: string[];

beforeAll(async () => {
  orsal = await startOrsal();
  emsCommunes = orsal.referential.communes.filter((c) => c.epci === EMS).map((c) => c.code);
});

afterAll(async () => {
  await orsal?.close();
});

/**
 * Runs `selection` on the 33 communes of the Eurométropole and returns the SQL it cost to read the data.
 * A restricted read also appends its audit record (one insert, tested in test/access); that is not a read.
 */
async function statementsFor(selection: string) {
  const counter = countStatements(orsal.db.knex);
  try {
    const response = await orsal.territories(emsCommunes, selection);
    return { response, sql: counter.sql.filter((sql) => !sql.startsWith('insert into "audit".')) };
  } finally {
    counter.stop();
  }
}

describe('a map of the Eurométropole asks one indicator for its 33 communes', () => {
  it('costs one SQL statement for the open values', async () => {
    expect(emsCommunes).toHaveLength(33);
    const { response, sql } = await statementsFor('code health(indicator: "ASTHMA_PREVALENCE", period: "2023") { value suppressed }');
    expect(response.errors).toBeUndefined();
    expect(sql).toHaveLength(1);
    const entities = response.data!._entities as { code: string; health: { value: number | null }[] }[];
    expect(entities.map((t) => t.code)).toEqual(emsCommunes);
    expect(entities.every((t) => t.health.length === 1)).toBe(true);
  });

  it('costs one SQL statement for the restricted values', async () => {
    const { response, sql } = await statementsFor('healthDetailed(period: "2022") { indicator cases }');
    expect(response.errors).toBeUndefined();
    expect(sql).toHaveLength(1);
    expect(response.data!._entities.every((t: { healthDetailed: unknown[] }) => t.healthDetailed.length === 5)).toBe(true);
  });

  it('costs one statement per distinct set of arguments, never one per territory', async () => {
    const { response, sql } = await statementsFor('a: health(period: "2022") { value } b: health(period: "2023") { value } c: health(period: "2023") { cases }');
    expect(response.errors).toBeUndefined();
    expect(sql).toHaveLength(2);
  });
});

describe('the per-territory lookup uses the natural-key index', () => {
  /** EXPLAIN of the exact statement the subgraph sent for `selection` on `codes`. */
  async function planOf(codes: string[], selection: string): Promise<string> {
    const captured: { sql: string; bindings: unknown[] }[] = [];
    const listener = (query: { sql: string; bindings: unknown[] }) => captured.push(query);
    orsal.db.knex.on('query', listener);
    await orsal.territories(codes, selection);
    orsal.db.knex.off('query', listener);
    expect(captured).toHaveLength(1);
    const { sql, bindings } = captured[0]!;
    // The event carries the driver's $n placeholders; knex.raw wants ?.
    const { rows } = await orsal.db.knex.raw(`explain ${sql.replace(/\$\d+/g, '?')}`, bindings as never[]);
    return rows.map((row: Record<string, string>) => row['QUERY PLAN']).join('\n');
  }

  it('reads one commune’s values from the index, not by scanning the ~9,000 seeded values', async () => {
    const count = await orsal.db.knex('orsal.indicator_value').count({ n: '*' }).first();
    // ~9,000 values with the real referential (IRIS included), ~2,100 with the approximate one.
    expect(Number(count!.n)).toBeGreaterThan(orsal.referential.iris.length ? 8000 : 2000);
    const plan = await planOf(['67482'], 'health { value }');
    expect(plan).toMatch(/Index (Only )?Scan (on|using) indicator_value_natural_key/);
    expect(plan).not.toMatch(/Seq Scan on indicator_value\b/);
  });

  it('reads one indicator and period for the 33 communes from the index', async () => {
    const plan = await planOf(emsCommunes, 'health(indicator: "ASTHMA_PREVALENCE", period: "2023") { value }');
    expect(plan).toMatch(/Index (Only )?Scan (on|using) indicator_value_(natural_key|group) on indicator_value/);
    expect(plan).not.toMatch(/Seq Scan on indicator_value\b/);
  });
});
