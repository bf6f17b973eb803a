import type { IntSetting } from '../../lib/config.ts';

/** ORSAL's settings: the one place their defaults are written. */
export const settings = {
  secrecyThreshold: {
    env: 'TIGA_SECRECY_THRESHOLD',
    default: 11,
    min: 1,
    description:
      'minimum cases behind an open health value: fewer is withheld (primary suppression), as ORS and the SNDS rules do for counts of 1 to 10',
  },
  protectionCases: {
    env: 'TIGA_SECRECY_PROTECTION_CASES',
    default: 5,
    description: 'k of the protection interval: no withheld count, and no count behind an open value, may be narrowed by an attacker to less than ±max(k cases, p % of it)',
  },
  protectionPercent: {
    env: 'TIGA_SECRECY_PROTECTION_PERCENT',
    default: 1,
    max: 100,
    description: 'p of the protection interval, in % of the count',
  },
} satisfies Record<string, IntSetting>;

/** The protection rule of a set of ORSAL settings. */
export const ruleOf = (values: { secrecyThreshold: number; protectionCases: number; protectionPercent: number }) => ({
  threshold: values.secrecyThreshold,
  cases: values.protectionCases,
  percent: values.protectionPercent,
});

/** The rule under the defaults (seeds, and an ingest before any decision was stored). */
export const DEFAULT_RULE = ruleOf({ secrecyThreshold: settings.secrecyThreshold.default, protectionCases: settings.protectionCases.default, protectionPercent: settings.protectionPercent.default });

/**
 * `TIGA_SECRECY_COST_KEY`: the secret key that orders the candidates for secondary suppression, when the
 * operator sets one — to keep the same decisions across a database rebuild, or (the test suite) so that golden
 * answers do not depend on a random key. Unset, a random key is created once and stored with the decisions.
 * Whoever knows the key can predict which values the hub withholds second: keep it secret.
 */
export const configuredCostKey = (env: NodeJS.ProcessEnv = process.env): string | undefined => env.TIGA_SECRECY_COST_KEY || undefined;
