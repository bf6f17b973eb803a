import type { Seeder } from './types.ts';
import { seedAdeus } from './adeus.ts';
import { seedAtmo } from './atmo.ts';
import { seedOrsal } from './orsal.ts';
import { seedCommunity } from './community.ts';
import { seedAprona } from './aprona.ts';

/**
 * Each producer's synthetic seed, by producer name. Seeds import producers, never the reverse; the boot
 * path (hub/boot.ts) joins this map to the registry. A producer without an entry starts empty.
 */
export const SEEDERS: Readonly<Record<string, Seeder>> = {
  adeus: seedAdeus,
  atmo: seedAtmo,
  orsal: seedOrsal,
  community: seedCommunity,
  aprona: seedAprona,
};
