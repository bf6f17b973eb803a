import type { SeedReport, Seeder } from './types.ts';
import { centreOf, type Referential } from './referential.ts';
import { gaussian, metresBetween, rng, round } from './random.ts';
import { applySecrecy } from '../subgraphs/orsal/secrecy.ts';
import { byar, wilson } from '../subgraphs/orsal/intervals.ts';
import { DEFAULT_RULE } from '../subgraphs/orsal/settings.ts';

export const ORSAL_SYNTHETIC_SOURCE = 'TIGA synthetic seed v1 (not real ORSAL data)';
const IRIS_SOURCE = `${ORSAL_SYNTHETIC_SOURCE}; IRIS population is a synthetic split of the commune population`;
const STRASBOURG_CENTRE: [number, number] = [7.7521, 48.5734];
const LAST_YEAR = 2024;
/** 2019–2024 at scale 1. */
const YEARS_AT_SCALE_1 = 6;

interface IndicatorModel {
  code: string;
  label: string;
  description: string;
  unit: string;
  source: string;
  /** Cases per `perUnit` people: 100 for %, 100,000 for rates per 100,000. */
  perUnit: number;
  digits: number;
  /** Expected rate, in `unit`, in 2019 at urbanity 0.25. */
  baseRate: number;
  /** Relative rate change from rural (urbanity 0) to Strasbourg's centre (1). */
  urbanGradient: number;
  yearlyTrend: number;
  /** Multipliers for unusual years (COVID-19 lockdowns, the 2022 bronchiolitis epidemic). */
  yearEffects: Record<number, number>;
  standardised: boolean;
  /** Share of inhabitants in the denominator when it is not the whole population: [min, max]. */
  denominatorShare?: [number, number];
}

const PMSI = 'PMSI MCO (ATIH), hospital stays of residents, processed by ORS Grand Est';

/** The catalogue, modelled on indicators ORS publish; `source` is the system real values would come from. */
export const ORSAL_INDICATORS: IndicatorModel[] = [
  {
    code: 'ASTHMA_PREVALENCE',
    label: 'Treated asthma prevalence',
    description: 'People with at least 3 reimbursed deliveries of anti-asthmatic drugs (ATC R03) in the year, per 100 inhabitants (crude).',
    unit: '% of population',
    source: 'SNDS (DCIR), Assurance Maladie, processed by ORS Grand Est',
    perUnit: 100, digits: 2, baseRate: 6.4, urbanGradient: 0.25, yearlyTrend: 0.01, yearEffects: {}, standardised: false,
  },
  {
    code: 'COPD_HOSPITALISATION',
    label: 'COPD hospitalisation rate',
    description: 'Hospital stays with a principal diagnosis of chronic obstructive pulmonary disease (ICD-10 J43-J44), per 100,000 inhabitants, directly age-standardised on the population of France.',
    unit: 'per 100,000 inhabitants, age-standardised',
    source: PMSI,
    perUnit: 100_000, digits: 1, baseRate: 175, urbanGradient: 0.15, yearlyTrend: -0.01, yearEffects: { 2020: 0.8, 2021: 0.85 }, standardised: true,
  },
  {
    code: 'CARDIOVASCULAR_HOSPITALISATION',
    label: 'Cardiovascular hospitalisation rate',
    description: 'Hospital stays with a principal diagnosis of cardiovascular disease (ICD-10 I00-I99), per 100,000 inhabitants, directly age-standardised on the population of France.',
    unit: 'per 100,000 inhabitants, age-standardised',
    source: PMSI,
    perUnit: 100_000, digits: 1, baseRate: 1750, urbanGradient: -0.05, yearlyTrend: 0.005, yearEffects: { 2020: 0.9 }, standardised: true,
  },
  {
    code: 'LUNG_CANCER_INCIDENCE',
    label: 'Lung cancer incidence',
    description: 'New cases of lung cancer (ICD-10 C33-C34) diagnosed in the year, per 100,000 inhabitants, directly age-standardised on the population of France.',
    unit: 'per 100,000 inhabitants, age-standardised',
    source: 'Registre des cancers du Bas-Rhin (FRANCIM network), processed by ORS Grand Est',
    perUnit: 100_000, digits: 1, baseRate: 58, urbanGradient: 0.1, yearlyTrend: 0.005, yearEffects: {}, standardised: true,
  },
  {
    code: 'CHILD_RESPIRATORY_EMERGENCY',
    label: 'Respiratory emergency visits, children under 15',
    description: 'Emergency department visits of children under 15 with a respiratory diagnosis (ICD-10 J00-J99), per 1,000 children under 15 (crude).',
    unit: 'per 1,000 children under 15',
    source: 'OSCOUR network, emergency department summaries (Santé publique France), processed by ORS Grand Est',
    perUnit: 1000, digits: 1, baseRate: 62, urbanGradient: 0.4, yearlyTrend: 0.01, yearEffects: { 2020: 0.6, 2021: 0.85, 2022: 1.2 },
    standardised: false, denominatorShare: [0.15, 0.2],
  },
];

/** Where cases are drawn: an IRIS, or a commune the referential does not split. */
interface Unit {
  code: string;
  level: 'COMMUNE' | 'IRIS';
  commune: string;
  population: number;
  centre: [number, number];
  /** Crude cases per standardised case, from the commune's (synthetic) age structure. */
  ageFactor: number;
}

/** Cases, standardised cases and denominator of one territory, indicator and year. */
interface Tally {
  cases: number;
  weighted: number;
  population: number;
}

const IRIS_WEIGHT: Record<string, [number, number]> = { H: [0.7, 1.3], A: [0.03, 0.1], D: [0.01, 0.05], Z: [1, 1] };

/** Splits a population across weights into integers that add up to it exactly (largest remainder). */
function splitPopulation(total: number, weights: number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const shares = weights.map((w) => (total * w) / sum);
  const parts = shares.map(Math.floor);
  const order = shares.map((s, i) => [s - Math.floor(s), i] as const).sort((a, b) => b[0] - a[0]);
  const missing = total - parts.reduce((a, b) => a + b, 0);
  for (let k = 0; k < missing; k++) parts[order[k % order.length]![1]]! += 1;
  return parts;
}

function unitsOf(referential: Referential): Unit[] {
  return referential.communes.flatMap((commune): Unit[] => {
    const ageFactor = 0.85 + 0.3 * rng(`orsal:age:${commune.code}`)();
    const iris = referential.iris.filter((i) => i.commune === commune.code);
    if (iris.length === 0) {
      return [{ code: commune.code, level: 'COMMUNE' as const, commune: commune.code, population: commune.population, centre: commune.centre, ageFactor }];
    }
    const weights = iris.map((i) => {
      const [min, max] = IRIS_WEIGHT[i.irisType] ?? [0.5, 1];
      return min + (max - min) * rng(`orsal:iris-weight:${i.code}`)();
    });
    const populations = splitPopulation(commune.population, weights);
    return iris.map((i, k) => ({
      code: i.code, level: 'IRIS' as const, commune: commune.code, population: Math.max(1, populations[k]!), centre: centreOf(i.geometry), ageFactor,
    }));
  });
}

/** A Poisson draw: multiplication method for small means, normal approximation above. */
function poisson(mean: number, random: () => number): number {
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * gaussian(random)));
  const limit = Math.exp(-mean);
  let k = 0;
  for (let p = random(); p > limit; p *= random()) k++;
  return k;
}

function drawTally(unit: Unit, model: IndicatorModel, year: number): Tally {
  const effect = Math.exp(0.07 * gaussian(rng(`orsal:effect:${model.code}:${unit.code}`)));
  const urbanity = Math.exp(-metresBetween(unit.centre, STRASBOURG_CENTRE) / 6000);
  const rate = model.baseRate * (1 + model.urbanGradient * (urbanity - 0.25)) * (1 + model.yearlyTrend) ** (year - 2019) * (model.yearEffects[year] ?? 1) * effect;
  const [min, max] = model.denominatorShare ?? [1, 1];
  const population = Math.max(1, Math.round(unit.population * (min + (max - min) * rng(`orsal:denominator:${model.code}:${unit.code}`)())));
  const ageFactor = model.standardised ? unit.ageFactor : 1;
  const cases = poisson((rate * ageFactor * population) / model.perUnit, rng(`orsal:cases:${model.code}:${unit.code}:${year}`));
  return { cases, weighted: cases / ageFactor, population };
}

function valueRow(code: string, level: string, parent: string | null, model: IndicatorModel, year: number, tally: Tally, source: string) {
  const rate = (tally.weighted / tally.population) * model.perUnit;
  // A standardised rate's interval is the count's interval scaled by rate per case.
  const perCase = tally.cases > 0 ? rate / tally.cases : model.perUnit / tally.population;
  const [low, high] = (model.perUnit === 100 ? wilson(tally.cases, tally.population).map((p) => 100 * p) : byar(tally.cases).map((c) => c * perCase)) as [number, number];
  return {
    territory_code: code, territory_level: level, parent_code: parent, indicator: model.code, period: String(year),
    cases: tally.cases, population: tally.population,
    rate: round(rate, model.digits), ci_low: round(low, model.digits), ci_high: round(high, model.digits),
    source, synthetic: true,
  };
}

function add(tallies: Map<string, Tally>, key: string, tally: Tally): void {
  const sum = tallies.get(key) ?? { cases: 0, weighted: 0, population: 0 };
  tallies.set(key, { cases: sum.cases + tally.cases, weighted: sum.weighted + tally.weighted, population: sum.population + tally.population });
}

/**
 * Cases are drawn where the population is finest (IRIS, or the commune when it has none), then summed up:
 * a commune is the sum of its IRIS, an EPCI of its communes, so the levels never disagree.
 */
function valueRows(referential: Referential, years: number[]) {
  const epciOf = new Map(referential.communes.map((c) => [c.code, c.epci]));
  const rows: ReturnType<typeof valueRow>[] = [];
  const communes = new Map<string, Tally>();
  const epcis = new Map<string, Tally>();
  for (const unit of unitsOf(referential)) {
    for (const model of ORSAL_INDICATORS) {
      for (const year of years) {
        const tally = drawTally(unit, model, year);
        if (unit.level === 'IRIS') rows.push(valueRow(unit.code, 'IRIS', unit.commune, model, year, tally, IRIS_SOURCE));
        add(communes, `${unit.commune}|${model.code}|${year}`, tally);
        add(epcis, `${epciOf.get(unit.commune)}|${model.code}|${year}`, tally);
      }
    }
  }
  const models = new Map(ORSAL_INDICATORS.map((m) => [m.code, m]));
  for (const [level, tallies] of [['COMMUNE', communes], ['EPCI', epcis]] as const) {
    for (const [key, tally] of tallies) {
      const [code, indicator, year] = key.split('|') as [string, string, string];
      rows.push(valueRow(code, level, level === 'COMMUNE' ? epciOf.get(code) ?? null : null, models.get(indicator)!, Number(year), tally, ORSAL_SYNTHETIC_SOURCE));
    }
  }
  return rows;
}

/** The indicator catalogue and yearly values for every commune, IRIS and EPCI of the referential. */
export const seedOrsal: Seeder = async (knex, referential, options): Promise<SeedReport> => {
  const existing = await knex('orsal.indicator_value').count({ count: '*' }).first();
  if (Number(existing?.count) > 0) return { subgraph: 'orsal', rows: {} };
  const count = YEARS_AT_SCALE_1 * Math.max(1, Math.round(options.scale));
  const years = Array.from({ length: count }, (_, i) => LAST_YEAR - count + 1 + i);
  const indicators = ORSAL_INDICATORS.map((m) => ({
    code: m.code, label: m.label, description: m.description, unit: m.unit, per_unit: m.perUnit, standardised: m.standardised, periodicity: 'yearly',
    source: `${m.source}; values: ${ORSAL_SYNTHETIC_SOURCE}`, synthetic: true,
  }));
  const values = valueRows(referential, years);
  await knex.transaction(async (trx) => {
    await trx('orsal.indicator').insert(indicators).onConflict('code').ignore();
    await trx.batchInsert('orsal.indicator_value', values, 1000);
  });
  // At the default threshold; the process that serves ORSAL recomputes with its configured one on start.
  await applySecrecy(knex, DEFAULT_RULE);
  return { subgraph: 'orsal', rows: { indicator: indicators.length, indicator_value: values.length } };
};
