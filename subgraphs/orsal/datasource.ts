import type { Knex } from 'knex';
import { OPEN_LEVELS, suppressionReason, type OpenStatus } from './secrecy.ts';

export type TerritoryLevel = 'COMMUNE' | 'IRIS' | 'EPCI';

/** A territory as ORSAL receives it from the gateway: its code only. */
export interface TerritoryKey {
  code: string;
}


export interface HealthFilter {
  indicator: string | null;
  period: string | null;
}

export interface ConfidenceInterval {
  low: number;
  high: number;
}

interface ValueBase {
  territoryCode: string;
  indicator: string;
  label: string;
  period: string;
  value: number | null;
  unit: string;
  confidenceInterval: ConfidenceInterval | null;
  cases: number | null;
  population: number;
  source: string;
  synthetic: boolean;
}

export interface HealthValue extends ValueBase {
  suppressed: boolean;
  suppressionReason: string | null;
  /** The step the open value and its interval are rounded to. */
  precision: number | null;
}

export interface HealthRecord extends ValueBase {
  territoryLevel: TerritoryLevel;
  suppressedInOpenData: boolean;
  /** The count was derived from a crude rate and its population (the producer sent none). */
  casesDerived: boolean;
  withheldAtSource: boolean;
}

export interface IndicatorRow {
  code: string;
  label: string;
  description: string;
  unit: string;
  periodicity: string;
  source: string;
  synthetic: boolean;
}

interface ValueRow {
  territory_code: string;
  territory_level: TerritoryLevel;
  indicator: string;
  label: string;
  unit: string;
  period: string;
  cases: number | null;
  population: number;
  rate: number | null;
  ci_low: number | null;
  ci_high: number | null;
  open_step?: number | null;
  open_status: OpenStatus;
  threshold: number;
  source: string;
  synthetic: boolean;
}

const interval = (low: number | null, high: number | null): ConfidenceInterval | null =>
  low === null || high === null ? null : { low, high };

/** Values of many territories for one filter, ordered by territory, indicator, period: one statement. */
function valuesQuery(knex: Knex, codes: readonly string[], filter: HealthFilter, levels: TerritoryLevel[] | null) {
  const query = knex('orsal.indicator_value as v')
    .join('orsal.indicator as i', 'i.code', 'v.indicator')
    .select(
      'v.territory_code',
      'v.territory_level',
      'v.indicator',
      'i.label',
      'i.unit',
      'v.period',
      'v.cases',
      'v.population',
      'v.source',
      'v.synthetic',
      'v.open_status',
      knex.raw('(select threshold from orsal.secrecy_run) as threshold'),
    )
    .whereIn('v.territory_code', codes as string[])
    .orderBy([{ column: 'v.territory_code' }, { column: 'v.indicator' }, { column: 'v.period' }]);
  if (levels) query.whereIn('v.territory_level', levels as string[]);
  if (filter.indicator !== null) query.where('v.indicator', filter.indicator);
  if (filter.period !== null) query.where('v.period', filter.period);
  return query;
}

/**
 * Open values of communes and EPCI: the numbers the stored secrecy decision published (subgraphs/orsal/
 * secrecy.ts: rounded so that no count can be given back, withheld where a count or a withheld value could
 * be deduced). Only those columns are read on the open path, so the producer's own rate and interval never
 * leave the database there (the count is read for the restricted `cases`, which the schema guards).
 */
export async function openValuesByCodes(knex: Knex, codes: readonly string[], filter: HealthFilter): Promise<HealthValue[]> {
  const published = (column: string, as: string) => knex.raw(`case when v.open_status = 'DISCLOSED' then ?? end as ??`, [`v.${column}`, as]);
  const rows: ValueRow[] = await valuesQuery(knex, codes, filter, [...OPEN_LEVELS]).select(
    published('open_rate', 'rate'),
    published('open_ci_low', 'ci_low'),
    published('open_ci_high', 'ci_high'),
    published('open_step', 'open_step'),
  );
  return rows.map((row) => ({
    ...base(row),
    suppressed: row.open_status !== 'DISCLOSED',
    suppressionReason: suppressionReason(row.open_status, row.threshold),
    precision: row.open_step ?? null,
  }));
}

/** Every value of the territories, any level, unsuppressed: for the restricted field only. */
export async function detailedValuesByCodes(knex: Knex, codes: readonly string[], filter: HealthFilter): Promise<HealthRecord[]> {
  const rows: (ValueRow & { cases_derived: boolean; withheld_at_source: boolean })[] = await valuesQuery(knex, codes, filter, null).select('v.rate', 'v.ci_low', 'v.ci_high', 'v.cases_derived', 'v.withheld_at_source');
  return rows.map((row) => ({
    ...base(row),
    territoryLevel: row.territory_level,
    suppressedInOpenData: row.open_status !== 'DISCLOSED',
    casesDerived: row.cases_derived,
    withheldAtSource: row.withheld_at_source,
  }));
}

function base(row: ValueRow): ValueBase {
  return {
    territoryCode: row.territory_code,
    indicator: row.indicator,
    label: row.label,
    period: row.period,
    value: row.rate,
    unit: row.unit,
    confidenceInterval: interval(row.ci_low, row.ci_high),
    cases: row.cases,
    population: row.population,
    source: row.source,
    synthetic: row.synthetic,
  };
}

export async function listIndicators(knex: Knex): Promise<IndicatorRow[]> {
  return knex('orsal.indicator').select('code', 'label', 'description', 'unit', 'periodicity', 'source', 'synthetic').orderBy('code');
}
