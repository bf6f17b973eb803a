import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { LinkedTables, type Relation, type Variable } from './audit.ts';
import { membersOf, membershipOf, refreshMembership } from './hierarchy.ts';
import { halfWidth, requiredWidth, type ProtectionRule } from './protection.ts';
import { configuredCostKey } from './settings.ts';
import { countModel, PublicationRule, type Publication } from './publication.ts';

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
  /** The counts an attacker who knows the rule finds behind an open value (kept as the value's history). */
  counts: [number, number] | null;
  /** A publication repeated as it was released before, for the same inputs. */
  repeated?: boolean;
}

/** One earlier release of an open value: the inputs it was computed from and what it published. */
export interface Release {
  /** The count and inputs it was computed for: a release only constrains the count it was made for. */
  cases: number;
  inputs: string;
  publication: Publication;
  counts: [number, number];
}

/** What fixes a release, besides the count: the same inputs give the same publication. */
export const releaseInputs = (cell: Pick<Cell, 'population' | 'rate'>, rule: ProtectionRule) =>
  JSON.stringify([cell.population, cell.rate, rule.threshold, rule.cases, rule.percent]);

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
  /** Earlier releases of each value (key → releases): an attacker who saved them combines them with today's. */
  history?: Map<string, Release[]>;
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
 * single and pooled periods) and over time:
 * 1. primary: fewer cases than the threshold, or withheld at source (then known only to lie in [0, threshold − 1]);
 * 2. every other value is published by the public rule of publication.ts, within what its earlier releases
 *    already said of the same count (a value released before for the very same inputs is repeated as it
 *    was), or withheld when the rule cannot publish it;
 * 3. audit → suppress → re-audit: for every value, open or withheld, an attacker's linear program over every
 *    open value and every earlier release gives the range of its count. A withheld count's range must reach
 *    d(c) below and above it (τ-ARGUS's sliding protection interval, clipped at 0) and span 2·d(c); an open
 *    count's range must span 2·d(c) (the attacker knows the rule, so the count may lie anywhere in the range
 *    of a value that is shown, ends included). While one fails, one more open value linked to it is withheld:
 *    the one with the lowest keyed-hash cost, so the choice is stable from one run to the next but cannot be
 *    predicted (as "the smallest part" could). Withholding only widens ranges, so one pass settles it.
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
    // What earlier releases say of each count, whatever is decided now: the attacker kept them.
    const known = new Map<string, [number, number]>();
    for (const cell of cells) {
      const releases = (input.history?.get(cell.key) ?? []).filter((r) => r.cases === cell.cases);
      if (releases.length) known.set(cell.key, [Math.max(...releases.map((r) => r.counts[0])), Math.min(...releases.map((r) => r.counts[1]))]);
    }
    const withhold = (cell: Cell, status: 'PRIMARY' | 'SECONDARY') => {
      decisions.set(cell.key, { status, publication: null, counts: null });
      const [lower, upper] = known.get(cell.key) ?? [0, cell.population];
      variables.set(cell.key, cell.withheld_at_source ? { lower: 0, upper: rule.threshold - 1 } : { lower, upper });
    };
    for (const cell of cells) {
      if (cell.withheld_at_source || cell.cases === null || cell.cases < rule.threshold) {
        withhold(cell, 'PRIMARY');
        continue;
      }
      const inputs = releaseInputs(cell, rule);
      const same = (input.history?.get(cell.key) ?? []).find((r) => r.cases === cell.cases && r.inputs === inputs);
      const chosen = same
        ? { ...same.publication, counts: same.counts }
        : new PublicationRule(countModel(cell, scale), rule, known.get(cell.key)).publicationOf(cell.cases);
      if (!chosen) {
        withhold(cell, 'SECONDARY');
        continue;
      }
      const { counts, ...published } = chosen;
      decisions.set(cell.key, { status: 'DISCLOSED', publication: published, counts, ...(same ? { repeated: true } : {}) });
      const [lower, upper] = known.get(cell.key) ?? counts;
      variables.set(cell.key, { lower: Math.max(lower, counts[0]), upper: Math.min(upper, counts[1]) });
    }
    const { relations, unknowns } = relationsOf(cells, input);
    for (const key of unknowns) variables.set(key, { lower: 0, upper: null });
    const tables = new LinkedTables(variables, relations);

    const disclosed = (key: string) => decisions.get(key)?.status === 'DISCLOSED';
    // What earlier releases alone let an attacker deduce: nothing decided now can widen it.
    const floors = new Map<string, number>();
    const before = new Map<string, Variable>(
      cells.map((c) => [c.key, c.withheld_at_source ? { lower: 0, upper: rule.threshold - 1 } : { lower: known.get(c.key)?.[0] ?? 0, upper: known.get(c.key)?.[1] ?? c.population }]),
    );
    for (const key of unknowns) before.set(key, { lower: 0, upper: null });
    const released = known.size ? new LinkedTables(before, relations) : null;
    const floorOf = async (key: string) => {
      if (!released) return Infinity;
      if (!floors.has(key)) {
        const [min, max] = await released.range(key);
        floors.set(key, max - min);
      }
      return floors.get(key)!;
    };
    /**
     * Whether a range protects a cell's count, as the decision stands. A range can never be wider than the
     * cell's own bounds, nor than what earlier releases alone allow; when those are already narrower than the
     * protection interval (released under a laxer setting), what is asked is that nothing narrows them further.
     */
    const protects = async (cell: Cell, [min, max]: [number, number]) => {
      const own = variables.get(cell.key)!;
      const upper = own.upper ?? Infinity;
      const c = cell.withheld_at_source || cell.cases === null ? null : cell.cases;
      const width = Math.min(requiredWidth(rule, c ?? rule.threshold - 1), upper - own.lower, await floorOf(cell.key));
      if (Math.round((max - min) * 1e6) / 1e6 < width) return false;
      // A value once released keeps the protection of an open value: its earlier range is the attacker's already.
      if (disclosed(cell.key) || c === null || known.has(cell.key)) return true;
      const d = halfWidth(rule, c);
      return min <= Math.max(own.lower, c - d) + 1e-6 && max >= Math.min(upper, c + d) - 1e-6;
    };
    // Withheld values first (they were the whole audit before), then open ones; values withheld on the way
    // are checked again as withheld.
    const queue = [...cells.filter((c) => !disclosed(c.key)), ...cells.filter((c) => disclosed(c.key))].map((c) => c.key);
    for (let i = 0; i < queue.length; i++) {
      const cell = byKey.get(queue[i]!)!;
      for (;;) {
        if (await protects(cell, await tables.range(cell.key))) break;
        // Values sharing a total with it first (the value itself too, when open); then those linked through
        // another withheld value; then any.
        const near = [...tables.linkedTo(cell.key), cell.key].filter(disclosed);
        const second = near.length ? near : [...new Set(tables.linkedTo(cell.key).flatMap((k) => tables.linkedTo(k)))].filter(disclosed);
        const candidates = second.length ? second : tables.componentCells(cell.key).filter(disclosed);
        if (!candidates.length) break;
        const next = cheapest(candidates, input.costKey);
        withhold(byKey.get(next)!, 'SECONDARY');
        queue.push(next);
        if (next === cell.key) break;
      }
    }
  }
  return decisions;
}

interface ReleaseRow {
  territory_code: string;
  indicator: string;
  period: string;
  cases: number;
  inputs: string;
  value: number;
  ci_low: number;
  ci_high: number;
  step: number;
  counts_low: number;
  counts_high: number;
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
    const configured = configuredCostKey();
    if (!run?.cost_key || (configured && run.cost_key !== configured)) {
      await trx('orsal.secrecy_run').insert({ id: true, threshold: rule.threshold, cost_key: configured ?? randomBytes(32).toString('hex') }).onConflict('id').merge(['cost_key']);
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
    const history = new Map<string, Release[]>();
    const released = (await trx('orsal.release')
      .modify((q) => void (indicators && q.whereIn('indicator', indicators)))
      .select('territory_code', 'indicator', 'period', 'cases', 'inputs', 'value', 'ci_low', 'ci_high', 'step', 'counts_low', 'counts_high')) as ReleaseRow[];
    for (const r of released) {
      const key = cellKey(r.territory_code, r.indicator, r.period);
      history.set(key, [
        ...(history.get(key) ?? []),
        { cases: r.cases, inputs: r.inputs, publication: { value: r.value, low: r.ci_low, high: r.ci_high, step: r.step }, counts: [r.counts_low, r.counts_high] },
      ]);
    }
    const input: DecisionInput = {
      history,
      cells,
      indicators: scales,
      membership: await membershipOf(trx, communes),
      members: await membersOf(trx, epcis),
      rule,
      costKey: run.cost_key!,
    };
    const fingerprint = createHash('sha256')
      .update(JSON.stringify([rule, run.cost_key, [...scales].sort(), cells.map((c) => [c.key, c.cases, c.population, c.rate, c.withheld_at_source, c.parent_code])]))
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
    const releases = cells.flatMap((cell) => {
      const { publication: p, counts } = decisions.get(cell.key)!;
      if (!p || !counts || cell.cases === null) return [];
      return [{ territory_code: cell.territory_code, indicator: cell.indicator, period: cell.period, cases: cell.cases, inputs: releaseInputs(cell, rule), value: p.value, ci_low: p.low, ci_high: p.high, step: p.step, counts_low: counts[0], counts_high: counts[1] }];
    });
    for (let i = 0; i < releases.length; i += 500) await trx('orsal.release').insert(releases.slice(i, i + 500)).onConflict(['territory_code', 'indicator', 'period', 'cases', 'inputs']).ignore();
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
