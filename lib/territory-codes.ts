import { badUserInput } from './errors.ts';

/**
 * The grammar of the referential's codes, in one place: an INSEE commune code (5 characters, Corsica's
 * 2A/2B included), an IRIS code (the commune code and 4 digits) and an EPCI SIREN (9 digits).
 */
export const TERRITORY_CODE_PATTERNS = {
  COMMUNE: /^\d[0-9AB]\d{3}$/,
  IRIS: /^\d[0-9AB]\d{7}$/,
  EPCI: /^\d{9}$/,
} as const;

export type TerritoryLevel = keyof typeof TERRITORY_CODE_PATTERNS;

/** True when `code` has the form of a commune, IRIS or EPCI code. */
export function isTerritoryCode(code: string): boolean {
  return Object.values(TERRITORY_CODE_PATTERNS).some((pattern) => pattern.test(code));
}

/** The code, or BAD_USER_INPUT naming the argument when it has the form of no territory code. */
export function checkTerritoryCode(code: string, argument: string): string {
  if (!isTerritoryCode(code)) {
    throw badUserInput(`${argument} "${code}" is not an INSEE commune code (5 characters), an IRIS code (9) or an EPCI SIREN (9 digits)`, { argument });
  }
  return code;
}
