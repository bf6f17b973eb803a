import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Knex } from 'knex';
import { openEmbedded, openPostgres, type Database } from '../../lib/db.ts';
import { decideDisclosure, type Cell } from '../../subgraphs/orsal/secrecy.ts';
import { countModel, publish } from '../../subgraphs/orsal/publication.ts';
import { DEFAULT_RULE } from '../../subgraphs/orsal/settings.ts';
import { orsal } from '../../subgraphs/orsal/index.ts';
import { seedOrsal } from '../../seeds/orsal.ts';
import { loadReferential } from '../../seeds/referential.ts';
import { loadConfig } from '../../lib/config.ts';
import { rng } from '../../seeds/random.ts';
import { ingestFile } from '../../scripts/ingest.ts';
import { gatewayQuery, testHub } from '../support/hub.ts';
import { migrateProducers } from '../support/subgraph.ts';
import { attack, countsOf, publishedFrom, type Attack, type PublishedCell } from './attacker.ts';

/**
 * A built-in attacker in the suite: every open health value, every period, combined by linear programming
 * (test/protection/attacker.ts). It must not pin any withheld count, nor any count behind an open value,
 * more narrowly than the protection interval: on the seed through the open API, on a larger seed, after a
 * producer publishes pooled periods, and on random hierarchies and period structures.
 */
const rule = DEFAULT_RULE;

interface Stored {
  territory_code: string;
  indicator: string;
  period: string;
  cases: number | null;
  population: number;
  rate: number | null;
  withheld_at_source: boolean;
}

/** The attacker's extra knowledge (the rate per case) and the truth, from the database. */
async function truths(knex: Knex): Promise<{ byKey: Map<string, Stored>; scales: Map<string, { per_unit: number; standardised: boolean }> }> {
  const rows = (await knex('orsal.indicator_value').whereIn('territory_level', ['COMMUNE', 'EPCI'])) as Stored[];
  const scales = new Map(((await knex('orsal.indicator').select('code', 'per_unit', 'standardised')) as { code: string; per_unit: number; standardised: boolean }[]).map((r) => [r.code, r]));
  return { byKey: new Map(rows.map((r) => [`${r.territory_code}|${r.indicator}|${r.period}`, r])), scales };
}

function summary({ findings, narrowestWithheld, narrowestOpen }: Attack, cells: PublishedCell[], label: string): void {
  const open = cells.filter((c) => !c.suppressed).length;
  const recomputable = findings.filter((f) => f.kind === 'open').length;
  console.log(
    `${label}: ${cells.length} cells, ${open} open, ${cells.length - open} withheld; findings ${findings.length}; ` +
      `open counts recomputable ${recomputable}/${open}; narrowest withheld range ${narrowestWithheld?.[0]} cases (${narrowestWithheld?.[1]}), narrowest open ${narrowestOpen?.[0]} (${narrowestOpen?.[1]})`,
  );
}

/** Every open value of every commune and EPCI, through the gateway, anonymously: what anyone can read. */
async function publishedThroughApi(knex: Knex): Promise<{ cells: PublishedCell[]; members: Map<string, string[]> }> {
  const { data, errors } = await gatewayQuery(`{ territories { code kind parent { code }
    health { indicator period value confidenceInterval { low high } precision population suppressed } } }`);
  expect(errors).toBeUndefined();
  const { byKey, scales } = await truths(knex);
  const members = new Map<string, string[]>();
  const cells: PublishedCell[] = [];
  for (const territory of data.territories as { code: string; kind: string; parent: { code: string } | null; health: any[] }[]) {
    if (territory.kind === 'COMMUNE' && territory.parent) members.set(territory.parent.code, [...(members.get(territory.parent.code) ?? []), territory.code]);
    for (const h of territory.health) {
      const key = `${territory.code}|${h.indicator}|${h.period}`;
      const truth = byKey.get(key)!;
      cells.push({
        key, code: territory.code, indicator: h.indicator, period: h.period, population: h.population, suppressed: h.suppressed,
        value: h.value, low: h.confidenceInterval?.low ?? null, high: h.confidenceInterval?.high ?? null, precision: h.precision,
        model: countModel(truth, scales.get(h.indicator)!), trueCases: truth.cases, withheldAtSource: truth.withheld_at_source,
      });
    }
  }
  return { cells, members };
}

async function attackAll(cells: PublishedCell[], members: Map<string, string[]>): Promise<Attack> {
  const all: Attack = { findings: [], narrowestWithheld: null, narrowestOpen: null, ranges: new Map() };
  const narrower = (a: [number, string] | null, b: [number, string] | null) => (!a ? b : !b ? a : a[0] <= b[0] ? a : b);
  for (const indicator of new Set(cells.map((c) => c.indicator))) {
    const one = await attack(cells.filter((c) => c.indicator === indicator), members, rule);
    all.findings.push(...one.findings);
    all.narrowestWithheld = narrower(all.narrowestWithheld, one.narrowestWithheld);
    all.narrowestOpen = narrower(all.narrowestOpen, one.narrowestOpen);
  }
  return all;
}

describe('statistical secrecy holds against an attacker combining every open value', () => {
  let knex: Knex;
  beforeAll(async () => {
    knex = (await testHub()).subgraph('orsal').db.knex;
  });

  it('on the seed, through the open API: no withheld count and no open count narrower than the protection interval', async () => {
    const { cells, members } = await publishedThroughApi(knex);
    const result = await attackAll(cells, members);
    const { findings } = result;
    summary(result, cells, 'seed');
    expect(cells.filter((c) => c.suppressed).length).toBeGreaterThan(100);
    expect(cells.filter((c) => !c.suppressed).length).toBeGreaterThan(500);
    expect(findings).toEqual([]);
  });

  it('is not blind: were the seed published with only primary suppression, at the producer\'s own precision, it would pin counts', async () => {
    const { cells, members } = await publishedThroughApi(knex);
    const naive = cells.map((cell) => {
      if (cell.withheldAtSource || cell.trueCases === null || cell.trueCases < rule.threshold) return { ...cell, suppressed: true, value: null, low: null, high: null, precision: null };
      const step = cell.model.perUnit === 100 ? 0.01 : 0.1;
      return { ...cell, suppressed: false, fixedStep: true, ...publish(cell.model, cell.trueCases, step), precision: step };
    });
    const result = await attackAll(naive, members);
    const { findings } = result;
    summary(result, naive, 'naive publication of the seed');
    expect(findings.filter((f) => f.kind === 'open').length).toBeGreaterThan(500);
    // Differencing an EPCI total and its open communes pins withheld counts too (the 67279 and 67244).
    expect(findings.filter((f) => f.kind === 'withheld').length).toBeGreaterThan(0);
  });

  it('after ORSAL publishes pooled periods (2019-2024) for the Pays de Saverne: still nothing narrower', async () => {
    const SAVERNE = '200068112';
    const rows = (await knex('orsal.indicator_value')
      .whereIn('territory_code', knex('orsal.indicator_value').select('territory_code').where('parent_code', SAVERNE).orWhere('territory_code', SAVERNE))
      .where('indicator', 'COPD_HOSPITALISATION')
      .whereIn('territory_level', ['COMMUNE', 'EPCI'])
      .select('territory_code', 'territory_level', 'cases', 'population', 'rate')) as { territory_code: string; territory_level: string; cases: number; population: number; rate: number }[];
    const totals = new Map<string, { level: string; cases: number; population: number; rate: number; years: number }>();
    for (const r of rows) {
      const t = totals.get(r.territory_code) ?? { level: r.territory_level, cases: 0, population: 0, rate: 0, years: 0 };
      totals.set(r.territory_code, { level: t.level, cases: t.cases + r.cases, population: t.population + r.population, rate: t.rate + r.rate, years: t.years + 1 });
    }
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tiga-pooled-')), 'ors-pooled.csv');
    fs.writeFileSync(
      file,
      'territory_code;territory_level;indicator;period;cases;population;rate;ci_low;ci_high;source\n' +
        [...totals].map(([code, t]) => `${code};${t.level};COPD_HOSPITALISATION;2019-2024;${t.cases};${t.population};${(t.rate / t.years).toFixed(1)};;;TIGA synthetic test: pooled periods`).join('\n') + '\n',
    );
    try {
      const report = await ingestFile(knex, 'orsal', file);
      expect(report).toMatchObject({ committed: true, rejected: [] });
      const { cells, members } = await publishedThroughApi(knex);
      expect(cells.filter((c) => c.period === '2019-2024').length).toBe(totals.size);
      const result = await attackAll(cells.filter((c) => c.indicator === 'COPD_HOSPITALISATION'), members);
      const { findings } = result;
      summary(result, cells.filter((c) => c.indicator === 'COPD_HOSPITALISATION'), 'seed + pooled periods');
      expect(findings).toEqual([]);
    } finally {
      await knex('orsal.indicator_value').where('period', '2019-2024').delete();
      await orsal.refresh!({ knex, engine: 'postgres', close: async () => {} }, { secrecyThreshold: rule.threshold, protectionCases: rule.cases, protectionPercent: rule.percent });
    }
  });
  it('after ORSAL revises populations by 2 % with the counts unchanged: the new release narrows nothing the earlier one left open', async () => {
    const { cells: before, members } = await publishedThroughApi(knex);
    const saved = new Map(before.filter((c) => !c.suppressed).map((c) => [c.key, countsOf(c, rule)]));
    const revised = (await knex('orsal.indicator_value')
      .where({ indicator: 'ASTHMA_PREVALENCE', territory_level: 'COMMUNE', open_status: 'DISCLOSED' })
      .orderBy(['period', 'territory_code'])
      .limit(12)) as { territory_code: string; period: string; cases: number; population: number }[];
    const file = (rows: typeof revised, factor: number) => {
      const name = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tiga-revision-')), 'ors-revision.csv');
      fs.writeFileSync(
        name,
        'territory_code;territory_level;indicator;period;cases;population;rate;ci_low;ci_high;source\n' +
          rows.map((r) => { const population = Math.round(r.population * factor); return `${r.territory_code};COMMUNE;ASTHMA_PREVALENCE;${r.period};${r.cases};${population};${((r.cases / population) * 100).toFixed(2)};;;TIGA synthetic test: revised population`; }).join('\n') + '\n',
      );
      return name;
    };
    expect(await ingestFile(knex, 'orsal', file(revised, 1.02))).toMatchObject({ committed: true, rejected: [] });
    try {
      const { cells: after } = await publishedThroughApi(knex);
      const asthma = after.filter((c) => c.indicator === 'ASTHMA_PREVALENCE').map((c) => ({ ...c, earlier: saved.get(c.key) }));
      expect(asthma.filter((c) => revised.some((r) => c.key === `${r.territory_code}|ASTHMA_PREVALENCE|${r.period}`) && c.earlier).length).toBe(revised.length);
      const result = await attack(asthma, members, rule);
      summary(result, asthma, 'seed + revised populations');
      expect(result.findings).toEqual([]);
    } finally {
      expect(await ingestFile(knex, 'orsal', file(revised, 1))).toMatchObject({ committed: true });
    }
    // Back to the first inputs, each value is released again exactly as it was.
    const { cells: restored } = await publishedThroughApi(knex);
    const first = new Map(before.map((c) => [c.key, [c.value, c.low, c.high, c.precision]]));
    expect(restored.filter((c) => c.indicator === 'ASTHMA_PREVALENCE').map((c) => [c.key, c.value, c.low, c.high, c.precision])).toEqual(
      restored.filter((c) => c.indicator === 'ASTHMA_PREVALENCE').map((c) => [c.key, ...first.get(c.key)!]),
    );
  });
});

describe('on a seed three times as long', () => {
  let db: Database;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const url = process.env.DATABASE_URL;
    if (url) {
      const name = `tiga_scale_${process.pid}`;
      const admin = openPostgres(Object.assign(new URL(url), { pathname: '/postgres' }).toString(), 1);
      await admin.knex.raw('drop database if exists ??', [name]);
      await admin.knex.raw('create database ??', [name]);
      db = openPostgres(Object.assign(new URL(url), { pathname: `/${name}` }).toString(), 2);
      drop = async () => {
        await db.close();
        await admin.knex.raw('drop database if exists ??', [name]);
        await admin.close();
      };
    } else {
      db = await openEmbedded('memory://');
      drop = () => db.close();
    }
    await migrateProducers(db, [orsal]);
    await seedOrsal(db.knex, loadReferential(loadConfig().sharedDataDir), { scale: 3 });
  });
  afterAll(async () => drop?.());

  it('no count is narrower than the protection interval, open values and withheld ones', async () => {
    const { byKey, scales } = await truths(db.knex);
    const rows = await db.knex('orsal.indicator_value').whereIn('territory_level', ['COMMUNE', 'EPCI']);
    const cells: PublishedCell[] = rows.map((r: any) => ({
      key: `${r.territory_code}|${r.indicator}|${r.period}`, code: r.territory_code, indicator: r.indicator, period: r.period, population: r.population,
      suppressed: r.open_status !== 'DISCLOSED', value: r.open_rate, low: r.open_ci_low, high: r.open_ci_high, precision: r.open_step,
      model: countModel(byKey.get(`${r.territory_code}|${r.indicator}|${r.period}`)!, scales.get(r.indicator)!), trueCases: r.cases, withheldAtSource: r.withheld_at_source,
    }));
    const members = new Map<string, string[]>();
    for (const r of rows.filter((r: any) => r.territory_level === 'COMMUNE' && r.parent_code)) members.set(r.parent_code, [...new Set([...(members.get(r.parent_code) ?? []), r.territory_code])]);
    const result = await attackAll(cells, members);
    const { findings } = result;
    summary(result, cells, 'scale 3 seed');
    expect(new Set(cells.map((c) => c.period)).size).toBe(18);
    expect(findings).toEqual([]);
  });
});

describe('on random hierarchies and period structures (property)', () => {
  /** A random linked table: EPCIs of communes over years, sometimes pooled periods, some cells secret at source. */
  function randomTables(seed: string): { cells: Cell[]; members: Map<string, string[]>; membership: Map<string, string> } {
    const random = rng(seed);
    const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
    const years = Array.from({ length: int(2, 5) }, (_, i) => 2019 + i);
    const periods = years.map(String);
    if (random() < 0.6) periods.push(`${years[0]}-${years.at(-1)}`);
    if (years.length >= 3 && random() < 0.4) periods.push(`${years[0]}-${years[1]}`);
    const cells: Cell[] = [];
    const members = new Map<string, string[]>();
    const membership = new Map<string, string>();
    for (let e = 0; e < int(1, 3); e++) {
      const epci = `20000000${e}`;
      const communes = Array.from({ length: int(2, 8) }, (_, i) => `67${e}${String(i).padStart(2, '0')}`);
      members.set(epci, communes);
      for (const c of communes) membership.set(c, epci);
      const yearly = new Map<string, { cases: number; population: number }>();
      for (const code of communes) {
        const population = int(80, 40_000);
        const rate = 0.002 + 0.05 * random();
        for (const y of years) yearly.set(`${code}|${y}`, { cases: random() < 0.3 ? int(0, 12) : Math.round(population * rate * (0.8 + 0.4 * random())), population });
      }
      const sum = (codes: string[], ys: number[]) =>
        codes.flatMap((code) => ys.map((y) => yearly.get(`${code}|${y}`)!)).reduce((a, b) => ({ cases: a.cases + b.cases, population: a.population + b.population }), { cases: 0, population: 0 });
      for (const period of periods) {
        const [from, to] = period.split('-').map(Number) as [number, number?];
        const ys = years.filter((y) => y >= from && y <= (to ?? from));
        for (const [code, level, codes] of [[epci, 'EPCI', communes], ...communes.map((c) => [c, 'COMMUNE', [c]] as const)] as const) {
          const total = sum([...codes], ys);
          const secret = level === 'COMMUNE' && period.length === 4 && total.cases < 11 && random() < 0.3;
          cells.push({
            key: `${code}|X|${period}`, territory_code: code, territory_level: level, indicator: 'X', period,
            cases: secret ? null : total.cases, population: total.population, rate: (total.cases / total.population) * 100,
            withheld_at_source: secret, parent_code: null,
          });
        }
      }
    }
    return { cells, members, membership };
  }

  it('holds on 25 random tables', async () => {
    for (let i = 0; i < 25; i++) {
      const { cells, members, membership } = randomTables(`secrecy-property-${i}`);
      const decisions = await decideDisclosure({ cells, indicators: new Map([['X', { per_unit: 100, standardised: false }]]), membership, members, rule, costKey: 'property' });
      const published = publishedFrom(cells, decisions, () => ({ per_unit: 100, standardised: false }));
      const { findings } = await attack(published, members, rule);
      expect(findings, `table ${i}`).toEqual([]);
    }
  });
});
