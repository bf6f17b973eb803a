import { beforeAll, describe, expect, it } from 'vitest';
import { PRODUCER_NAMES } from '../../subgraphs/registry.ts';
import { countStatements } from '../../lib/db.ts';
import { gatewayQuery, testHub } from '../support/hub.ts';
import type { Hub } from '../../hub/hub.ts';

/**
 * Runs a query through the gateway and counts the SQL statements each subgraph sent, from a cold entity cache:
 * what batching costs when the gateway has to ask (a kept answer costs no SQL at all: test/cache/).
 */
async function statementsFor(hub: Hub, query: string): Promise<Record<string, number>> {
  hub.entityCache?.clear();
  const counters = PRODUCER_NAMES.map((name) => [name, countStatements(hub.subgraph(name).db.knex)] as const);
  const { errors } = await gatewayQuery(query);
  counters.forEach(([, counter]) => counter.stop());
  expect(errors).toBeUndefined();
  return Object.fromEntries(counters.map(([name, counter]) => [name, counter.count]));
}

/** Every subgraph of the registry at 0 statements: a producer the query does not reach costs nothing. */
const untouched = () => Object.fromEntries(PRODUCER_NAMES.map((name) => [name, 0]));

const FIELDS = `code name airQuality(from: "2025-01-01", to: "2025-01-07") { index } airStations { id } health { value } urban { greenSpaceShare }`;

describe('a dashboard of the 33 communes costs the same SQL as one commune', () => {
  let hub: Hub;
  beforeAll(async () => {
    hub = await testHub();
  });

  it('sends one statement per batched field and subgraph fetch, whatever the number of territories', async () => {
    const many = await statementsFor(hub, `{ territories(kind: COMMUNE, in: "246700488") { ${FIELDS} } }`);
    const one = await statementsFor(hub, `{ territory(code: "67482") { ${FIELDS} } }`);
    // ADEUS: the list (or the lookup) + urban indicators. ATMO: indices + stations. ORSAL: health values.
    expect(many).toEqual({ ...untouched(), adeus: 2, atmo: 2, orsal: 1 });
    expect(one).toEqual(many);
  });

  it('answers the geographic join with one statement per producer', async () => {
    const counts = await statementsFor(
      hub,
      '{ area(select: { point: { lon: 7.7521, lat: 48.5734 }, radiusMeters: 2000 }) { territories { code } airStations { id } sensors { id } } }',
    );
    // ADEUS resolves the disc's shape, then lists territories; each other producer runs one spatial query.
    expect(counts).toEqual({ ...untouched(), adeus: 2, atmo: 1, community: 1 });
  });
});
