import { describe, expect, it } from 'vitest';
import { countModel, PublicationRule, type Chosen } from '../../subgraphs/orsal/publication.ts';
import { requiredWidth } from '../../subgraphs/orsal/protection.ts';
import { DEFAULT_RULE as rule } from '../../subgraphs/orsal/settings.ts';
import { decideDisclosure, releaseInputs, type Cell, type Release } from '../../subgraphs/orsal/secrecy.ts';
import { rng } from '../../seeds/random.ts';
import { attack, countsOf, publishedFrom } from './attacker.ts';

/**
 * The publication rule is public (it is in the README and in this code), so an attacker re-runs it: for a
 * population, he computes what the hub would publish for every count and keeps the counts that give what he
 * sees. A rule that picks "the finest step at which this count is safe" leaks through that re-run (the
 * review of 2026-11-30 pinned 67309's asthma 2019, population 5,322, to 307..313 — true 313 — and a value
 * of 9.6 % at step 0.2 over 20,000 people to exactly 1,900 cases). These tests re-run the rule on every
 * count as the attacker would.
 */
const key = (p: Chosen) => `${p.value}|${p.low}|${p.high}|${p.step}`;

/** Every count of a population grouped by what the rule publishes for it: the attacker's classes. */
function classes(population: number, scale: { per_unit: number; standardised: boolean }, upTo: number): Map<string, { counts: number[]; claimed: [number, number] }> {
  const publicRule = new PublicationRule(countModel({ population, cases: null, rate: null }, scale), rule);
  const out = new Map<string, { counts: number[]; claimed: [number, number] }>();
  for (let c = 0; c <= upTo; c++) {
    const p = publicRule.publicationOf(c);
    if (!p) continue;
    const entry = out.get(key(p)) ?? { counts: [], claimed: p.counts };
    entry.counts.push(c);
    out.set(key(p), entry);
  }
  return out;
}

describe('an attacker re-running the public publication rule', () => {
  const PERCENT = { per_unit: 100, standardised: false };
  const PER_THOUSAND = { per_unit: 1000, standardised: false };

  it('finds, behind every open value of many populations, exactly the counts the hub says, spanning the protection width', () => {
    let values = 0;
    for (const [scale, share] of [[PERCENT, 0.12], [PER_THOUSAND, 0.12]] as const) {
      for (const population of [300, 800, 1500, 2148, 2500, 4000, 5322, 7000, 12000, 20000, 35733, 60000]) {
        const upTo = Math.round(population * share);
        for (const [, { counts, claimed }] of classes(population, scale, upTo)) {
          if (claimed[1] > upTo) continue; // runs past the counts enumerated
          values++;
          expect([counts[0], counts.at(-1)], `population ${population}`).toEqual(claimed);
          expect(counts.at(-1)! - counts[0]!, `population ${population}, counts ${counts[0]}..${counts.at(-1)}`).toBeGreaterThanOrEqual(requiredWidth(rule, counts.at(-1)!));
        }
      }
    }
    expect(values).toBeGreaterThan(500);
  });

  it('cannot narrow the review\'s examples: 67309 asthma 2019 (313 of 5,322) and 2021 (343), 9.6 % of 20,000', () => {
    for (const [population, cases] of [[5322, 313], [5322, 343], [5322, 338], [2148, 142], [20000, 1900]] as const) {
      const publicRule = new PublicationRule(countModel({ population, cases: null, rate: null }, PERCENT), rule);
      const shown = publicRule.publicationOf(cases);
      if (!shown) continue; // withheld: nothing to re-run
      const behind = [...Array(population + 1).keys()].filter((c) => {
        const p = publicRule.publicationOf(c);
        return p !== null && key(p) === key(shown);
      });
      expect(behind.at(-1)! - behind[0]!, `${cases} of ${population}: ${key(shown)}`).toBeGreaterThanOrEqual(requiredWidth(rule, cases));
    }
  });
});

/** Random small EPCIs over a few years: the shapes where open values combine most tightly. */
function randomTable(seed: string, populationOf?: (code: string, base: number) => number): { cells: Cell[]; members: Map<string, string[]>; membership: Map<string, string> } {
  const random = rng(seed);
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const cells: Cell[] = [];
  const members = new Map<string, string[]>();
  const membership = new Map<string, string>();
  const years = [2019, 2020, 2021];
  for (let e = 0; e < 2; e++) {
    const epci = `20000000${e}`;
    const communes = Array.from({ length: int(2, 4) }, (_, i) => `67${e}${String(i).padStart(2, '0')}`);
    members.set(epci, communes);
    for (const c of communes) membership.set(c, epci);
    for (const year of years) {
      let total = 0;
      let totalPopulation = 0;
      for (const code of communes) {
        const base = int(800, 30_000);
        const population = populationOf?.(code, base) ?? base;
        const cases = Math.round(base * (0.05 + 0.03 * random()));
        total += cases;
        totalPopulation += population;
        cells.push({ key: `${code}|X|${year}`, territory_code: code, territory_level: 'COMMUNE', indicator: 'X', period: String(year), cases, population, rate: null, withheld_at_source: false, parent_code: null });
      }
      cells.push({ key: `${epci}|X|${year}`, territory_code: epci, territory_level: 'EPCI', indicator: 'X', period: String(year), cases: total, population: totalPopulation, rate: null, withheld_at_source: false, parent_code: null });
    }
  }
  return { cells, members, membership };
}

const scales = new Map([['X', { per_unit: 100, standardised: false }]]);

describe('open values combined with each other', () => {
  it('no open count of a small EPCI is pinned by adding up its communes (the review pinned 66 of 583)', async () => {
    let open = 0;
    for (let i = 0; i < 30; i++) {
      const { cells, members, membership } = randomTable(`combined-${i}`);
      const decisions = await decideDisclosure({ cells, indicators: scales, membership, members, rule, costKey: 'combined' });
      const published = publishedFrom(cells, decisions, () => scales.get('X')!);
      open += published.filter((c) => !c.suppressed).length;
      const { findings } = await attack(published, members, rule);
      expect(findings, `table ${i}`).toEqual([]);
    }
    expect(open).toBeGreaterThan(100);
  });
});

describe('a value published again after a revision', () => {
  /** Decides a table, then again with the previous release remembered; the attacker keeps both. */
  async function twoReleases(seed: string, revise: (code: string, base: number) => number, secondRule = rule) {
    const before = randomTable(seed);
    const after = randomTable(seed, revise);
    const first = await decideDisclosure({ ...before, indicators: scales, rule, costKey: 'revision' });
    const history = new Map<string, Release[]>();
    for (const cell of before.cells) {
      const d = first.get(cell.key)!;
      if (d.publication && d.counts) history.set(cell.key, [{ cases: cell.cases!, inputs: releaseInputs(cell, rule), publication: d.publication, counts: d.counts }]);
    }
    const second = await decideDisclosure({ ...after, indicators: scales, rule: secondRule, costKey: 'revision', history });
    // The attacker: what he read the first time (by re-running the rule) narrows what he reads now.
    const saved = new Map(publishedFrom(before.cells, first, () => scales.get('X')!).filter((c) => !c.suppressed).map((c) => [c.key, countsOf(c, rule)]));
    const now = publishedFrom(after.cells, second, () => scales.get('X')!).map((c) => ({ ...c, earlier: saved.get(c.key) }));
    // A count the earlier release already gave as narrowly is the earlier release's doing (a stricter rule cannot
    // take it back): only what today's release narrows further counts.
    const then = (await attack(publishedFrom(before.cells, first, () => scales.get('X')!), before.members, rule)).ranges;
    const findings = (await attack(now, after.members, secondRule)).findings.filter((f) => {
      const earlier = then.get(f.key);
      return !earlier || f.range[1] - f.range[0] < earlier[1] - earlier[0] - 1e-6;
    });
    return { findings, changed: now.filter((c) => c.earlier && !c.suppressed).length };
  }

  it('a population revised by 2 % with the count unchanged (an INSEE update) pins nothing (the review pinned 1,065 of 1,859)', async () => {
    let compared = 0;
    for (let i = 0; i < 20; i++) {
      const { findings, changed } = await twoReleases(`revision-${i}`, (code, base) => Math.round(base * (code.endsWith('0') ? 1.02 : 1)));
      compared += changed;
      expect(findings, `table ${i}`).toEqual([]);
    }
    expect(compared).toBeGreaterThan(50);
  });

  it('an operator moving p from 1 % to 2 % pins nothing that the earlier release left open', async () => {
    for (let i = 0; i < 10; i++) {
      const { findings } = await twoReleases(`rule-change-${i}`, (_, base) => base, { ...rule, percent: 2 });
      expect(findings, `table ${i}`).toEqual([]);
    }
  });
});
