import { cellKey } from './secrecy.ts';

/**
 * What a file (with what ORSAL already holds) says about the counts of linked values, checked before the
 * secrecy decision sees them. The decision (secrecy.ts) models a value withheld at source as holding fewer
 * cases than the threshold and every published total as the sum of its parts (an EPCI of its communes, a
 * pooled period of its years); a table in which that cannot hold — a producer's own secondary suppression
 * withholding a large cell, or a total from another geography — would make its linear program contradict
 * itself and the decision fail on every later run. Such a file is refused here, naming its line, instead.
 */
export interface CountBounds {
  key: string;
  code: string;
  level: 'COMMUNE' | 'EPCI';
  indicator: string;
  period: string;
  /** The commune's EPCI as the file said it, when it said so (the hub's own hierarchy comes first). */
  parent: string | null;
  /** The counts the value may hold: [c, c] for a count, [0, threshold − 1] withheld at source, [0, population] unknown. */
  low: number;
  high: number;
  withheldAtSource: boolean;
  /** The file's line, or null for a value already held. */
  line: number | null;
}

export interface Contradiction {
  line: number;
  reason: string;
}

const yearsOf = (period: string): [number, number] | null => {
  const match = /^(\d{4})(?:-(\d{4}))?$/.exec(period);
  return match ? [Number(match[1]), Number(match[2] ?? match[1])] : null;
};

const format = (n: number) => n.toLocaleString('en-GB');

/**
 * Totals that cannot be the sum of their parts, among those holding a value withheld at source (the only
 * cells whose bounds the hub assumes rather than reads) and touched by the file. Parts nobody published are
 * unbounded, so only a lower bound can then be contradicted.
 */
export function contradictions(
  cells: Map<string, CountBounds>,
  membership: Map<string, string>,
  members: Map<string, string[]>,
  threshold: number,
): Contradiction[] {
  const found: Contradiction[] = [];
  const check = (total: CountBounds, partKeys: string[], what: string) => {
    const parts = partKeys.map((key) => cells.get(key));
    const present = parts.filter((p): p is CountBounds => p !== undefined);
    if (!present.length) return;
    if (!total.withheldAtSource && !present.some((p) => p.withheldAtSource)) return;
    const fromFile = [total, ...present].filter((c) => c.line !== null);
    if (!fromFile.length) return;
    const low = present.reduce((sum, p) => sum + p.low, 0);
    const high = present.length === parts.length ? present.reduce((sum, p) => sum + p.high, 0) : Infinity;
    if (low <= total.high && high >= total.low) return;
    const line = total.line ?? Math.min(...fromFile.map((c) => c.line!));
    const said = (c: CountBounds) => (c.low === c.high ? format(c.low) : `${format(c.low)} to ${format(c.high)}`);
    found.push({
      line,
      reason:
        `${total.code} ${total.period} (${said(total)} cases) cannot be the sum of ${what}, which hold ${high === Infinity ? `at least ${format(low)}` : `${format(low)} to ${format(high)}`} cases ` +
        `when every value withheld at source holds fewer than ${threshold} cases, as the hub's secrecy decision assumes of a value a producer withheld. ` +
        'A value withheld by the producer\'s own secondary suppression, or totals of another geography, cannot be protected here: send the counts, or leave the total out',
    });
  };
  const all = [...cells.values()];
  const parentOf = (c: CountBounds) => membership.get(c.code) ?? c.parent;
  for (const total of all) {
    if (total.level === 'EPCI') {
      const inFile = all.filter((c) => c.level === 'COMMUNE' && c.indicator === total.indicator && c.period === total.period && parentOf(c) === total.code).map((c) => c.code);
      const codes = [...new Set([...(members.get(total.code) ?? []), ...inFile])];
      if (codes.length) check(total, codes.map((code) => cellKey(code, total.indicator, total.period)), `its ${codes.length} member communes`);
    }
    const years = yearsOf(total.period);
    if (years && years[0] !== years[1]) {
      const keys: string[] = [];
      for (let year = years[0]; year <= years[1]; year++) keys.push(cellKey(total.code, total.indicator, String(year)));
      check(total, keys, `its single years`);
    }
  }
  return found.sort((a, b) => a.line - b.line);
}
