import type { Knex } from 'knex';

/**
 * Statistical secrecy (primary suppression): an open value computed from fewer cases than this is not
 * disclosed, as ORS and the SNDS rules do for counts of 1 to 10. Configurable: TIGA_SECRECY_THRESHOLD.
 */
export const SECRECY_THRESHOLD = 11;

/** Levels published openly; IRIS values are restricted and never open. */
export const OPEN_LEVELS = ['COMMUNE', 'EPCI'] as const;

export type OpenStatus = 'DISCLOSED' | 'PRIMARY' | 'SECONDARY' | 'PENDING';

export function suppressionReason(status: OpenStatus, threshold: number): string | null {
  switch (status) {
    case 'DISCLOSED':
      return null;
    case 'PRIMARY':
      return `fewer than ${threshold} cases (statistical secrecy)`;
    case 'SECONDARY':
      return `withheld so that a suppressed value cannot be recomputed by subtraction from its total (secondary suppression)`;
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
  const ranges = new Map<string, { from: string; to: string; key: string }[]>();
  for (const cell of cells) {
    const range = /^(\d{4})-(\d{4})$/.exec(cell.period);
    if (!range) continue;
    const series = `${cell.territory_code}|${cell.indicator}`;
    ranges.set(series, [...(ranges.get(series) ?? []), { from: range[1]!, to: range[2]!, key: cell.key }]);
  }
  for (const cell of cells) {
    // Geography: a commune's value is part of its EPCI's total for the same indicator and period.
    if (cell.parent_code) addPart(keyOf(cell.parent_code, cell.indicator, cell.period), cell);
    // Time: a single year is part of every published multi-year total covering it, for the same territory.
    if (!/^\d{4}$/.test(cell.period)) continue;
    for (const range of ranges.get(`${cell.territory_code}|${cell.indicator}`) ?? []) {
      if (range.from <= cell.period && cell.period <= range.to) addPart(range.key, cell);
    }
  }
  return [...groups.values()];
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
