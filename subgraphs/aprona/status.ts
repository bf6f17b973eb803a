import type { AnalysisRow, ParameterRow } from './datasource.ts';

export type Qualifier = 'QUANTIFIED' | 'BELOW_QUANTIFICATION_LIMIT' | 'BELOW_DETECTION_LIMIT' | 'TRACES' | 'ABOVE_SATURATION';
export type Assessment = 'WITHIN_LIMITS' | 'EXCEEDS_LIMITS' | 'NO_DATA';

/** SANDRE remark codes (nomenclature 155) the hub keeps, and what each says about `result`. */
export const QUALIFIER_OF_REMARK: Readonly<Record<number, Qualifier>> = {
  1: 'QUANTIFIED',
  10: 'BELOW_QUANTIFICATION_LIMIT',
  2: 'BELOW_DETECTION_LIMIT',
  7: 'TRACES',
  3: 'ABOVE_SATURATION',
};

export const TOTAL_PESTICIDES = '6276';

export interface ParameterStatus {
  parameter: ParameterRow;
  sampledAt: string;
  value: number | null;
  qualifier: Qualifier;
  exceedsLimit: boolean | null;
  computedByHub: boolean;
}

export interface Status {
  assessment: Assessment;
  lastSampled: string | null;
  parameters: ParameterStatus[];
}

/**
 * Whether a result exceeds a limit. A result below the quantification (or detection) limit is within
 * it unless that laboratory limit is itself above the regulatory limit: then nothing can be told (null).
 */
export function exceeds(analysis: Pick<AnalysisRow, 'result' | 'remark_code' | 'quantification_limit'>, limit: number | null): boolean | null {
  if (limit === null) return null;
  const qualifier = QUALIFIER_OF_REMARK[analysis.remark_code];
  if (qualifier === 'QUANTIFIED' || qualifier === 'ABOVE_SATURATION') return analysis.result === null ? null : analysis.result > limit;
  const bound = qualifier === 'TRACES' ? analysis.quantification_limit : analysis.result;
  if (bound === null) return null;
  return bound <= limit ? false : null;
}

/**
 * A point's status from its latest checked analyses: each regulated parameter's latest result against its
 * limit, and the total of pesticides — the published total (SANDRE 6276) when it is as recent as the
 * latest pesticide sample, otherwise the sum of that sample's quantified pesticides, as ADES users compute it.
 */
export function statusOf(parameters: Map<string, ParameterRow>, latest: AnalysisRow[], lastPesticideSample: AnalysisRow[]): Status {
  const rows: ParameterStatus[] = [];
  for (const analysis of latest) {
    const parameter = parameters.get(analysis.parameter_code);
    if (!parameter || parameter.code === TOTAL_PESTICIDES) continue;
    rows.push({
      parameter,
      sampledAt: analysis.sampled_at,
      value: analysis.result,
      qualifier: QUALIFIER_OF_REMARK[analysis.remark_code] ?? 'QUANTIFIED',
      exceedsLimit: exceeds(analysis, parameter.drinking_water_limit),
      computedByHub: false,
    });
  }
  const total = parameters.get(TOTAL_PESTICIDES);
  const published = latest.find((a) => a.parameter_code === TOTAL_PESTICIDES);
  const lastSample = lastPesticideSample[0]?.sampled_at;
  if (total && published && (!lastSample || published.sampled_at >= lastSample)) {
    rows.push({ parameter: total, sampledAt: published.sampled_at, value: published.result, qualifier: QUALIFIER_OF_REMARK[published.remark_code] ?? 'QUANTIFIED', exceedsLimit: exceeds(published, total.drinking_water_limit), computedByHub: false });
  } else if (total && lastSample) {
    const quantified = lastPesticideSample.filter((a) => a.remark_code === 1 && a.result !== null);
    const sum = Math.round(quantified.reduce((s, a) => s + a.result!, 0) * 1e6) / 1e6;
    rows.push({
      parameter: total,
      sampledAt: lastSample,
      value: quantified.length ? sum : null,
      qualifier: quantified.length ? 'QUANTIFIED' : 'BELOW_QUANTIFICATION_LIMIT',
      exceedsLimit: total.drinking_water_limit === null ? null : sum > total.drinking_water_limit,
      computedByHub: true,
    });
  }
  rows.sort((a, b) => Number(a.parameter.code) - Number(b.parameter.code));
  const lastSampled = rows.reduce<string | null>((max, r) => (max === null || r.sampledAt > max ? r.sampledAt : max), null);
  return {
    assessment: rows.length === 0 ? 'NO_DATA' : rows.some((r) => r.exceedsLimit === true) ? 'EXCEEDS_LIMITS' : 'WITHIN_LIMITS',
    lastSampled: lastSampled?.slice(0, 10) ?? null,
    parameters: rows,
  };
}
