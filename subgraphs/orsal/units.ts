/**
 * The unit of a rate as French and English health tables write it: "%", "‰", "pour 10 000", "p. 100 000
 * habitants", "per 100,000 inhabitants, age-standardised", "taux standardisé pour 100 000"… A table says its
 * unit in a column, in its mapping (`units: {rate: …}`) or in its header's wording; the hub converts the
 * rate to its indicator's own scale (`orsal.indicator.per_unit`) or refuses the row: a rate stored under
 * another unit than the one it is in would be wrong by a power of ten for every reader, and would make the
 * secrecy decision round it wrongly.
 */
export interface RateUnit {
  /** People the rate is given per: 100 for %, 1000 for ‰, 100,000 for "pour 100 000". */
  perUnit: number;
  /** true when the text says age-standardised, false when it says crude, null when it says neither. */
  standardised: boolean | null;
}

const SPACES = /[\s\u00A0\u202F\u2009\u2007]+/g;

/** Spelled-out scales, longest first: "pour cent mille" must not read as "pour cent". */
const WORDS: [RegExp, number][] = [
  [/\b(pour|per) cent mille\b/, 100_000],
  [/\b(pour|per) dix mille\b/, 10_000],
  [/\b(pour|per) mille\b|per thousand\b/, 1000],
  [/\b(pour|per) ?cent\b|\bpercent\b|\bpourcentage\b/, 100],
];

function standardisationOf(text: string): boolean | null {
  if (/standardi[sz]|\bajust|age[- ]adjusted|\bcomparative\b/.test(text)) return true;
  if (/\bbrut\b|\bbruts\b|\bcrude\b/.test(text)) return false;
  return null;
}

/** Digits with thousands separators ("100 000", "100,000", "100.000", "100'000") as an integer. */
function integerOf(digits: string): number | null {
  if (/^\d{1,3}([ ,.'’]\d{3})+$/.test(digits)) return Number(digits.replace(/[ ,.'’]/g, ''));
  if (/^\d+$/.test(digits)) return Number(digits);
  return null;
}

/** The rate unit a text states, or null when it states none the hub can read. */
export function parseRateUnit(text: string): RateUnit | null {
  const t = text.normalize('NFC').toLowerCase().replace(SPACES, ' ').trim();
  if (!t) return null;
  const standardised = standardisationOf(t);
  let perUnit: number | null = null;
  if (t.includes('‱')) perUnit = 10_000;
  else if (t.includes('‰')) perUnit = 1000;
  else if (t.includes('%')) perUnit = 100;
  if (perUnit === null) {
    // "pour 10 000", "per 100,000", "p. 1 000", "/ 100 000", or a bare "100 000 habitants".
    const match = /(?:\bpour|\bper|\bp\.|\/|^)\s*(\d{1,3}(?:[ ,.'’]\d{3})+|\d+)(?=\s|$|[a-z),;])/.exec(t);
    if (match) perUnit = integerOf(match[1]!);
  }
  if (perUnit === null) for (const [pattern, scale] of WORDS) if (pattern.test(t)) { perUnit = scale; break; }
  // Rates are per a power of ten; anything else is a misreading (a year, a code), not a unit.
  if (perUnit === null || perUnit < 10 || perUnit > 1_000_000 || !Number.isInteger(Math.log10(perUnit))) return null;
  return { perUnit, standardised };
}

/** A scale as people read it: "%", "‰", "per 10,000". */
export const describePerUnit = (perUnit: number) =>
  perUnit === 100 ? '%' : perUnit === 1000 ? '‰ (per 1,000)' : `per ${perUnit.toLocaleString('en-GB')}`;

/**
 * `value` given per `from` people, per `to` people. Scales are powers of ten: the product is rounded to 15
 * significant digits so that 14.21 per 10,000 becomes 0.1421 %, not 0.14210000000000003.
 */
export function convertRate(value: number, from: number, to: number): number {
  if (from === to) return value;
  return Number(((value * to) / from).toPrecision(15));
}
