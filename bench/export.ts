/**
 * `npm run bench:export`: one client downloads a bulk export as a harvester would, and the hub is watched
 * while it streams. Starts the hub as its own process (`hub/index.ts`, its default limits, every port free)
 * on DATABASE_URL or a fresh embedded folder, unless BENCH_URL names a running gateway (its base URL or its
 * /graphql URL; BENCH_PID then names the process whose memory to watch). Downloads BENCH_EXPORT_PATH (default
 * `/exports/air-measurements.csv`, unfiltered) with Accept-Encoding BENCH_ENCODING (default identity), for at
 * most BENCH_MAX_SECONDS (default 0: to the end; a cut download is reported as such). Prints the time to
 * first byte, the total time, the bytes and rows received, rows/s, and the hub's RSS (sampled every 100 ms
 * from /proc/<pid>/status, and its high-water mark). Exits 1 on a non-200 answer or a transfer cut by the hub.
 * Loopback only.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { startHubProcess } from './hubProcess.ts';

const EXPORT_PATH = process.env.BENCH_EXPORT_PATH ?? '/exports/air-measurements.csv';
const ENCODING = process.env.BENCH_ENCODING ?? 'identity';
const MAX_SECONDS = Number(process.env.BENCH_MAX_SECONDS ?? 0);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tiga-bench-export-'));
// Every port free (0): the benchmark may run beside a hub already on the default ports.
const ports = Object.fromEntries(['GATEWAY', 'ATMO', 'ORSAL', 'ADEUS', 'COMMUNITY', 'PLATFORM', 'APRONA'].map((name) => [`${name}_PORT`, '0']));
const env = { ...ports, ...process.env, TIGA_DATA_DIR: process.env.TIGA_DATA_DIR ?? path.join(dir, 'data'), HOST: '127.0.0.1' };

const rssOf = (pid: number, field: 'VmRSS' | 'VmHWM') => {
  if (!Number.isFinite(pid)) return 0;
  try {
    return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
};

interface Measured {
  status: number;
  ttfbMs: number;
  totalMs: number;
  bytes: number;
  rows: number;
  /** The hub cut the transfer (no terminating chunk). */
  truncated: boolean;
  /** BENCH_MAX_SECONDS ended it. */
  cut: boolean;
  error: string;
}

/** Downloads the export, counting bytes and line ends (CSV rows; a GeoJSON feature per line too) as they come. */
function measure(url: string): Promise<Measured> {
  return new Promise((resolve) => {
    const began = performance.now();
    const result: Measured = { status: 0, ttfbMs: 0, totalMs: 0, bytes: 0, rows: 0, truncated: false, cut: false, error: '' };
    let newlines = 0;
    const request = http.get(url, { headers: { 'accept-encoding': ENCODING } }, (response) => {
      result.status = response.statusCode ?? 0;
      const finish = () => {
        result.totalMs = performance.now() - began;
        // The header line is not a row.
        result.rows = Math.max(0, newlines - 1);
        clearTimeout(timer);
        resolve(result);
      };
      response.on('data', (chunk: Buffer) => {
        if (!result.ttfbMs) result.ttfbMs = performance.now() - began;
        result.bytes += chunk.length;
        for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) newlines++;
      });
      response.on('error', (error) => {
        if (!result.cut) result.error = error.message;
      });
      // `complete`: the last chunk of the chunked encoding came; without it the file is not whole.
      response.on('close', () => {
        result.truncated = !result.cut && !response.complete;
        finish();
      });
    });
    const timer = MAX_SECONDS > 0 ? setTimeout(() => {
      result.cut = true;
      request.destroy();
    }, MAX_SECONDS * 1000) : undefined;
    request.on('error', (error) => {
      if (!result.cut) result.error = error.message;
      result.totalMs = performance.now() - began;
      clearTimeout(timer);
      resolve(result);
    });
  });
}

const external = process.env.BENCH_URL;
const { hub, url } = external ? { hub: undefined, url: external } : await startHubProcess(env);
const measured = Number(process.env.BENCH_PID ?? hub?.pid);
const base = url.replace(/\/graphql\/?$/, '').replace(/\/$/, '');
try {
  const rssAtRest = rssOf(measured, 'VmRSS');
  let peakRss = rssAtRest;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssOf(measured, 'VmRSS'))), 100);
  const result = await measure(`${base}${EXPORT_PATH}`);
  clearInterval(sampler);
  const seconds = result.totalMs / 1000;
  console.log(`${external ? `gateway ${base}` : `hub on ${process.env.DATABASE_URL ? 'postgres (DATABASE_URL)' : 'the embedded database'}`}; GET ${EXPORT_PATH} (Accept-Encoding: ${ENCODING})${MAX_SECONDS ? `, at most ${MAX_SECONDS} s` : ''}; ${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(1)}`);
  console.log(`status ${result.status}; first byte after ${result.ttfbMs.toFixed(0)} ms; ${seconds.toFixed(1)} s in all${result.cut ? ' (cut by BENCH_MAX_SECONDS)' : ''}`);
  console.log(`${(result.bytes / 1e6).toFixed(1)} MB received, ${result.rows} ${ENCODING === 'identity' ? 'rows' : 'line ends (compressed: not rows)'}, ${seconds > 0 ? Math.round(result.rows / seconds) : 0} rows/s, ${seconds > 0 ? (result.bytes / 1e6 / seconds).toFixed(1) : 0} MB/s`);
  console.log(`${external ? `process ${measured}` : 'hub'} RSS: ${rssAtRest.toFixed(0)} MB at rest, ${peakRss.toFixed(0)} MB peak sampled during the download, ${rssOf(measured, 'VmHWM').toFixed(0)} MB high-water mark (start-up included)`);
  if (result.status !== 200 || result.truncated || result.error) {
    console.log(`the export failed: ${result.truncated ? 'the hub cut the transfer' : result.error || `status ${result.status}`}`);
    process.exitCode = 1;
  }
} finally {
  if (hub) {
    hub.kill('SIGTERM');
    if (hub.exitCode === null) await once(hub, 'exit');
  }
  fs.rmSync(dir, { recursive: true, force: true });
}
