import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cheapest, decideDisclosure, type Cell, type DecisionInput } from '../../subgraphs/orsal/secrecy.ts';
import { DEFAULT_RULE } from '../../subgraphs/orsal/settings.ts';
import { ingestFile } from '../../scripts/ingest.ts';
import { attack, publishedFrom } from '../protection/attacker.ts';
import { startOrsal, type OrsalFixture } from './fixture.ts';

const SCALE = { per_unit: 100, standardised: false };

const cell = (territory_code: string, period: string, cases: number | null, population = 5000): Cell => ({
  key: `${territory_code}|X|${period}`,
  territory_code,
  territory_level: territory_code.startsWith('E') ? 'EPCI' : 'COMMUNE',
  indicator: 'X',
  period,
  cases,
  population,
  rate: cases === null ? null : (cases / population) * 100,
  withheld_at_source: cases === null,
  parent_code: null,
});

function input(cells: Cell[], members: Record<string, string[]> = {}, rule = DEFAULT_RULE): DecisionInput {
  const membership = new Map(Object.entries(members).flatMap(([epci, communes]) => communes.map((c) => [c, epci] as [string, string])));
  return { cells, indicators: new Map([['X', SCALE]]), membership, members: new Map(Object.entries(members)), rule, costKey: 'test' };
}

/** Decides, then attacks what was published: the statuses, and what the attacker pinned too narrowly. */
async function decideAndAttack(cells: Cell[], members: Record<string, string[]> = {}, rule = DEFAULT_RULE) {
  const decisions = await decideDisclosure(input(cells, members, rule));
  const { findings } = await attack(publishedFrom(cells, decisions, () => SCALE), new Map(Object.entries(members)), rule);
  return { status: Object.fromEntries(cells.map((c) => [`${c.territory_code}@${c.period}`, decisions.get(c.key)!.status])), decisions, findings };
}

describe('statistical secrecy on crafted linked tables', () => {
  it('an EPCI minus its open communes does not give a withheld commune back: the open counts are themselves uncertain', async () => {
    const { status, findings } = await decideAndAttack([cell('E', '2023', 1520, 60_000), cell('a', '2023', 4), cell('b', '2023', 800, 30_000), cell('c', '2023', 716, 25_000)], { E: ['a', 'b', 'c'] });
    expect(status['a@2023']).toBe('PRIMARY');
    expect(findings).toEqual([]);
  });

  it('a year stays protected against its pooled total', async () => {
    const { status, findings } = await decideAndAttack([cell('T', '2019-2021', 1105, 15_000), cell('T', '2019', 5), cell('T', '2020', 600), cell('T', '2021', 500)]);
    expect(status['T@2019']).toBe('PRIMARY');
    expect(findings).toEqual([]);
  });

  it('withholds a value whose count a rounded rate could not hide (12 cases among 300 people)', async () => {
    const { status, decisions } = await decideAndAttack([cell('a', '2023', 12, 300), cell('b', '2023', 600, 9000)]);
    expect(status['a@2023']).toBe('SECONDARY');
    expect(decisions.get('b|X|2023')!.publication).toMatchObject({ step: expect.any(Number) });
  });

  it('takes a value withheld at source by the producer as a primary value known only to lie below the threshold, and keeps it so', async () => {
    const { status, findings } = await decideAndAttack([cell('E', '2023', 1510, 60_000), cell('a', '2023', null), cell('b', '2023', 1500, 50_000)], { E: ['a', 'b'] });
    expect(status['a@2023']).toBe('PRIMARY');
    expect(findings).toEqual([]);
  });

  it('follows the configured threshold', async () => {
    const { status } = await decideAndAttack([cell('a', '2023', 15), cell('b', '2023', 2500, 40_000)], {}, { ...DEFAULT_RULE, threshold: 20 });
    expect(status['a@2023']).toBe('PRIMARY');
  });

  it('chooses secondary values by a keyed cost: stable for one key, unrelated to their size', () => {
    const candidates = ['a|X|2023', 'b|X|2023', 'c|X|2023', 'd|X|2023', 'e|X|2023'];
    const picks = new Set(['k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8'].map((key) => cheapest(candidates, key)));
    expect(cheapest(candidates, 'k1')).toBe(cheapest([...candidates].reverse(), 'k1'));
    expect(picks.size).toBeGreaterThan(1);
  });
});

describe('ORSAL knows the hierarchy itself: a real table without parent_code is protected', () => {
  let orsal: OrsalFixture;
  beforeAll(async () => {
    orsal = await startOrsal();
  });
  afterAll(async () => {
    await orsal.db.knex('orsal.indicator_value').where('source', 'TIGA synthetic test: no parent_code').delete();
    await orsal?.close();
  });

  it("the EPCI total and Strasbourg's value do not give Illkirch's 7 cases back, though the file names no parent", async () => {
    const communes = (await orsal.db.knex('orsal.territory_membership').where('epci_code', '246700488').orderBy('commune_code')).map((r: { commune_code: string }) => r.commune_code);
    expect(communes).toHaveLength(33);
    const rows = [
      '246700488;EPCI;LUNG_CANCER_INCIDENCE;2018;419;500000',
      '67482;COMMUNE;LUNG_CANCER_INCIDENCE;2018;412;290000',
      '67218;COMMUNE;LUNG_CANCER_INCIDENCE;2018;7;27000',
      ...communes.filter((c) => c !== '67482' && c !== '67218').map((c) => `${c};COMMUNE;LUNG_CANCER_INCIDENCE;2018;0;5000`),
    ];
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tiga-orsal-')), 'ors-2018.csv');
    fs.writeFileSync(file, `territory_code;territory_level;indicator;period;cases;population;rate;ci_low;ci_high;source\n${rows.map((r) => `${r};;;;TIGA synthetic test: no parent_code`).join('\n')}\n`);
    expect(await ingestFile(orsal.db.knex, 'orsal', file)).toMatchObject({ committed: true, rejected: [] });
    const stored = await orsal.db.knex('orsal.indicator_value').where({ indicator: 'LUNG_CANCER_INCIDENCE', period: '2018' });
    const scale = await orsal.db.knex('orsal.indicator').where('code', 'LUNG_CANCER_INCIDENCE').first('per_unit', 'standardised');
    const cells = stored.map((r: any) => ({ ...r, key: `${r.territory_code}|${r.indicator}|${r.period}` }));
    const decisions = new Map(cells.map((c: any) => [c.key, { status: c.open_status, publication: c.open_status === 'DISCLOSED' ? { value: c.open_rate, low: c.open_ci_low, high: c.open_ci_high, step: c.open_step } : null }]));
    expect(decisions.get('67218|LUNG_CANCER_INCIDENCE|2018')!.status).toBe('PRIMARY');
    const { findings } = await attack(publishedFrom(cells, decisions as any, () => scale), new Map([['246700488', communes]]), DEFAULT_RULE);
    expect(findings).toEqual([]);
  });

  it('tells the open API why a value is withheld, with one wording for every reason, and gives no rate', async () => {
    const secondary = await orsal.db.knex('orsal.indicator_value').where({ open_status: 'SECONDARY' }).first();
    const response = await orsal.territories([secondary.territory_code], `health(indicator: "${secondary.indicator}", period: "${secondary.period}") { value confidenceInterval { low } precision suppressed suppressionReason }`);
    expect(response.data!._entities[0].health).toEqual([
      { value: null, confidenceInterval: null, precision: null, suppressed: true, suppressionReason: expect.stringContaining('no other withheld value, and no count, can be deduced') },
    ]);
  });
});
