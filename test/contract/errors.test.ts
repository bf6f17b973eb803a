import { beforeAll, describe, expect, it } from 'vitest';
import { gatewayQuery, testHub } from '../support/hub.ts';

/** Bad input gets a clear, typed error: the code a client branches on, and a reason a person can act on. */
async function errorOf(query: string) {
  const { errors } = await gatewayQuery(query);
  expect(errors?.length).toBeGreaterThan(0);
  return { code: errors![0]!.extensions?.code, reason: errors![0]!.extensions?.reason, message: errors![0]!.message };
}

describe('a developer who sends bad input is told what is wrong', () => {
  beforeAll(async () => {
    await testHub();
  });

  it('NOT_FOUND for a territory code that does not exist', async () => {
    expect(await errorOf('{ territory(code: "67999") { name } }')).toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('67999') });
    expect(await errorOf('{ territories(kind: COMMUNE, in: "200000000") { code } }')).toMatchObject({ code: 'NOT_FOUND' });
    expect(await errorOf('{ area(select: { territory: "67999" }) { territories { code } } }')).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('BAD_USER_INPUT for a malformed territory code', async () => {
    expect(await errorOf('{ territory(code: "Strasbourg") { name } }')).toMatchObject({ code: 'BAD_USER_INPUT' });
  });

  it('BAD_USER_INPUT for a reversed or impossible date range', async () => {
    expect(await errorOf('{ territory(code: "67482") { airQuality(from: "2025-02-01", to: "2025-01-01") { date } } }')).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: expect.stringContaining('reversed'),
    });
    expect(await errorOf('{ territory(code: "67482") { airQuality(from: "2025-02-30", to: "2025-03-01") { date } } }')).toMatchObject({ code: 'BAD_USER_INPUT' });
    // An expanded year JavaScript reads and PostgreSQL does not: refused as input, not an internal error.
    expect(await errorOf('{ airStations { measurements(from: "-000001-12-30T00:00:01.000Z", to: "2025-01-01T00:00:00Z", first: 1) { edges { node { time } } } } }')).toMatchObject({ code: 'BAD_USER_INPUT', message: expect.stringContaining('1000 and 9999') });
  });

  it('BAD_USER_INPUT with a reason for invalid or oversized geometry', async () => {
    const bowtie = '{ type: "Polygon", coordinates: [[[7.7,48.5],[7.8,48.6],[7.8,48.5],[7.7,48.6],[7.7,48.5]]] }';
    expect(await errorOf(`{ area(select: { polygon: ${bowtie} }) { territories { code } } }`)).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_GEOMETRY' });
    const open = '{ type: "Polygon", coordinates: [[[7.7,48.5],[7.8,48.6],[7.8,48.5]]] }';
    expect(await errorOf(`{ area(select: { polygon: ${open} }) { territories { code } } }`)).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'MALFORMED' });
    expect(await errorOf('{ area(select: { bbox: [0, 40, 10, 50] }) { territories { code } } }')).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'TOO_LARGE' });
    expect(await errorOf('{ area(select: { point: { lon: 7.75, lat: 48.57 }, radiusMeters: 500000 }) { territories { code } } }')).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'OUT_OF_RANGE' });
    expect(await errorOf('{ area(select: { point: { lon: 7.75, lat: 95 }, radiusMeters: 100 }) { territories { code } } }')).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'OUT_OF_RANGE' });
    expect(await errorOf('{ area(select: { point: { lon: 7.75, lat: 48.57 }, radiusMeters: 100, territory: "67482" }) { territories { code } } }')).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'AMBIGUOUS' });
  });

  it('refuses queries beyond the documented limits (depth, aliases) before any work', async () => {
    const aliases = Array.from({ length: 30 }, (_, i) => `a${i}: territory(code: "67482") { name }`).join(' ');
    const { errors } = await gatewayQuery(`{ ${aliases} }`);
    expect(errors?.[0]?.message).toMatch(/alias/i);
  });
});
