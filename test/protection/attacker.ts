import { createRequire } from 'node:module';
import { countModel, PublicationRule, roundingClass, type CountModel } from '../../subgraphs/orsal/publication.ts';
import { halfWidth, requiredWidth, type ProtectionRule } from '../../subgraphs/orsal/protection.ts';

/**
 * The built-in attacker: it takes every open health value (value, interval, precision, population) of every
 * territory and period, and every earlier release it saved; knows the official hierarchy, the publication
 * rule (it re-runs it on every count, by brute force, rather than trusting the range the hub computes) and —
 * to be as strong as can be — each value's rate per case; and asks a linear-programming solver (HiGHS, not
 * the hub's GLPK: an independent second opinion) how narrowly each withheld count, and each count behind an
 * open value, can be pinned down once everything is combined. It reports every withheld count whose range
 * does not reach d(c) on both sides of it or spans less than 2·d(c), and every open count whose range spans
 * less than 2·d(c).
 */
const require = createRequire(import.meta.url);
type Highs = { solve(model: string): { Status: string; ObjectiveValue: number } };
let highs: Promise<Highs> | undefined;

export interface PublishedCell {
  /** `code|indicator|period`. */
  key: string;
  code: string;
  indicator: string;
  period: string;
  population: number;
  suppressed: boolean;
  value: number | null;
  low: number | null;
  high: number | null;
  precision: number | null;
  /** The attacker's extra knowledge. */
  model: CountModel;
  /** The truth, for judging the attack (never used to attack). */
  trueCases: number | null;
  withheldAtSource: boolean;
  /** The counts earlier releases of this value allowed, as the attacker saved them (assuming the count unchanged). */
  earlier?: [number, number];
  /** Published at a fixed step rather than by the hub's rule (the "not blind" control): its rounding class is all it says. */
  fixedStep?: boolean;
}

export interface Finding {
  key: string;
  kind: 'withheld' | 'open';
  trueCases: number | null;
  range: [number, number];
  required: number;
}

/**
 * The counts behind an open value for an attacker who re-runs the publication rule on every count its
 * numbers allow and keeps those the rule would have published exactly so (brute force, independent of the
 * range the hub computes for itself).
 */
export function countsOf(cell: PublishedCell, rule: ProtectionRule): [number, number] {
  const shown = { value: cell.value!, low: cell.low!, high: cell.high!, step: cell.precision! };
  const [from, to] = roundingClass(cell.model, shown);
  if (cell.fixedStep) return [from, to];
  const publicRule = new PublicationRule(cell.model, rule, cell.earlier);
  let first = Infinity;
  let last = -Infinity;
  for (let c = Math.max(0, from - 2); c <= Math.min(cell.population, to + 2); c++) {
    const p = publicRule.publicationOf(c);
    if (p && p.value === shown.value && p.low === shown.low && p.high === shown.high && p.step === shown.step) {
      first = Math.min(first, c);
      last = Math.max(last, c);
    }
  }
  // A value re-released exactly as before for the same inputs is read with its earlier range instead.
  if (first > last && cell.earlier) return cell.earlier;
  return [first, last];
}

const yearsOf = (period: string): [number, number] | null => {
  const m = /^(\d{4})(?:-(\d{4}))?$/.exec(period);
  return m ? [Number(m[1]), Number(m[2] ?? m[1])] : null;
};

/**
 * Attacks one indicator's linked tables. `parentOf` is the official commune → EPCI hierarchy; `membersOf`
 * every member of an EPCI (a member without a published value is an unknown, unbounded part).
 */
export interface Attack {
  findings: Finding[];
  /** The narrowest feasible range found for a withheld count, and for an open one: [width, key]. */
  narrowestWithheld: [number, string] | null;
  narrowestOpen: [number, string] | null;
  /** The range found for every cell. */
  ranges: Map<string, [number, number]>;
}

export async function attack(cells: PublishedCell[], membersOf: Map<string, string[]>, rule: ProtectionRule): Promise<Attack> {
  let narrowestWithheld: [number, string] | null = null;
  let narrowestOpen: [number, string] | null = null;
  const note = (current: [number, string] | null, width: number, key: string): [number, string] => (current && current[0] <= width ? current : [width, key]);
  const solver = await (highs ??= (require('highs') as () => Promise<Highs>)());
  const findings: Finding[] = [];
  const ranges = new Map<string, [number, number]>();
  const byKey = new Map(cells.map((c) => [c.key, c]));
  const bounds = new Map<string, [number, number | null]>();
  for (const cell of cells) {
    if (!cell.suppressed) {
      const [lo, hi] = countsOf(cell, rule);
      const counts: [number, number] = cell.earlier ? [Math.max(lo, cell.earlier[0]), Math.min(hi, cell.earlier[1])] : [lo, hi];
      bounds.set(cell.key, counts);
    } else bounds.set(cell.key, cell.earlier ? [...cell.earlier] : [0, cell.population]);
  }
  const relations: [string, string[]][] = [];
  const unknown = (key: string) => {
    if (!bounds.has(key)) bounds.set(key, [0, null]);
    return key;
  };
  for (const cell of cells) {
    const members = membersOf.get(cell.code);
    if (members) relations.push([cell.key, members.map((m) => unknown(`${m}|${cell.indicator}|${cell.period}`))]);
  }
  for (const key of [...bounds.keys()]) {
    const [code, indicator, period] = key.split('|') as [string, string, string];
    const years = yearsOf(period);
    if (!years || years[0] === years[1] || !byKey.has(key)) continue;
    const parts: string[] = [];
    for (let y = years[0]; y <= years[1]; y++) parts.push(unknown(`${code}|${indicator}|${y}`));
    relations.push([key, parts]);
  }
  // One linear program per group of linked cells.
  const group = new Map<string, string>();
  const find = (k: string): string => (group.get(k) && group.get(k) !== k ? find(group.get(k)!) : k);
  for (const [total, parts] of relations) for (const part of parts) group.set(find(part), find(total));
  const name = new Map([...bounds.keys()].map((k, i) => [k, `x${i}`]));
  for (const cell of cells) {
    const root = find(cell.key);
    const mine = relations.filter(([total]) => find(total) === root);
    const vars = new Set([cell.key, ...mine.flatMap(([t, p]) => [t, ...p])]);
    const constraints = mine.map(([t, p], i) => ` r${i}: ${name.get(t)}${p.map((x) => ` - ${name.get(x)}`).join('')} = 0`);
    const bnds = [...vars].map((k) => {
      const [lo, hi] = bounds.get(k)!;
      return hi === null ? ` ${name.get(k)} >= ${lo}` : ` ${lo} <= ${name.get(k)} <= ${hi}`;
    });
    const solve = (sense: 'Minimize' | 'Maximize') => {
      const result = solver.solve(`${sense}\n obj: ${name.get(cell.key)}\nSubject To\n${constraints.length ? constraints.join('\n') : ` r0: ${name.get(cell.key)} >= 0`}\nBounds\n${bnds.join('\n')}\nEnd\n`);
      if (result.Status === 'Unbounded') return sense === 'Maximize' ? Infinity : -Infinity;
      if (result.Status !== 'Optimal') throw new Error(`HiGHS: ${result.Status} for ${cell.key}`);
      return result.ObjectiveValue;
    };
    const range: [number, number] = [solve('Minimize'), solve('Maximize')];
    ranges.set(cell.key, range);
    if (!cell.suppressed) {
      narrowestOpen = note(narrowestOpen, range[1] - range[0], cell.key);
      const required = requiredWidth(rule, cell.trueCases!);
      if (range[1] - range[0] < required - 1e-6) findings.push({ key: cell.key, kind: 'open', trueCases: cell.trueCases, range, required });
      continue;
    }
    narrowestWithheld = note(narrowestWithheld, range[1] - range[0], cell.key);
    const truth = cell.withheldAtSource ? rule.threshold - 1 : cell.trueCases!;
    const required = requiredWidth(rule, truth);
    // Sliding: the range must reach d(c) on both sides of a known count (not below 0).
    const d = halfWidth(rule, truth);
    // A value released open before is judged as open values are: its earlier range was published.
    const slides = cell.withheldAtSource || cell.earlier !== undefined || (range[0] <= Math.max(0, truth - d) + 1e-6 && range[1] >= truth + d - 1e-6);
    if (range[1] - range[0] < required - 1e-6 || !slides) findings.push({ key: cell.key, kind: 'withheld', trueCases: cell.trueCases, range, required });
  }
  return { findings, narrowestWithheld, narrowestOpen, ranges };
}

/** What the hub publishes for cells it decided on, as the attacker reads it (plus the truth, for judging). */
export function publishedFrom(
  cells: { key: string; territory_code: string; indicator: string; period: string; population: number; cases: number | null; rate: number | null; withheld_at_source: boolean }[],
  decisions: Map<string, { status: string; publication: { value: number; low: number; high: number; step: number } | null }>,
  scaleOf: (indicator: string) => { per_unit: number; standardised: boolean },
): PublishedCell[] {
  return cells.map((c) => {
    const d = decisions.get(c.key)!;
    return {
      key: c.key, code: c.territory_code, indicator: c.indicator, period: c.period, population: c.population, suppressed: d.status !== 'DISCLOSED',
      value: d.publication?.value ?? null, low: d.publication?.low ?? null, high: d.publication?.high ?? null, precision: d.publication?.step ?? null,
      model: countModel(c, scaleOf(c.indicator)), trueCases: c.cases, withheldAtSource: c.withheld_at_source,
    };
  });
}
