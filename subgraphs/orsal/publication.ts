import { byar, wilson } from './intervals.ts';
import { requiredWidth, type ProtectionRule } from './protection.ts';

/**
 * How an open value is published so that its count cannot be given back. The hub publishes the rate
 * rounded to a step, and a 95 % interval computed from that published rate (Wilson's interval for a
 * proportion, Byar's Poisson interval scaled to the rate otherwise) and rounded outward to the same step:
 * the interval is a function of the published rate, so it tells nothing more about the count — an
 * interval computed from the count itself would narrow it again. The producer's own digits are never
 * published. The step is one of 1, 2, 5 × 10ⁿ, chosen by `PublicationRule` so that the counts consistent
 * with the published numbers *and with the rule itself* span at least the protection width; a value that
 * would need a step above half its size is withheld instead. The attacker modelled here knows everything
 * but the count: the population, the rate per case (for an age-standardised rate too), the rule and the
 * formulas.
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
 * The counts whose rounding at `publication.step` gives the same three numbers: what the numbers alone say,
 * before an attacker also uses the rule that chose the step. Each number is a non-decreasing function of the
 * count, so the set is an interval.
 */
export function roundingClass(model: CountModel, publication: Publication): [number, number] {
  const { step } = publication;
  // The rounded rate alone bounds the counts to its bucket: search there only.
  let from = Math.max(0, Math.floor((publication.value - step) / model.ratePerCase) - 1);
  let to = Math.min(Math.max(0, Math.floor(model.population)), Math.ceil((publication.value + step) / model.ratePerCase) + 1);
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

export interface Chosen extends Publication {
  /** Every count an attacker who knows this rule, the population and the rate per case finds behind it. */
  counts: [number, number];
}

/**
 * The publication rule, written so that an attacker re-running it learns nothing more than the hub assumed.
 *
 * A count is published at the most precise step of the ladder whose bucket is accepted; a bucket is the set
 * of counts that round to the same three numbers at that step. Choosing the step from the count itself
 * ("the finest step at which *this* count's bucket is wide enough") would leak: an attacker who knows the
 * rule drops from a bucket every count for which a finer step would have been chosen, and what is left can
 * be a handful of counts (the review found 67309's asthma 2019 pinned to 307..313 this way). So a bucket's
 * verdict depends only on public facts and on the rule itself: the counts it still holds once every count
 * published (or withheld) at a finer step is removed — exactly the set the attacker keeps — must span the
 * protection width of the largest of them. The counts returned with a publication are that set's range.
 *
 * What the attacker is assumed to know beyond the published numbers: the population, the rate per case,
 * this rule and its settings, that an open value has at least `threshold` cases, and every earlier release
 * of the value (`known`: the counts those allow, when the count has not changed since).
 */
export class PublicationRule {
  private readonly ladder: number[];
  private readonly domain: [number, number];
  private readonly verdicts = new Map<string, [number, number] | null>();

  constructor(
    readonly model: CountModel,
    readonly rule: ProtectionRule,
    known?: [number, number],
  ) {
    // A step whose bucket cannot hold 2k counts is never chosen: leaving it out of the ladder is part of the rule.
    this.ladder = stepLadder(model).filter((step) => step / model.ratePerCase + 2 >= 2 * rule.cases);
    this.domain = [Math.max(rule.threshold, known?.[0] ?? 0), Math.min(Math.floor(model.population), known?.[1] ?? Infinity)];
  }

  /** What the hub publishes for `count`, with the counts an attacker finds behind it; null: withheld. */
  publicationOf(count: number): Chosen | null {
    if (count < this.domain[0] || count > this.domain[1]) return null;
    for (let i = 0; i < this.ladder.length; i++) {
      const publication = publish(this.model, count, this.ladder[i]!);
      // Past a step of half the value, the rounding would change what the value says (280 shown as 500):
      // the value is withheld instead.
      if (this.stops(i, publication)) return null;
      const counts = this.verdict(i, publication);
      if (counts) return { ...publication, counts };
    }
    return null;
  }

  private stops = (i: number, publication: Publication) => this.ladder[i]! > publication.value / 2;

  /** The counts a bucket publishes, or null when it is not accepted. */
  private verdict(i: number, publication: Publication): [number, number] | null {
    const key = `${i}|${publication.value}|${publication.low}|${publication.high}`;
    if (this.verdicts.has(key)) return this.verdicts.get(key)!;
    const [from, to] = roundingClass(this.model, publication);
    const lo = Math.max(from, this.domain[0]);
    const hi = Math.min(to, this.domain[1]);
    let result: [number, number] | null = null;
    if (hi >= lo && hi - lo >= requiredWidth(this.rule, lo)) {
      // Remove what a finer step already decided, bucket by bucket.
      const decided: [number, number][] = [];
      for (let j = 0; j < i; j++) {
        for (let c = lo; c <= hi; ) {
          const finer = publish(this.model, c, this.ladder[j]!);
          const [a, b] = roundingClass(this.model, finer);
          if (this.stops(j, finer) || this.verdict(j, finer)) decided.push([Math.max(a, lo), Math.min(b, hi)]);
          c = Math.max(b, c) + 1;
        }
      }
      const first = firstOutside(lo, hi, decided, 1);
      const last = firstOutside(hi, lo, decided, -1);
      if (first !== null && last !== null && last - first >= requiredWidth(this.rule, last)) result = [first, last];
    }
    this.verdicts.set(key, result);
    return result;
  }
}

/** The first count from `start` towards `end` (by `direction`) that no interval covers. */
function firstOutside(start: number, end: number, covered: [number, number][], direction: 1 | -1): number | null {
  let c = start;
  for (;;) {
    if (direction === 1 ? c > end : c < end) return null;
    const cover = covered.find(([a, b]) => a <= c && c <= b);
    if (!cover) return c;
    c = direction === 1 ? cover[1] + 1 : cover[0] - 1;
  }
}
