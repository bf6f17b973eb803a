import { createRequire } from 'node:module';
import { countModel, publish, type CountModel } from '../../subgraphs/orsal/publication.ts';
import { requiredWidth, type ProtectionRule } from '../../subgraphs/orsal/protection.ts';

/**
 * The built-in attacker: it takes every open health value (value, interval, precision, population) of every
 * territory and period, knows the official hierarchy, the publication rule and — to be as strong as can be —
 * each value's rate per case, and asks a linear-programming solver (HiGHS, not the hub's GLPK: an
 * independent second opinion) how narrowly each withheld count, and each count behind an open value, can be
 * pinned down. It reports every count pinned more narrowly than the protection interval.
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
}

export interface Finding {
  key: string;
  kind: 'withheld' | 'open';
  trueCases: number | null;
  range: [number, number];
  required: number;
}

/** The counts consistent with an open value, by brute force over its bucket (independent of the hub's search). */
export function countsOf(cell: PublishedCell): [number, number] {
  const step = cell.precision!;
  const rho = cell.model.ratePerCase;
  const from = Math.max(0, Math.floor((cell.value! - step) / rho) - 2);
  const to = Math.min(cell.population, Math.ceil((cell.value! + step) / rho) + 2);
  let first = Infinity;
  let last = -Infinity;
  for (let c = from; c <= to; c++) {
    const p = publish(cell.model, c, step);
    if (p.value === cell.value && p.low === cell.low && p.high === cell.high) {
      first = Math.min(first, c);
      last = Math.max(last, c);
    }
  }
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
}

export async function attack(cells: PublishedCell[], membersOf: Map<string, string[]>, rule: ProtectionRule): Promise<Attack> {
  let narrowestWithheld: [number, string] | null = null;
  let narrowestOpen: [number, string] | null = null;
  const note = (current: [number, string] | null, width: number, key: string): [number, string] => (current && current[0] <= width ? current : [width, key]);
  const solver = await (highs ??= (require('highs') as () => Promise<Highs>)());
  const findings: Finding[] = [];
  const byKey = new Map(cells.map((c) => [c.key, c]));
  const bounds = new Map<string, [number, number | null]>();
  for (const cell of cells) {
    if (!cell.suppressed) {
      const counts = countsOf(cell);
      bounds.set(cell.key, counts);
      narrowestOpen = note(narrowestOpen, counts[1] - counts[0], cell.key);
      if (cell.trueCases !== null && counts[1] - counts[0] < requiredWidth(rule, cell.trueCases)) {
        findings.push({ key: cell.key, kind: 'open', trueCases: cell.trueCases, range: counts, required: requiredWidth(rule, cell.trueCases) });
      }
    } else bounds.set(cell.key, [0, cell.population]);
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
  for (const cell of cells.filter((c) => c.suppressed)) {
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
    narrowestWithheld = note(narrowestWithheld, range[1] - range[0], cell.key);
    const truth = cell.withheldAtSource ? rule.threshold - 1 : cell.trueCases!;
    const required = requiredWidth(rule, truth);
    if (range[1] - range[0] < required - 1e-6) findings.push({ key: cell.key, kind: 'withheld', trueCases: cell.trueCases, range, required });
  }
  return { findings, narrowestWithheld, narrowestOpen };
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
