import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideDisclosure, type OpenStatus } from '../../subgraphs/orsal/secrecy.ts';
import { startOrsal, type OrsalFixture } from './fixture.ts';

type Cell = Parameters<typeof decideDisclosure>[0][number];

const cell = (territory_code: string, period: string, cases: number, parent_code: string | null = null): Cell => ({
  key: `${territory_code}|X|${period}`,
  territory_code,
  territory_level: parent_code ? 'COMMUNE' : 'EPCI',
  indicator: 'X',
  period,
  parent_code,
  cases,
  status: 'PENDING',
});

const statuses = (cells: Cell[]) => Object.fromEntries(cells.map((c) => [`${c.territory_code}@${c.period}`, c.status])) as Record<string, OpenStatus>;

describe('secondary suppression: no open value lets anyone recompute a withheld one by subtraction', () => {
  it('withholds the smallest other commune when one commune of an EPCI is withheld', () => {
    const cells = [cell('E', '2023', 320), cell('a', '2023', 4, 'E'), cell('b', '2023', 200, 'E'), cell('c', '2023', 116, 'E')];
    decideDisclosure(cells, 11);
    // E − b − c would give a's 4 cases: c (the smaller) is withheld too, and now 120 cases hide together.
    expect(statuses(cells)).toEqual({ 'E@2023': 'DISCLOSED', 'a@2023': 'PRIMARY', 'b@2023': 'DISCLOSED', 'c@2023': 'SECONDARY' });
  });

  it('keeps withholding while the hidden cases of a total add up to fewer than the threshold', () => {
    const cells = [cell('E', '2023', 60), cell('a', '2023', 3, 'E'), cell('b', '2023', 4, 'E'), cell('c', '2023', 2, 'E'), cell('d', '2023', 51, 'E')];
    decideDisclosure(cells, 11);
    // a, b, c are all primary but sum to 9: E − d would reveal a group of 9 cases, so d goes too.
    expect(statuses(cells)['d@2023']).toBe('SECONDARY');
  });

  it('leaves everything open when the withheld parts already hide enough cases', () => {
    const cells = [cell('E', '2023', 300), cell('a', '2023', 6, 'E'), cell('b', '2023', 9, 'E'), cell('c', '2023', 285, 'E')];
    decideDisclosure(cells, 11);
    expect(statuses(cells)).toEqual({ 'E@2023': 'DISCLOSED', 'a@2023': 'PRIMARY', 'b@2023': 'PRIMARY', 'c@2023': 'DISCLOSED' });
  });

  it('protects a year against its multi-year total', () => {
    const cells = [cell('T', '2019-2021', 45), cell('T', '2019', 7), cell('T', '2020', 18), cell('T', '2021', 20)];
    decideDisclosure(cells, 11);
    expect(statuses(cells)).toEqual({ 'T@2019-2021': 'DISCLOSED', 'T@2019': 'PRIMARY', 'T@2020': 'SECONDARY', 'T@2021': 'DISCLOSED' });
  });

  it('protects a year against two nested multi-year totals (2019-2021 minus 2019-2020)', () => {
    const cells = [cell('T', '2019', 30), cell('T', '2020', 40), cell('T', '2021', 4), cell('T', '2019-2020', 70), cell('T', '2019-2021', 74)];
    decideDisclosure(cells, 11);
    const s = statuses(cells);
    expect(s['T@2021']).toBe('PRIMARY');
    // Whatever is subtracted from what is still open, 2021's 4 cases never come out alone.
    const open = (p: string) => s[`T@${p}`] === 'DISCLOSED';
    expect(open('2019-2021') && open('2019-2020')).toBe(false);
    expect(open('2019-2021') && open('2019') && open('2020')).toBe(false);
  });

  it('needs nothing more when the total itself is withheld', () => {
    const cells = [cell('E', '2023', 9), cell('a', '2023', 3, 'E'), cell('b', '2023', 6, 'E')];
    decideDisclosure(cells, 11);
    expect(Object.values(statuses(cells))).toEqual(['PRIMARY', 'PRIMARY', 'PRIMARY']);
  });

  it('follows the configured threshold', () => {
    const cells = [cell('E', '2023', 320), cell('a', '2023', 15, 'E'), cell('b', '2023', 305, 'E')];
    decideDisclosure(cells, 20);
    expect(statuses(cells)).toEqual({ 'E@2023': 'DISCLOSED', 'a@2023': 'PRIMARY', 'b@2023': 'SECONDARY' });
  });
});

describe('the seeded open health values respect secondary suppression', () => {
  let orsal: OrsalFixture;
  beforeAll(async () => {
    orsal = await startOrsal();
  });
  afterAll(async () => {
    await orsal?.close();
  });

  it('hides at least 11 cases behind every open EPCI total that has withheld communes', async () => {
    const rows = await orsal.db.knex('orsal.indicator_value').whereIn('territory_level', ['COMMUNE', 'EPCI']).select('territory_code', 'territory_level', 'parent_code', 'indicator', 'period', 'cases', 'open_status');
    const epcis = rows.filter((r) => r.territory_level === 'EPCI' && r.open_status === 'DISCLOSED');
    expect(epcis.length).toBeGreaterThan(0);
    let groupsWithHidden = 0;
    for (const total of epcis) {
      const parts = rows.filter((r) => r.parent_code === total.territory_code && r.indicator === total.indicator && r.period === total.period);
      const hidden = parts.filter((r) => r.open_status !== 'DISCLOSED');
      if (hidden.length) groupsWithHidden++;
      if (hidden.length) expect(hidden.reduce((sum, r) => sum + r.cases, 0)).toBeGreaterThanOrEqual(11);
    }
    expect(groupsWithHidden).toBeGreaterThan(0);
    expect(rows.some((r) => r.open_status === 'SECONDARY')).toBe(true);
  });

  it('tells the open API why a value is withheld by secondary suppression, and gives no rate', async () => {
    const secondary = await orsal.db.knex('orsal.indicator_value').where({ open_status: 'SECONDARY' }).first();
    const response = await orsal.territories([secondary.territory_code], `health(indicator: "${secondary.indicator}", period: "${secondary.period}") { value confidenceInterval { low } suppressed suppressionReason }`);
    expect(response.data!._entities[0].health).toEqual([
      { value: null, confidenceInterval: null, suppressed: true, suppressionReason: expect.stringContaining('cannot be recomputed by subtraction') },
    ]);
  });
});
