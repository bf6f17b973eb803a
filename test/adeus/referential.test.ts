import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.ts';
import { importReferential } from '../../subgraphs/adeus/importer.ts';
import { loadReferential } from '../../seeds/referential.ts';
import { testHub } from '../support/hub.ts';

const snapshot = (knex: import('knex').Knex) =>
  knex('adeus.territory').select('code', 'kind', 'name', 'population', 'parent_code', 'approximate', knex.raw('md5(ST_AsBinary(geom)::text) as shape')).orderBy('code');

describe('the ADEUS referential', () => {
  it('holds the 68 communes, the 2 EPCI and every IRIS the referential has', async () => {
    const hub = await testHub();
    const knex = hub.subgraph("adeus").db.knex;
    const real = loadReferential(loadConfig().sharedDataDir);
    const counts = await knex('adeus.territory').select('kind').count({ n: '*' }).groupBy('kind');
    const byKind = Object.fromEntries((counts as { kind: string; n: number }[]).map((c) => [c.kind, Number(c.n)]));
    expect(byKind).toMatchObject({ COMMUNE: 68, EPCI: 2 });
    expect(byKind.IRIS ?? 0).toBe(real.iris.length);
  });

  it('re-imports the same referential without changing anything', async () => {
    const hub = await testHub();
    const knex = hub.subgraph("adeus").db.knex;
    const before = await snapshot(knex);
    await importReferential(knex, loadReferential(loadConfig().sharedDataDir));
    expect(await snapshot(knex)).toEqual(before);
  });

  it('without ../shared/data, draws approximate commune cells around their centres, and says so', async () => {
    const hub = await testHub();
    const knex = hub.subgraph("adeus").db.knex;
    const fallback = loadReferential('/nonexistent');
    expect(fallback.source).toBe('fallback');
    // Imported inside a transaction that is rolled back: the suite's referential stays as it was.
    await knex
      .transaction(async (trx) => {
        await importReferential(trx, fallback);
        const communes = await trx('adeus.territory')
          .where({ kind: 'COMMUNE' })
          .select('code', 'approximate', 'source', trx.raw('ST_IsValid(geom) as valid'), trx.raw('ST_Area(geom::geography) / 1e6 as km2'), trx.raw('ST_Contains(geom, centre) as centred'));
        expect(communes).toHaveLength(68);
        for (const commune of communes) {
          expect(commune).toMatchObject({ approximate: true, valid: true, centred: true, source: expect.stringContaining('APPROXIMATE') });
          expect(commune.km2).toBeGreaterThan(0.5);
          expect(commune.km2).toBeLessThan(60);
        }
        const epci = await trx('adeus.territory').where({ code: '246700488' }).first('approximate', trx.raw('ST_IsValid(geom) as valid'));
        expect(epci).toEqual({ approximate: true, valid: true });
        throw new Error('rollback');
      })
      .catch((error: Error) => {
        if (error.message !== 'rollback') throw error;
      });
    expect((await knex('adeus.territory').where({ approximate: true }).count({ n: '*' }).first())?.n).toEqual(loadReferential(loadConfig().sharedDataDir).source === 'fallback' ? 70 : 0);
  });
});
