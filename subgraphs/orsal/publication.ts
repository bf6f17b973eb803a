import { byar, wilson } from './intervals.ts';

/**
 * How an open value is published so that its count cannot be given back. The hub publishes the rate
 * rounded to a step, and a 95 % interval computed from that published rate (Wilson's interval for a
 * proportion, Byar's Poisson interval scaled to the rate otherwise) and rounded outward to the same step:
 * the interval is a function of the published rate, so it tells nothing more about the count — an
 * interval computed from the count itself would narrow it again. The producer's own digits are never
 * published. The step is the smallest of 1, 2, 5 × 10ⁿ (from the indicator's own precision upwards) at
 * which the counts consistent with the published numbers span at least the protection width; a value that
 * would need a step above half its size is withheld instead. The attacker modelled here knows
 * everything but the count: the population, the rate per case (for an age-standardised rate too), the
 * rounding rule and the formulas.
 */
export interface CountModel {
  population: number;
  /** Cases per `perUnit` people: 100 for %, 100,000 for rates per 100,000. */
  perUnit: number;
  /** A crude proportion (unit %): Wilson's interval; otherwise a rate with a Poisson interval. */
  proportion: boolean;
  /** What one case adds to the rate, in the indicator's unit. */
  ratePerCase: number;
}

export interface Publication {
  value: number;
  low: number;
  high: number;
  step: number;
}

/** A count model from what ORSAL stores: the rate per case of a standardised rate is its rate over its count. */
export function countModel(row: { population: number; cases: number | null; rate: number | null }, indicator: { per_unit: number; standardised: boolean }): CountModel {
  const crude = indicator.per_unit / row.population;
  const ratePerCase = indicator.standardised && row.cases && row.rate !== null ? row.rate / row.cases : crude;
  return { population: row.population, perUnit: indicator.per_unit, proportion: indicator.per_unit === 100 && !indicator.standardised, ratePerCase };
}

const decimals = (step: number) => Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
const at = (k: number, step: number) => Number((k * step).toFixed(decimals(step)));
// The small epsilons keep a value computed as 7.15 − 1e-15 from rounding the other way than 7.15.
const roundTo = (x: number, step: number) => at(Math.round(x / step + 1e-9), step);
const floorTo = (x: number, step: number) => at(Math.floor(x / step + 1e-9), step);
const ceilTo = (x: number, step: number) => at(Math.ceil(x / step - 1e-9), step);

function rawInterval(model: CountModel, count: number): [number, number] {
  if (model.proportion) {
    const [low, high] = wilson(count, model.population);
    return [low * model.perUnit, high * model.perUnit];
  }
  const [low, high] = byar(count);
  return [low * model.ratePerCase, high * model.ratePerCase];
}

/** What the hub publishes for `count` at `step`. */
export function publish(model: CountModel, count: number, step: number): Publication {
  const value = roundTo(count * model.ratePerCase, step);
  const [low, high] = rawInterval(model, value / model.ratePerCase);
  return { value, low: floorTo(low, step), high: ceilTo(high, step), step };
}

/** Lowest c in [from, to] with f(c) ≥ target, for f non-decreasing (to + 1 when none). */
function lowestAtLeast(f: (c: number) => number, target: number, from: number, to: number): number {
  let lo = from;
  let hi = to + 1;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (f(mid) >= target) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * The counts an attacker finds consistent with a publication: those the hub would have published the same
 * three numbers for. Each number is a non-decreasing function of the count, so the set is an interval.
 */
export function countsBehind(model: CountModel, publication: Publication): [number, number] {
  const { step } = publication;
  // The rounded rate alone bounds the counts to its bucket: search there only.
  let from = Math.max(0, Math.floor((publication.value - step) / model.ratePerCase) - 1);
  let to = Math.min(Math.max(0, Math.floor(model.population)), Math.ceil((publication.value + step) / model.ratePerCase) + 1);
  // Checked against every published number, though the interval follows from the rate: the attacker's
  // set must hold whatever the hub publishes.
  const parts: [(c: number) => number, number][] = [
    [(c) => publish(model, c, step).value, publication.value],
    [(c) => publish(model, c, step).low, publication.low],
    [(c) => publish(model, c, step).high, publication.high],
  ];
  const [lower, upper] = [from, to];
  for (const [f, target] of parts) {
    from = Math.max(from, lowestAtLeast(f, target, lower, upper));
    // Highest c with f(c) ≤ target: one below the lowest c with f(c) > target (values are multiples of the step).
    to = Math.min(to, lowestAtLeast(f, target + step / 2, lower, upper) - 1);
  }
  return [from, to];
}

/** The steps tried, in the indicator's unit, from its own precision upwards. */
export function stepLadder(model: CountModel): number[] {
  const steps: number[] = [];
  for (let exponent = model.perUnit === 100 ? -2 : -1; 10 ** exponent <= model.perUnit; exponent++) {
    for (const mantissa of [1, 2, 5]) steps.push(Number((mantissa * 10 ** exponent).toPrecision(1)));
  }
  return steps;
}

/**
 * The most precise publication whose counts span at least `width`, with those counts; null when even the
 * coarsest step gives the count back (the value is then withheld).
 */
export function choosePublication(model: CountModel, count: number, width: number): (Publication & { counts: [number, number] }) | null {
  // A bucket of the rounded rate holds about step / ratePerCase counts, and the interval can only narrow
  // that: no step below width × ratePerCase / 2 can do, so the search starts just under it.
  const ladder = stepLadder(model);
  const start = Math.max(0, ladder.findIndex((step) => step > (width * model.ratePerCase) / 2) - 1);
  for (const step of ladder.slice(start)) {
    const publication = publish(model, count, step);
    // Past a step of half the value, the rounding would change what the value says (280 shown as 500):
    // the value is withheld instead.
    if (step > publication.value / 2) return null;
    const counts = countsBehind(model, publication);
    if (counts[1] - counts[0] >= width) return { ...publication, counts };
  }
  return null;
}
