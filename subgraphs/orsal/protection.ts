/**
 * The protection interval: what an attacker combining every open value must not be able to narrow a
 * count to. A withheld count c must keep a feasible interval at least 2·d(c) wide, and so must the count
 * behind an open (rounded) value, with d(c) = max(k cases, p % of c) — a "sliding" protection interval as
 * τ-ARGUS sets it for frequency tables. Defaults: k = 5 (half the primary threshold of 11, so a primary
 * cell's range always spans the threshold's width), p = 1 % (large counts keep rates precise to about
 * 1 %). Settings: TIGA_SECRECY_PROTECTION_CASES, TIGA_SECRECY_PROTECTION_PERCENT.
 */
export interface ProtectionRule {
  /** Primary suppression: fewer cases than this are withheld. */
  threshold: number;
  /** k: the smallest half-width, in cases. */
  cases: number;
  /** p: the half-width as a share of the count, in %. */
  percent: number;
}

/** d(c): the half-width of the protection interval of a count. */
export const halfWidth = (rule: ProtectionRule, count: number): number => Math.max(rule.cases, Math.ceil((rule.percent / 100) * count));

/** The least width (max − min) a feasible interval of a count must keep. */
export const requiredWidth = (rule: ProtectionRule, count: number): number => 2 * halfWidth(rule, count);
