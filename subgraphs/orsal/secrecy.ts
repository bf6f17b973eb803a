/**
 * Statistical secrecy (primary suppression): an open value computed from fewer cases than this is not
 * disclosed, as ORS and the SNDS rules do for counts of 1 to 10. The one place the threshold lives;
 * it is meant to become a configuration option.
 */
export const SECRECY_THRESHOLD = 11;

/** The reason an open value states when it is withheld. */
export function suppressionReason(threshold: number = SECRECY_THRESHOLD): string {
  return `fewer than ${threshold} cases (statistical secrecy)`;
}
