import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../lib/db.ts';
import { ingestFile } from '../../scripts/ingest.ts';
import { testHub } from '../support/hub.ts';
import { spawnEntry } from '../support/process.ts';

/**
 * Two files of one producer arriving at once — a scheduled pull and a push, or two pushes — touch the same
 * rows in different orders. Written side by side, two transactions would lock those rows in opposite
 * orders and PostgreSQL would kill one of them as a deadlock; ingests of one producer are therefore
 * serialised: both land, one wholly after the other, never interleaved.
 */
const SAMPLES = path.resolve(import.meta.dirname, '../../subgraphs/aprona/samples');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tiga-concurrent-'));
const POINT = 'BSSTIGAS01';
const FIXTURE_POINTS = ['BSSTIGAS01', 'BSSTIGAS02', 'BSSTIGAS03'];

/** Nitrate analyses for POINT every hour from `from` (hour index), `count` of them, in the given order, all equal to `value`. */
function analyses(name: string, from: number, count: number, value: number, descending: boolean): string {
  const [header, line] = fs.readFileSync(path.join(SAMPLES, 'hubeau-analyses.csv'), 'utf8').split('\n') as [string, string];
  const hours = Array.from({ length: count }, (_, i) => from + i);
  if (descending) hours.reverse();
  const rows = hours.map((h) => line.replace('2024-03-12T09:30:00Z', new Date(Date.UTC(2021, 0, 1) + h * 3_600_000).toISOString().replace('.000Z', 'Z')).replace(';38.2;', `;${value};`));
  const file = path.join(tmp, name);
  fs.writeFileSync(file, `${header}\n${rows.join('\n')}\n`);
  return file;
}

describe('two ingests of one producer at once', () => {
  let db: Database;
  beforeAll(async () => {
    db = (await testHub()).subgraph('aprona').db;
    await ingestFile(db, 'aprona', path.join(SAMPLES, 'hubeau-stations.json'));
  });
  const values = async () =>
    (await db.knex('aprona.analysis').where({ point_id: POINT, parameter_code: '1340' }).whereBetween('sampled_at', ['2021-01-01', '2021-12-31']).select('sampled_at', 'result as value')) as { sampled_at: Date; value: number }[];
  afterAll(async () => {
    // The fixture's points go too: other stories (the golden answers) read the seed's points only.
    await db.knex('aprona.analysis').whereIn('point_id', FIXTURE_POINTS).delete();
    await db.knex('aprona.point').whereIn('id', FIXTURE_POINTS).delete();
  });

  it('both land, overlapping rows taken from one file or the other as a whole, never a mix', async () => {
    const a = analyses('a.csv', 0, 1500, 1.5, false);
    const b = analyses('b.csv', 500, 1500, 2.5, true);
    const [ra, rb] = await Promise.all([ingestFile(db, 'aprona', a), ingestFile(db, 'aprona', b)]);
    expect(ra).toMatchObject({ committed: true, rejected: [] });
    expect(rb).toMatchObject({ committed: true, rejected: [] });
    const rows = await values();
    expect(rows).toHaveLength(2000);
    const overlap = rows.filter((r) => {
      const hour = (new Date(r.sampled_at).getTime() - Date.UTC(2021, 0, 1)) / 3_600_000;
      return hour >= 500 && hour < 1500;
    });
    expect(overlap).toHaveLength(1000);
    expect(new Set(overlap.map((r) => r.value)).size).toBe(1);
  });

  it.runIf(process.env.DATABASE_URL)('from another process too: a CLI ingest waits for the one in progress, then lands after it (PostgreSQL)', async () => {
    await db.knex('aprona.analysis').where({ point_id: POINT }).whereBetween('sampled_at', ['2021-01-01', '2021-12-31']).delete();
    const b = analyses('d.csv', 0, 2000, 4.5, true);
    // An ingest in progress in this process: it holds the producer's lock and has written rows the CLI's file overlaps.
    const trx = await db.knex.transaction();
    let cli: ReturnType<typeof spawnEntry> | undefined;
    try {
      await trx.raw('select pg_advisory_xact_lock(hashtext(?))', ['tiga-ingest:aprona']);
      await trx.raw(`insert into aprona.analysis (point_id, parameter_code, sampled_at, result, unit, remark_code, source, synthetic)
        select ?, '1340', timestamptz '2021-01-01T00:00:00Z' + make_interval(hours => h), 3.5, 'mg(NO3)/L', 1, 'TIGA synthetic test', true from generate_series(0, 999) h`, [POINT]);
      cli = spawnEntry('scripts/ingest.ts', ['aprona', b], { DATABASE_URL: process.env.DATABASE_URL });
      // The CLI's ingest waits on the producer's lock — not on the rows, where two ingests would deadlock.
      const deadline = Date.now() + 90_000;
      for (;;) {
        const { rows } = await db.knex.raw("select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and wait_event = 'advisory' and datname = current_database()");
        if (rows[0].n > 0) break;
        if (Date.now() > deadline || cli.child.exitCode !== null) throw new Error(`the CLI never waited for the lock:\n${cli.output}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      await trx.commit();
    } catch (error) {
      await trx.rollback();
      cli?.kill('SIGKILL');
      throw error;
    }
    expect(await cli.exited, cli.output).toBe(0);
    const rows = await values();
    expect(rows).toHaveLength(2000);
    // Applied after the ingest it waited for: its values everywhere.
    expect(new Set(rows.map((r) => r.value))).toEqual(new Set([4.5]));
  });
});
