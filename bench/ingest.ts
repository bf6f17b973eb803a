/**
 * `npm run bench:ingest`: generates a large ATMO station-measurement CSV (BENCH_INGEST_MB, default 200 MB)
 * in a temp folder, ingests it in one transaction through the CLI's code path, and prints rows/s and the
 * peak RSS sampled every 100 ms, which must stay flat whatever the file size (the file is streamed).
 * Database: DATABASE_URL, else an embedded PGlite in TIGA_DATA_DIR (default: a temp folder), through the hub's
 * boot path (so a folder in use by a running hub is refused). The benchmark's stations and rows are deleted afterwards.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { loadConfig } from '../lib/config.ts';
import { Lifecycle } from '../lib/runtime/lifecycle.ts';
import { bootProducers } from '../hub/boot.ts';
import { ingestFile } from '../scripts/ingest.ts';

const TARGET_BYTES = Number(process.env.BENCH_INGEST_MB ?? 200) * 1024 * 1024;
const SOURCE = 'TIGA synthetic benchmark (not real ATMO data)';
const STATIONS = Array.from({ length: 20 }, (_, i) => `FR99${String(i).padStart(3, '0')}`);
const POLLUTANTS = ['NO2', 'PM10', 'PM25', 'O3', 'SO2'];
const HOUR = 3_600_000;

let peak = process.memoryUsage().rss;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tiga-bench-ingest-'));
const file = path.join(dir, 'bench-measurements.csv');
const out = fs.createWriteStream(file);
out.write('station_code,pollutant,measured_at,value,unit,validity,source\n');
let bytes = 0;
let rows = 0;
const start = Date.parse('2000-01-01T00:00:00Z');
for (let hour = 0; bytes < TARGET_BYTES; hour++) {
  const time = new Date(start + hour * HOUR).toISOString();
  let chunk = '';
  for (const station of STATIONS)
    for (const pollutant of POLLUTANTS) chunk += `${station},${pollutant},${time},${((hour * 7 + rows) % 900) / 10},µg/m³,1,${SOURCE}\n`, rows++;
  bytes += Buffer.byteLength(chunk);
  if (!out.write(chunk)) await once(out, 'drain');
}
out.end();
await once(out, 'finish');
const size = fs.statSync(file).size;

const lifecycle = new Lifecycle((line) => console.error(line));
try {
  const config = loadConfig({ ...process.env, TIGA_DATA_DIR: process.env.TIGA_DATA_DIR || dir });
  const booted = await bootProducers(config, lifecycle, { role: 'bench:ingest', producers: ['atmo'], seed: false, log: () => {} });
  const db = booted.dbs.of('atmo');
  await db.knex('atmo.station')
    .insert(STATIONS.map((code) => ({ code, name: `Bench ${code}`, commune_code: '67482', geom: db.knex.raw('ST_SetSRID(ST_MakePoint(7.75, 48.58), 4326)'), source: SOURCE, synthetic: true })))
    .onConflict('code')
    .ignore();
  peak = process.memoryUsage().rss;
  const rssBefore = peak;
  const began = performance.now();
  const report = await ingestFile(db.knex, 'atmo', file, { format: 'measurements-csv' });
  const seconds = (performance.now() - began) / 1000;
  console.log(`engine ${db.engine}; file ${(size / 1024 / 1024).toFixed(0)} MB, ${rows} rows; committed ${report.committed}, inserted ${report.inserted}, rejected ${report.rejected.length}`);
  console.log(`${(report.read / seconds).toFixed(0)} rows/s (${(size / 1024 / 1024 / seconds).toFixed(1)} MB/s, ${seconds.toFixed(1)} s); RSS before ${(rssBefore / 1048576).toFixed(0)} MB, peak ${(peak / 1048576).toFixed(0)} MB`);
  await db.knex('atmo.measurement').where('station_code', 'in', STATIONS).delete();
  await db.knex('atmo.station').whereIn('code', STATIONS).delete();
} finally {
  clearInterval(sampler);
  await lifecycle.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}
