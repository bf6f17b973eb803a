import type { Knex } from 'knex';

/** Levels published openly; IRIS values are restricted and never open. */
export const OPEN_LEVELS = ['COMMUNE', 'EPCI'] as const;

export type OpenStatus = 'DISCLOSED' | 'PRIMARY' | 'SECONDARY' | 'PENDING';

/**
 * Why an open value is withheld. Primary and secondary suppression share one wording on purpose: telling
 * them apart would tell a reader which cells hold fewer than `threshold` cases.
 */
export function suppressionReason(status: OpenStatus, threshold: number): string | null {
  switch (status) {
    case 'DISCLOSED':
      return null;
    case 'PRIMARY':
    case 'SECONDARY':
      return `statistical secrecy: fewer than ${threshold} cases, or withheld so that another withheld value cannot be recomputed by subtraction`;
    case 'PENDING':
      return 'not yet checked for statistical secrecy';
  }
}

interface Cell {
  key: string;
  territory_code: string;
  territory_level: string;
  indicator: string;
  period: string;
  parent_code: string | null;
  cases: number | null;
  status: OpenStatus;
}

/** A published total and the published values it sums: an EPCI and its communes, a multi-year period and its years. */
interface Group {
  total: Cell;
  parts: Cell[];
}

const keyOf = (code: string, indicator: string, period: string) => `${code}|${indicator}|${period}`;
const suppressed = (cell: Cell) => cell.status !== 'DISCLOSED';

function groupsOf(cells: Cell[]): Group[] {
  const byKey = new Map(cells.map((cell) => [cell.key, cell]));
  const groups = new Map<string, Group>();
  const addPart = (totalKey: string, part: Cell) => {
    const total = byKey.get(totalKey);
    if (!total) return;
    const group = groups.get(totalKey) ?? { total, parts: [] };
    group.parts.push(part);
    groups.set(totalKey, group);
  };
  // Geography: a commune's value is part of its EPCI's total for the same indicator and period.
  for (const cell of cells) if (cell.parent_code) addPart(keyOf(cell.parent_code, cell.indicator, cell.period), cell);
  const result = [...groups.values()];
  // Time: every way a multi-year total splits into published periods is a group of its own — its single
  // years, or a nested multi-year period plus the years outside it — since any of them can be subtracted.
  const series = new Map<string, { cell: Cell; from: string; to: string }[]>();
  for (const cell of cells) {
    const range = /^(\d{4})(?:-(\d{4}))?$/.exec(cell.period);
    if (!range) continue;
    const key = `${cell.territory_code}|${cell.indicator}`;
    series.set(key, [...(series.get(key) ?? []), { cell, from: range[1]!, to: range[2] ?? range[1]! }]);
  }
  for (const periods of series.values()) {
    const years = periods.filter((p) => p.from === p.to);
    for (const total of periods.filter((p) => p.from < p.to)) {
      const inside = (p: { from: string; to: string }, outer: { from: string; to: string }) => outer.from <= p.from && p.to <= outer.to;
      result.push({ total: total.cell, parts: years.filter((y) => inside(y, total)).map((y) => y.cell) });
      for (const nested of periods.filter((p) => p !== total && p.from < p.to && inside(p, total))) {
        const rest = years.filter((y) => inside(y, total) && !inside(y, nested)).map((y) => y.cell);
        result.push({ total: total.cell, parts: [nested.cell, ...rest] });
      }
    }
  }
  return result;
}

/**
 * Decides which open values may be disclosed. Primary: fewer than `threshold` cases. Secondary: in every
 * published total, the cases hidden among its parts must add up to at least `threshold` — otherwise the
 * total minus the disclosed parts would reveal a small count — so the smallest disclosed parts are
 * withheld too until that holds. Repeats until nothing changes, since withholding a part can matter to
 * another total it belongs to.
 */
export function decideDisclosure(cells: Cell[], threshold: number): void {
  for (const cell of cells) cell.status = cell.cases !== null && cell.cases >= threshold ? 'DISCLOSED' : 'PRIMARY';
  const groups = groupsOf(cells);
  for (let changed = true; changed; ) {
    changed = false;
    for (const { total, parts } of groups) {
      if (suppressed(total)) continue;
      const hidden = parts.filter(suppressed);
      if (hidden.length === 0) continue;
      let hiddenCases = hidden.reduce((sum, cell) => sum + (cell.cases ?? 0), 0);
      const candidates = parts.filter((cell) => !suppressed(cell)).sort((a, b) => (a.cases ?? 0) - (b.cases ?? 0) || a.key.localeCompare(b.key));
      while (hiddenCases < threshold && candidates.length) {
        const next = candidates.shift()!;
        next.status = 'SECONDARY';
        hiddenCases += next.cases ?? 0;
        changed = true;
      }
    }
  }
}

/**
 * Recomputes the open status of every commune and EPCI value (for some indicators only, when given) and
 * stores it, in one transaction, so the API and every export apply the same decision.
 */
export async function applySecrecy(knex: Knex, threshold: number, indicators?: string[]): Promise<Record<OpenStatus, number>> {
  return knex.transaction(async (trx) => {
    const query = trx('orsal.indicator_value')
      .select('territory_code', 'territory_level', 'indicator', 'period', 'parent_code', 'cases', 'open_status as status')
      .whereIn('territory_level', OPEN_LEVELS as unknown as string[]);
    if (indicators) query.whereIn('indicator', indicators);
    const rows = (await query) as Omit<Cell, 'key'>[];
    const cells: Cell[] = rows.map((row) => ({ ...row, key: keyOf(row.territory_code, row.indicator, row.period) }));
    const before = new Map(cells.map((cell) => [cell.key, cell.status]));
    decideDisclosure(cells, threshold);
    const counts: Record<OpenStatus, number> = { DISCLOSED: 0, PRIMARY: 0, SECONDARY: 0, PENDING: 0 };
    for (const cell of cells) counts[cell.status]++;
    await trx('orsal.secrecy_run').insert({ id: true, threshold, computed_at: trx.fn.now() }).onConflict('id').merge();
    for (const status of ['DISCLOSED', 'PRIMARY', 'SECONDARY'] as const) {
      const changed = cells.filter((cell) => cell.status === status && before.get(cell.key) !== status);
      for (let i = 0; i < changed.length; i += 500) {
        const batch = changed.slice(i, i + 500);
        await trx('orsal.indicator_value')
          .update({ open_status: status })
          .whereIn(['territory_code', 'indicator', 'period'], batch.map((cell) => [cell.territory_code, cell.indicator, cell.period]));
      }
    }
    return counts;
  });
}
