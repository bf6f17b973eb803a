import type { IntSetting } from '../../lib/config.ts';

/** The community producer's settings: the one place their defaults are written. */
export const settings = {
  qcIntervalMinutes: {
    env: 'TIGA_QC_INTERVAL_MINUTES',
    default: 60,
    description: 'minutes between two runs of citizen-sensor quality control in the process serving the community subgraph (0: never)',
  },
  moderationOwnContributions: {
    env: 'TIGA_MODERATION_OWN_CONTRIBUTIONS',
    default: 0,
    min: 0,
    max: 1,
    description: 'whether a moderator may validate their own contribution or sensor: 0 refuses it (FORBIDDEN), 1 allows it',
  },
} satisfies Record<string, IntSetting>;
