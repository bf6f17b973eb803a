import type { Knex } from 'knex';
import { groupBy } from '../../../lib/batch.ts';
import type { Row } from './shared.ts';

export interface IndicatorRecord {
  id: string;
  name: string;
  definition: string;
  method: string;
  unit: string;
  periodicity: string;
  ownerService: string;
  source: string;
  synthetic: boolean;
}

export interface IndicatorValueRecord {
  period: string;
  value: number;
}

export interface DecisionProcessRecord {
  id: string;
  title: string;
  summary: string;
  source: string;
  synthetic: boolean;
}

export interface DecisionStepRecord {
  step: number;
  title: string;
  explanation: string;
  who: string;
  typicalDuration: string | null;
}

export async function indicators(knex: Knex): Promise<IndicatorRecord[]> {
  const rows: Row[] = await knex.select('*').from('community.transparency_indicator').orderBy('id');
  return rows.map((r) => ({ id: r.id, name: r.name, definition: r.definition, method: r.method, unit: r.unit, periodicity: r.periodicity, ownerService: r.owner_service, source: r.source, synthetic: r.synthetic }));
}

export async function indicatorValues(knex: Knex, ids: readonly string[]): Promise<IndicatorValueRecord[][]> {
  const rows: Row[] = await knex
    .select('indicator_id', knex.raw("to_char(period_start, 'YYYY-MM-DD') as period"), 'value')
    .from('community.transparency_value')
    .whereIn('indicator_id', ids as string[])
    .orderBy(['indicator_id', 'period_start']);
  const byIndicator = groupBy(rows, (r) => r.indicator_id as string);
  return ids.map((id) => (byIndicator.get(id) ?? []).map((r) => ({ period: r.period, value: r.value })));
}

/** Every decision process, or those with the given ids, in id order. */
export async function decisionProcesses(knex: Knex, ids?: readonly string[]): Promise<DecisionProcessRecord[]> {
  const query = knex.select('*').from('community.decision_process').orderBy('id');
  if (ids) query.whereIn('id', ids as string[]);
  return (await query).map((r: Row) => ({ id: r.id, title: r.title, summary: r.summary, source: r.source, synthetic: r.synthetic }));
}

export async function decisionSteps(knex: Knex, ids: readonly string[]): Promise<DecisionStepRecord[][]> {
  const rows: Row[] = await knex.select('*').from('community.decision_step').whereIn('process_id', ids as string[]).orderBy(['process_id', 'step_no']);
  const byProcess = groupBy(rows, (r) => r.process_id as string);
  return ids.map((id) => (byProcess.get(id) ?? []).map((r) => ({ step: r.step_no, title: r.title, explanation: r.explanation, who: r.who, typicalDuration: r.typical_duration })));
}
