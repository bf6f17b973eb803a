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
} satisfies Record<string, IntSetting>;
