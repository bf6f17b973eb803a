/**
 * `npm run bench:e2`: a year of LCSQA E2 national hourly files (FR_E2_YYYY-MM-DD.csv), generated at national
 * size (BENCH_E2_SITES sites, default 485, about 48,000 rows and 12 MB a day, as the real files), ingested
 * one after the other through the CLI's code path, as a producer catching up on a year would. The hub holds
 * BENCH_E2_HELD of the sites (default 12, synthetic stations FR99xxx); the others' rows are skipped and
 * counted, as in a real national file. Prints rows/s over the year (reading and skipping included), MB/s,
 * the rows stored, and the process's peak RSS. BENCH_E2_DAYS (default 365) shortens the year.
 * Database: DATABASE_URL, else a fresh embedded folder. Every value is synthetic and deleted afterwards.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { loadConfig } from '../lib/config.ts';
import { Lifecycle } from '../lib/runtime/lifecycle.ts';
import { bootProducers } from '../hub/boot.ts';
import { ingestFile } from '../scripts/ingest.ts';

const DAYS = Number(process.env.BENCH_E2_DAYS ?? 365);
const SITES = Number(process.env.BENCH_E2_SITES ?? 485);
const HELD = Number(process.env.BENCH_E2_HELD ?? 12);
const SOURCE = 'TIGA synthetic benchmark (not real LCSQA data)';
const HEADER = ['Date de début', 'Date de fin', 'Organisme', 'code zas', 'Zas', 'code site', 'nom site', "type d'implantation", 'Polluant', "type d'influence", 'discriminant', 'Réglementaire', "type d'évaluation", 'procédure de mesure', 'type de valeur', 'valeur', 'valeur brute', 'unité de mesure', 'taux de saisie', 'couverture temporelle', 'couverture de données', 'code qualité', 'validité', 'synthetic'];
// Sites measure a few pollutants each, as the real network does (about 4 series per site: ~49,000 rows a day).
const SERIES = [['NO2', 'NO', 'NOX as NO2', 'O3'], ['PM10', 'PM2.5', 'NO2', 'NO', 'NOX as NO2'], ['NO2', 'NO', 'NOX as NO2', 'PM10', 'PM2.5'], ['O3', 'SO2', 'PM10']];
const sites = Array.from({ length: SITES }, (_, i) => `FR99${String(i).padStart(3, '0')}`);
const held = sites.slice(0, HELD);

const quote = (s: string) => `"${s}"`;
const stamp = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace(/-/g, '/').slice(0, 19);

/** One day's file, the 2026 way (quoted fields, bare empty ones, BOM, CRLF). */
async function writeDay(file: string, day: number): Promise<{ rows: number; bytes: number }> {
  const out = fs.createWriteStream(file);
  out.write(`\uFEFF${HEADER.map(quote).join(';')}\r\n`);
  let rows = 0;
  for (const [s, site] of sites.entries()) {
    let chunk = '';
    for (const pollutant of SERIES[s % SERIES.length]!) {
      for (let hour = 0; hour < 24; hour++) {
        const start = day + hour * 3_600_000;
        const value = ((s * 7 + hour * 3 + rows) % 800) / 10;
        const valid = (hour + s) % 37 !== 0;
        chunk += [
          quote(stamp(start)), quote(stamp(start + 3_600_000)), quote('ATMO SYNTHETIQUE'), quote('FR99ZAG01'), quote('ZAG SYNTHETIQUE'), quote(site), quote(`Site ${site}`), quote('Urbaine'), quote(pollutant), quote('Fond'), quote('B'), quote('Oui'), quote('mesures fixes'), quote('Auto synthétique'), quote('moyenne horaire brute'),
          valid ? quote(String(Math.round(value))) : '', valid ? quote(value.toFixed(1)) : '', quote('µg-m3'), '', '', '', quote(valid ? 'A' : 'N'), quote(valid ? '1' : '-1'), quote('true'),
        ].join(';') + '\r\n';
        rows++;
      }
    }
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return { rows, bytes: fs.statSync(file).size };
}

let peak = process.memoryUsage().rss;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tiga-bench-e2-'));
const lifecycle = new Lifecycle((line) => console.error(line));
try {
  const config = loadConfig({ ...process.env, TIGA_DATA_DIR: process.env.TIGA_DATA_DIR || path.join(dir, 'data') });
  const booted = await bootProducers(config, lifecycle, { role: 'bench:e2', producers: ['atmo'], seed: false, log: () => {} });
  const db = booted.dbs.of('atmo');
  await db.knex('atmo.station')
    .insert(held.map((code) => ({ code, name: `Bench ${code}`, commune_code: '67482', geom: db.knex.raw('ST_SetSRID(ST_MakePoint(7.75, 48.58), 4326)'), source: SOURCE, synthetic: true })))
    .onConflict('code')
    .ignore();
  const rssBefore = process.memoryUsage().rss;
  peak = rssBefore;
  const totals = { rows: 0, bytes: 0, read: 0, inserted: 0, skipped: 0, rejected: 0, seconds: 0, refused: 0 };
  const first = Date.UTC(2025, 0, 1);
  for (let d = 0; d < DAYS; d++) {
    const date = new Date(first + d * 86_400_000).toISOString().slice(0, 10);
    const file = path.join(dir, `FR_E2_${date}.csv`);
    const { rows, bytes } = await writeDay(file, first + d * 86_400_000);
    const began = performance.now();
    const report = await ingestFile(db, 'atmo', file);
    totals.seconds += (performance.now() - began) / 1000;
    fs.rmSync(file);
    totals.rows += rows;
    totals.bytes += bytes;
    totals.read += report.read;
    totals.inserted += report.inserted + report.updated + report.unchanged;
    totals.skipped += report.skipped.reduce((n, s) => n + s.count, 0);
    totals.rejected += report.rejected.length;
    if (!report.committed) totals.refused++;
    if (d === 0) console.error(`day 1: ${rows} rows, ${(bytes / 1048576).toFixed(1)} MB, format ${report.format}, stored ${report.inserted}, skipped ${report.skipped.map((s) => `${s.count} (${s.reason})`).join('; ')}`);
    if ((d + 1) % 30 === 0) console.error(`${d + 1} days, ${(totals.read / totals.seconds).toFixed(0)} rows/s so far`);
  }
  console.log(`engine ${db.engine}; ${DAYS} daily E2 files, ${SITES} sites (${HELD} held), ${totals.rows} rows, ${(totals.bytes / 1048576).toFixed(0)} MB`);
  console.log(`read ${totals.read}, stored ${totals.inserted}, skipped ${totals.skipped}, rejected ${totals.rejected}, files refused ${totals.refused}`);
  console.log(`${(totals.read / totals.seconds).toFixed(0)} rows/s, ${(totals.bytes / 1048576 / totals.seconds).toFixed(1)} MB/s, ${totals.seconds.toFixed(0)} s ingesting (${(totals.seconds / DAYS).toFixed(2)} s a file); RSS before ${(rssBefore / 1048576).toFixed(0)} MB, peak ${(peak / 1048576).toFixed(0)} MB`);
  await db.knex('atmo.measurement').whereIn('station_code', held).delete();
  await db.knex('atmo.station').whereIn('code', held).delete();
  if (totals.refused) process.exitCode = 1;
} finally {
  clearInterval(sampler);
  await lifecycle.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}
