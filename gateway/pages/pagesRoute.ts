import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import type { OpenRouteOptions } from '../opendata/openRoute.ts';
import { vendorAssets } from './vendorAssets.ts';
import { dataPage } from './data/dataPage.ts';
import { mapPage } from './map/mapPage.ts';
import { transparencePage } from './transparence/transparencePage.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** What the explorer pages read: the open routes' sources (anonymous GraphQL, the catalogue's read) and the supergraph. */
export interface PagesOptions extends OpenRouteOptions {
  /** The composed supergraph SDL: the data inventory is generated from it (types, fields, access, legal basis). */
  supergraphSdl: string;
}

/**
 * The explorer pages (`/data`, `/map`, `/transparence`), their stylesheet, their browser scripts (each page's
 * `browser/` folder, under /pages/assets/<page>/) and the libraries they load from node_modules.
 */
export function pagesRoute(options: PagesOptions): express.Router {
  const router = express.Router();
  router.get('/pages/site.css', (_req, res) => res.sendFile(path.join(HERE, 'site.css'), { maxAge: '1h' }));
  router.use(vendorAssets());
  for (const page of ['data', 'map', 'transparence']) {
    router.use(`/pages/assets/${page}`, express.static(path.join(HERE, page, 'browser'), { maxAge: '1h', index: false, dotfiles: 'deny' }));
  }
  router.use(dataPage(options), mapPage(options), transparencePage(options));
  return router;
}
