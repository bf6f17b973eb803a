/**
 * `npm run bench:map`: how fast the map explorer (/map) shows its first choropleth, and how fast the simplified
 * referential it draws is served. Starts the hub as its own process (`hub/index.ts`, every port free) on
 * DATABASE_URL or a fresh embedded folder, unless BENCH_URL names a running gateway.
 * 1. The simplified-geometry endpoint (`/pages/map/territories.geojson`) for communes and IRIS at zooms 8, 10
 *    and 13 (one per bucket): the first request of each (cold: the hub reads PostGIS through the open API),
 *    then BENCH_REQUESTS (default 30) more of each (warm: the hub's in-memory copy); p50 and p90, sizes.
 * 2. BENCH_RUNS (default 5) loads of /map in Debian's Chromium (a fresh browser context each, so nothing is
 *    in its HTTP cache): the time from navigation to MapLibre's first `idle` once the indice ATMO choropleth
 *    is drawn (the page records it as `data-first-idle-ms`); the first run, then the median of all.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import puppeteer from 'puppeteer-core';
import { startHubProcess } from './hubProcess.ts';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 30);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const CHROMIUM = process.env.TIGA_CHROMIUM ?? '/usr/bin/chromium';
// As test/support/browser.ts: headless, nothing calling home, WebGL through SwiftShader.
const FLAGS = ['--headless', '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'];

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tiga-bench-map-'));
const ports = Object.fromEntries(['GATEWAY', 'ATMO', 'ORSAL', 'ADEUS', 'COMMUNITY', 'PLATFORM', 'APRONA'].map((name) => [`${name}_PORT`, '0']));
const env = { ...ports, ...process.env, TIGA_DATA_DIR: process.env.TIGA_DATA_DIR ?? path.join(dir, 'data'), HOST: '127.0.0.1' };
const started = process.env.BENCH_URL ? undefined : await startHubProcess(env);
const base = (process.env.BENCH_URL ?? started!.url).replace(/\/graphql\/?$/, '').replace(/\/+$/, '');

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};
const ms = (n: number) => `${n.toFixed(0).padStart(5)} ms`;

async function timed(url: string): Promise<{ ms: number; bytes: number }> {
  const began = performance.now();
  const response = await fetch(url);
  const body = await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`${url}: HTTP ${response.status}`);
  return { ms: performance.now() - began, bytes: body.byteLength };
}

let failed = false;
try {
  console.log(`\n/map on ${base} (${os.cpus().length} cores)${process.env.BENCH_URL ? ' — a running hub: its caches may already be warm' : ''}`);
  console.log('\nsimplified geometry, GET /pages/map/territories.geojson');
  for (const kind of ['COMMUNE', 'IRIS']) {
    for (const zoom of [8, 10, 13]) {
      const url = `${base}/pages/map/territories.geojson?kind=${kind}&zoom=${zoom}`;
      const cold = await timed(url);
      const warm: number[] = [];
      // 8 requests a second at most: within the hub's 10/s per address.
      for (let i = 0; i < REQUESTS; i++) {
        warm.push((await timed(url)).ms);
        await new Promise((resolve) => setTimeout(resolve, 125));
      }
      console.log(`  ${kind.padEnd(7)} zoom ${String(zoom).padStart(2)}  ${(cold.bytes / 1024).toFixed(0).padStart(4)} KB  cold ${ms(cold.ms)}   warm (${REQUESTS}) p50 ${ms(percentile(warm, 50))}  p90 ${ms(percentile(warm, 90))}`);
    }
  }

  const browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
  const times: number[] = [];
  try {
    for (let run = 0; run < RUNS; run++) {
      const context = await browser.createBrowserContext();
      const page = await context.newPage();
      await page.setViewport({ width: 1280, height: 900 });
      await page.goto(`${base}/map?lang=fr&fill=atmo&points=`, { waitUntil: 'load' });
      await page.waitForSelector('#map-app[data-first-idle-ms]', { timeout: 60_000 });
      times.push(Number(await page.$eval('#map-app', (e) => e.getAttribute('data-first-idle-ms'))));
      await context.close();
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  } finally {
    await browser.close();
  }
  console.log(`\n/map: navigation → first idle with the indice ATMO choropleth drawn (${RUNS} runs, fresh browser context each)`);
  console.log(`  first run ${ms(times[0]!)}   median ${ms(percentile(times, 50))}   all: ${times.map((t) => t.toFixed(0)).join(', ')} ms`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  failed = true;
} finally {
  started?.hub.kill('SIGTERM');
  fs.rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
