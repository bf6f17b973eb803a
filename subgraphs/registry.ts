import type { SubgraphName } from '../lib/config.ts';
import type { SubgraphDefinition } from '../lib/subgraph.ts';
import type { Seeder } from '../seeds/types.ts';
import { adeus } from './adeus/index.ts';
import { atmo } from './atmo/index.ts';
import { orsal } from './orsal/index.ts';
import { community } from './community/index.ts';
import { platform } from './platform/index.ts';
import { seedAdeus } from '../seeds/adeus.ts';
import { seedAtmo } from '../seeds/atmo.ts';
import { seedOrsal } from '../seeds/orsal.ts';
import { seedCommunity } from '../seeds/community.ts';

/** Every subgraph and the seed that fills it, in the order they are migrated and seeded. */
export const SUBGRAPHS: Record<SubgraphName, { definition: SubgraphDefinition<any>; seed: Seeder }> = {
  adeus: { definition: adeus, seed: seedAdeus },
  atmo: { definition: atmo, seed: seedAtmo },
  orsal: { definition: orsal, seed: seedOrsal },
  community: { definition: community, seed: seedCommunity },
  platform: { definition: platform, seed: async () => ({ subgraph: 'platform', rows: {} }) },
};
