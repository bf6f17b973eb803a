import type { ProducerDefinition } from '../lib/producer.ts';
import { UserFacingError } from '../lib/runtime/lifecycle.ts';
import { adeus } from './adeus/index.ts';
import { atmo } from './atmo/index.ts';
import { orsal } from './orsal/index.ts';
import { community } from './community/index.ts';
import { aprona } from './aprona/index.ts';
import { platform } from './platform/index.ts';

/**
 * The only list of the hub's subgraphs: the producers, then `platform`, the hub's own (audit log). Config,
 * the CLI, the hub, the bench, composition and the compose file are derived from it or checked against it.
 * The order is the order of migrations and seeds (ADEUS first: every seed reads its referential).
 */
export const PRODUCERS: readonly ProducerDefinition[] = [adeus, atmo, orsal, community, aprona, platform];

export const PRODUCER_NAMES = PRODUCERS.map((producer) => producer.name);

/** A producer by name; an unknown name is refused with the list of known ones. */
export function producerNamed(name: string): ProducerDefinition {
  const found = PRODUCERS.find((producer) => producer.name === name);
  if (!found) throw new UserFacingError(`unknown producer "${name}" (known: ${PRODUCER_NAMES.join(', ')})`);
  return found;
}
