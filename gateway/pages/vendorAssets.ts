import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import express from 'express';

const require = createRequire(import.meta.url);
// The package's folder as Node's lookup finds it: some packages (terra-draw) export neither `./package.json`
// nor a CommonJS entry, so neither can be require.resolve()d.
const packageDir = (pkg: string) => require.resolve.paths(pkg)!.map((dir) => path.join(dir, pkg)).find((dir) => fs.existsSync(path.join(dir, 'package.json')));
const dist = (pkg: string, file: string) => path.join(packageDir(pkg) ?? pkg, file);

/**
 * The browser libraries the explorer pages use, served from node_modules under /pages/vendor: the hub loads
 * nothing from a CDN (it runs on networks without one, and a CDN would see who reads what). Only these names
 * are served (a name looked up on a plain object would also find `constructor`).
 */
export const VENDOR_FILES = new Map<string, string>([
  // MapLibre GL JS 6: an ES module with named exports only, and its worker as a module of its own.
  ['maplibre-gl.mjs', dist('maplibre-gl', 'dist/maplibre-gl.mjs')],
  ['maplibre-gl-worker.mjs', dist('maplibre-gl', 'dist/maplibre-gl-worker.mjs')],
  ['maplibre-gl.css', dist('maplibre-gl', 'dist/maplibre-gl.css')],
  ['terra-draw.js', dist('terra-draw', 'dist/terra-draw.module.js')],
  ['terra-draw-maplibre-gl-adapter.js', dist('terra-draw-maplibre-gl-adapter', 'dist/terra-draw-maplibre-gl-adapter.module.js')],
  ['chart.umd.min.js', dist('chart.js', 'dist/chart.umd.min.js')],
]);

/** GET /pages/vendor/<file>: one of VENDOR_FILES, cached a day (the version changes only with a deployment). */
export function vendorAssets(): express.Router {
  const router = express.Router();
  router.get('/pages/vendor/:file', (req, res, next) => {
    const file = VENDOR_FILES.get(req.params.file);
    if (!file) return next();
    res.sendFile(file, { maxAge: '1d' });
  });
  return router;
}
