import { beforeAll, describe, expect, it } from 'vitest';
import { countStatements } from '../../lib/db.ts';
import { PRODUCER_NAMES } from '../../subgraphs/registry.ts';
import type { Hub } from '../../hub/hub.ts';
import { testHub } from '../support/hub.ts';

/**
 * The explorer pages keep one read of the open data for every visitor (gateway/cache/sharedReads.ts), and no
 * kept read survives a write to the data it came from: a producer who corrects a value, or a committee member
 * who checks the dashboard after a change, sees it on the next page load, as `/graphql` answers it — not a few
 * minutes later. Between writes, visitors share the kept read.
 */
let hub: Hub;
let origin: string;
const knexOf = (producer: string) => hub.subgraph(producer).db.knex;

beforeAll(async () => {
  hub = await testHub();
  origin = new URL(hub.gatewayUrl).origin;
  expect(hub.entityCache?.enabled).toBe(true);
});

async function get(path: string): Promise<{ etag: string | null; text: string }> {
  const response = await fetch(`${origin}${path}`);
  expect(response.status, path).toBe(200);
  return { etag: response.headers.get('etag'), text: await response.text() };
}

/** The page's answer, and how many SQL statements each producer ran for it (audit writes aside). */
async function getCounting(path: string) {
  const counters = PRODUCER_NAMES.map((name) => countStatements(knexOf(name)));
  const answer = await get(path);
  counters.forEach((counter) => counter.stop());
  const asked = Object.fromEntries(PRODUCER_NAMES.map((name, i) => [name, counters[i]!.sql.filter((sql) => !sql.startsWith('insert into "audit".')).length]));
  return { answer, asked };
}

describe('the map and the dashboard show a write on their next read', () => {
  it("the map's indice ATMO of a day: a corrected indice shows at once; unchanged, the same bytes are served again", async () => {
    const path = '/pages/map/values.json?layer=atmo&date=2025-01-02';
    const rows = () => knexOf('atmo')('atmo.daily_index').where({ code_zone: '67482', date_ech: '2025-01-02' });
    const published = (await rows().select('kind', 'code_qual')) as { kind: string; code_qual: number }[];
    expect(published.length).toBeGreaterThan(0);
    const first = await get(path);
    const before = JSON.parse(first.text).values['67482'];
    expect(before.index).not.toBe(7);
    // Nothing written: the kept read (same bytes, same ETag) serves the next visitor; no producer is asked.
    const again = await getCounting(path);
    expect(again.answer).toEqual(first);
    expect(Object.values(again.asked).reduce((sum, n) => sum + n, 0)).toBe(0);
    try {
      // ATMO corrects the day to "Événement" (7: an index its check constraint accepts whatever the sub-indices).
      await rows().update({ code_qual: 7 });
      const after = await get(path);
      expect(JSON.parse(after.text).values['67482'].index).toBe(7);
      expect(after.etag).not.toBe(first.etag);
    } finally {
      for (const row of published) await rows().where({ kind: row.kind }).update({ code_qual: row.code_qual });
    }
    // And the correction withdrawn shows at once too.
    expect(await get(path)).toEqual(first);
  });

  it("a write to another producer is heard too: the page is read again, ATMO's part from the entity cache, the same bytes", async () => {
    const path = '/pages/map/values.json?layer=atmo&date=2025-01-03';
    const first = await get(path);
    await knexOf('adeus')('adeus.territory').where({ code: '67001' }).update({ name: 'Achenheim (renamed)' });
    try {
      const after = await getCounting(path);
      // ADEUS, written to, is asked again for the communes; ATMO, unchanged, is answered by the entity cache.
      expect(after.asked.adeus).toBeGreaterThan(0);
      expect(after.asked.atmo).toBe(0);
      expect(after.answer).toEqual(first);
    } finally {
      await knexOf('adeus')('adeus.territory').where({ code: '67001' }).update({ name: 'Achenheim' });
    }
  });

  it("/transparence: a renamed indicator shows on the next load, not after the page's 30 s", async () => {
    const [indicator] = await knexOf('community')('community.transparency_indicator').select('id', 'name').orderBy('id').limit(1);
    expect(indicator).toBeDefined();
    // The page escapes its text (an apostrophe is an entity): the mark added to the name is plain.
    expect((await get('/transparence')).text).not.toContain('(renamed today)');
    try {
      await knexOf('community')('community.transparency_indicator').where({ id: indicator.id }).update({ name: `${indicator.name} (renamed today)` });
      expect((await get('/transparence')).text).toContain(' (renamed today)');
    } finally {
      await knexOf('community')('community.transparency_indicator').where({ id: indicator.id }).update({ name: indicator.name });
    }
    expect((await get('/transparence')).text).not.toContain('(renamed today)');
  });
});
