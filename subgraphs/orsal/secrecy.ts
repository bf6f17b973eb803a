import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { LinkedTables, type Relation, type Variable } from './audit.ts';
import { membersOf, membershipOf, refreshMembership } from './hierarchy.ts';
import { requiredWidth, type ProtectionRule } from './protection.ts';
import { choosePublication, countModel, type Publication } from './publication.ts';

/** Levels published openly; IRIS values are restricted and never open. */
export const OPEN_LEVELS = ['COMMUNE', 'EPCI'] as const;

export type OpenStatus = 'DISCLOSED' | 'PRIMARY' | 'SECONDARY' | 'PENDING';

/**
 * Why an open value is withheld. Every reason shares one wording on purpose: telling them apart would tell
 * a reader which cells hold few cases.
 */
export function suppressionReason(status: OpenStatus, threshold: number): string | null {
  switch (status) {
    case 'DISCLOSED':
      return null;
    case 'PRIMARY':
    case 'SECONDARY':
      return `statistical secrecy: fewer than ${threshold} cases, or withheld so that no other withheld value, and no count, can be deduced from the open values`;
    case 'PENDING':
      return 'not yet checked for statistical secrecy';
  }
}

/** One open-level value as the decision sees it. */
export interface Cell {
  key: string;
  territory_code: string;
  territory_level: 'COMMUNE' | 'EPCI';
  indicator: string;
  period: string;
  /** null when the producer withheld the value at source. */
  cases: number | null;
  population: number;
  rate: number | null;
  withheld_at_source: boolean;
  /** The unit a file said the value sums into, when it said so (the hub's own hierarchy comes first). */
  parent_code: string | null;
}

export interface IndicatorScale {
  per_unit: number;
  standardised: boolean;
}

export interface Decision {
  status: Exclude<OpenStatus, 'PENDING'>;
  publication: Publication | null;
}

export interface DecisionInput {
  cells: Cell[];
  indicators: Map<string, IndicatorScale>;
  /** commune → EPCI. */
  membership: Map<string, string>;
  /** EPCI → every member commune, published or not. */
  members: Map<string, string[]>;
  rule: ProtectionRule;
  /** Secret key ordering the candidates for secondary suppression. */
  costKey: string;
}

/**
 * The secondary candidate to withhold: the lowest keyed-hash cost. Stable for one key (the decision does not
 * change from one run to the next), unrelated to the values (an attacker cannot tell which part was
 * withheld, as "always the smallest" would tell him), and unpredictable without the key.
 */
export function cheapest(candidates: string[], costKey: string): string {
  const cost = (key: string) => createHmac('sha256', costKey).update(key).digest('hex');
  return [...candidates].sort((a, b) => cost(a).localeCompare(cost(b)))[0]!;
}

export const cellKey = (code: string, indicator: string, period: string) => `${code}|${indicator}|${period}`;
const years = (period: string): [number, number] | null => {
  const match = /^(\d{4})(?:-(\d{4}))?$/.exec(period);
  return match ? [Number(match[1]), Number(match[2] ?? match[1])] : null;
};

/**
 * Every published total of one indicator as an equality: an EPCI is the sum of its communes (the hub's
 * hierarchy; a commune that published nothing is an unknown, unbounded part), a pooled period the sum of
 * its years (a year that published nothing likewise). Unknown parts are shared between the totals they
 * belong to, as they would be for an attacker.
 */
function relationsOf(cells: Cell[], input: DecisionInput): { relations: Relation[]; unknowns: string[] } {
  const present = new Set(cells.map((c) => c.key));
  const unknowns = new Set<string>();
  const part = (key: string) => {
    if (!present.has(key)) unknowns.add(key);
    return key;
  };
  const relations: Relation[] = [];
  // Geography, in every period an EPCI total is published for.
  const indicator = cells[0]?.indicator ?? '';
  const parentOf = (cell: Cell) => input.membership.get(cell.territory_code) ?? cell.parent_code;
  for (const total of cells.filter((c) => c.territory_level === 'EPCI')) {
    const members = new Set([...(input.members.get(total.territory_code) ?? []), ...cells.filter((c) => c.territory_level === 'COMMUNE' && parentOf(c) === total.territory_code).map((c) => c.territory_code)]);
    if (members.size) relations.push({ total: total.key, parts: [...members].sort().map((code) => part(cellKey(code, indicator, total.period))) });
  }
  // Time: a pooled period over its single years, for every territory (EPCI and communes, unknown ones included).
  const codes = new Set([...cells.map((c) => c.territory_code), ...[...unknowns].map((k) => k.split('|')[0]!)]);
  const periods = [...new Set(cells.map((c) => c.period))];
  for (const code of codes) {
    for (const pooled of periods) {
      const range = years(pooled);
      if (!range || range[0] === range[1]) continue;
      const total = cellKey(code, indicator, pooled);
      if (!present.has(total)) continue;
      const parts: string[] = [];
      for (let year = range[0]; year <= range[1]; year++) parts.push(part(cellKey(code, indicator, String(year))));
      relations.push({ total, parts });
    }
  }
  return { relations, unknowns: [...unknowns] };
}

/**
 * Decides what is open, indicator by indicator, as one problem over every linked table (EPCI × communes ×
 * single and pooled periods):
 * 1. primary: fewer cases than the threshold, or withheld at source (then known only to lie in [0, threshold − 1]);
 * 2. every other value is published at the most precise rounding that keeps its count's feasible interval
 *    at least the protection width (publication.ts), or withheld when no rounding can;
 * 3. audit → suppress → re-audit: for each withheld value, an attacker's linear program over every open
 *    value gives its feasible range; while that range is narrower than the protection width, one more value
 *    linked to it is withheld — the one with the lowest keyed-hash cost, so the choice is stable from one run
 *    to the next but cannot be predicted (as "the smallest part" could).
 */
export async function decideDisclosure(input: DecisionInput): Promise<Map<string, Decision>> {
  const decisions = new Map<string, Decision>();
  const byIndicator = new Map<string, Cell[]>();
  for (const cell of input.cells) byIndicator.set(cell.indicator, [...(byIndicator.get(cell.indicator) ?? []), cell]);
  const { rule } = input;

  for (const [indicator, cells] of [...byIndicator].sort(([a], [b]) => a.localeCompare(b))) {
    const scale = input.indicators.get(indicator);
    // Without its scale a rate cannot be rounded safely: refuse to decide rather than publish it.
    if (!scale?.per_unit) throw new Error(`indicator ${indicator} has no per_unit: its rates cannot be published safely`);
    const byKey = new Map(cells.map((c) => [c.key, c]));
    const variables = new Map<string, Variable>();
    const withhold = (cell: Cell, status: 'PRIMARY' | 'SECONDARY') => {
      decisions.set(cell.key, { status, publication: null });
      variables.set(cell.key, { lower: 0, upper: cell.withheld_at_source ? rule.threshold - 1 : cell.population });
    };
    for (const cell of cells) {
      if (cell.withheld_at_source || cell.cases === null || cell.cases < rule.threshold) {
        withhold(cell, 'PRIMARY');
        continue;
      }
      const publication = choosePublication(countModel(cell, scale), cell.cases, requiredWidth(rule, cell.cases));
      if (!publication) {
        withhold(cell, 'SECONDARY');
        continue;
      }
      const { counts, ...published } = publication;
      decisions.set(cell.key, { status: 'DISCLOSED', publication: published });
      variables.set(cell.key, { lower: counts[0], upper: counts[1] });
    }
    const { relations, unknowns } = relationsOf(cells, input);
    for (const key of unknowns) variables.set(key, { lower: 0, upper: null });
    const tables = new LinkedTables(variables, relations);

    const disclosed = (key: string) => decisions.get(key)?.status === 'DISCLOSED';
    const withheld = cells.filter((c) => decisions.get(c.key)!.status !== 'DISCLOSED').map((c) => c.key);
    for (let i = 0; i < withheld.length; i++) {
      const cell = byKey.get(withheld[i]!)!;
      const width = requiredWidth(rule, cell.cases ?? rule.threshold - 1);
      for (;;) {
        const [min, max] = await tables.range(cell.key);
        if (Math.round((max - min) * 1e6) / 1e6 >= width) break;
        // Values sharing a total with it first; then those linked through another withheld value; then any.
        const near = tables.linkedTo(cell.key).filter(disclosed);
        const second = near.length ? near : [...new Set(tables.linkedTo(cell.key).flatMap((k) => tables.linkedTo(k)))].filter(disclosed);
        const candidates = second.length ? second : tables.componentCells(cell.key).filter(disclosed);
        if (!candidates.length) break;
        const next = cheapest(candidates, input.costKey);
        withhold(byKey.get(next)!, 'SECONDARY');
        withheld.push(next);
      }
    }
  }
  return decisions;
}

interface SecrecyRun {
  threshold: number;
  fingerprint: string | null;
  cost_key: string | null;
  geography: string | null;
}

/**
 * Recomputes the open status and the published numbers of every commune and EPCI value (of some indicators
 * only, when given) and stores them with the data in one transaction, so the API and every export apply the
 * same decision. A run whose inputs are those of the stored decision changes nothing.
 */
export async function applySecrecy(knex: Knex, rule: ProtectionRule, indicators?: string[]): Promise<Record<OpenStatus, number>> {
  return knex.transaction(async (trx) => {
    let run = (await trx('orsal.secrecy_run').first()) as SecrecyRun | undefined;
    if (!run?.cost_key) {
      await trx('orsal.secrecy_run').insert({ id: true, threshold: rule.threshold, cost_key: randomBytes(32).toString('hex') }).onConflict('id').merge(['cost_key']);
      run = (await trx('orsal.secrecy_run').first()) as SecrecyRun;
    }
    await refreshMembership(trx, run.geography);
    const query = trx('orsal.indicator_value')
      .select('territory_code', 'territory_level', 'indicator', 'period', 'cases', 'population', 'rate', 'withheld_at_source', 'parent_code', 'open_status')
      .whereIn('territory_level', OPEN_LEVELS as unknown as string[])
      .orderBy(['indicator', 'territory_code', 'period']);
    if (indicators) query.whereIn('indicator', indicators);
    const rows = (await query) as (Omit<Cell, 'key'> & { open_status: OpenStatus })[];
    const cells: Cell[] = rows.map((row) => ({ ...row, key: cellKey(row.territory_code, row.indicator, row.period) }));
    const scales = new Map(
      ((await trx('orsal.indicator').select('code', 'per_unit', 'standardised')) as ({ code: string } & IndicatorScale)[]).map((r) => [r.code, r]),
    );
    const communes = [...new Set(cells.filter((c) => c.territory_level === 'COMMUNE').map((c) => c.territory_code))];
    const epcis = [...new Set(cells.filter((c) => c.territory_level === 'EPCI').map((c) => c.territory_code))];
    const input: DecisionInput = {
      cells,
      indicators: scales,
      membership: await membershipOf(trx, communes),
      members: await membersOf(trx, epcis),
      rule,
      costKey: run.cost_key!,
    };
    const fingerprint = createHash('sha256')
      .update(JSON.stringify([rule, [...scales].sort(), cells.map((c) => [c.key, c.cases, c.population, c.rate, c.withheld_at_source, c.parent_code])]))
      .digest('hex');
    const counts: Record<OpenStatus, number> = { DISCLOSED: 0, PRIMARY: 0, SECONDARY: 0, PENDING: 0 };
    if (!indicators && run.fingerprint === fingerprint && !rows.some((r) => r.open_status === 'PENDING')) {
      for (const row of rows) counts[row.open_status]++;
      return counts;
    }
    const decisions = await decideDisclosure(input);
    const updates = cells.map((cell) => {
      const decision = decisions.get(cell.key)!;
      counts[decision.status]++;
      const p = decision.publication;
      return { territory_code: cell.territory_code, indicator: cell.indicator, period: cell.period, open_status: decision.status, open_rate: p?.value ?? null, open_ci_low: p?.low ?? null, open_ci_high: p?.high ?? null, open_step: p?.step ?? null };
    });
    for (let i = 0; i < updates.length; i += 500) {
      await trx.raw(
        `update orsal.indicator_value v set open_status = x.open_status, open_rate = x.open_rate, open_ci_low = x.open_ci_low, open_ci_high = x.open_ci_high, open_step = x.open_step
         from jsonb_to_recordset(?::jsonb) as x(territory_code text, indicator text, period text, open_status text, open_rate float8, open_ci_low float8, open_ci_high float8, open_step float8)
         where v.territory_code = x.territory_code and v.indicator = x.indicator and v.period = x.period`,
        [JSON.stringify(updates.slice(i, i + 500))],
      );
    }
    // A partial run (an ingest of some indicators) leaves the whole decision's fingerprint stale.
    await trx('orsal.secrecy_run').update({
      threshold: rule.threshold,
      protection_cases: rule.cases,
      protection_percent: rule.percent,
      computed_at: trx.fn.now(),
      fingerprint: indicators ? null : fingerprint,
    });
    return counts;
  });
}

/** The rule the last decision applied (an ingest recomputes the indicators it touched under the same rule). */
export async function storedRule(knex: Knex): Promise<ProtectionRule | null> {
  const run = (await knex('orsal.secrecy_run').first('threshold', 'protection_cases', 'protection_percent')) as
    | { threshold: number; protection_cases: number; protection_percent: number }
    | undefined;
  return run ? { threshold: run.threshold, cases: run.protection_cases, percent: run.protection_percent } : null;
}
