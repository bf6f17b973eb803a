import express from 'express';
import { loggerFor } from '../../../lib/observability/logger.ts';
import { requestIdOf } from '../../../lib/http/requestId.ts';
import { OpenDataError } from '../../catalog/anonymousQuery.ts';
import { readCatalogWords } from '../../catalog/catalogWords.ts';
import { downloads } from '../../opendata/downloads.ts';
import { OPEN_COLLECTIONS } from '../../opendata/collections/index.ts';
import type { OpenRouteOptions } from '../../opendata/openRoute.ts';
import { pageLang } from '../pageLang.ts';
import { parseFilter } from './dataFilters.ts';
import { dataErrorHtml, dataHtml } from './dataHtml.ts';
import { buildDataModel } from './dataModel.ts';
import { buildInventory } from './inventory.ts';
import { cachedLiveMetadata } from './readLiveMetadata.ts';
import { keySources } from './sampleQuery.ts';

/** Seconds a client waits before retrying when the open data could not be read. */
const RETRY_SECONDS = 30;

/**
 * What the page is built from: the open routes' sources and the supergraph (pagesRoute's PagesOptions is one;
 * importing pagesRoute.ts here would make a cycle).
 */
export interface DataPageSources extends OpenRouteOptions {
  /** The composed supergraph SDL: the inventory is generated from it. */
  supergraphSdl: string;
}

export interface DataPageOptions {
  /** How long the live facts (coverage, volumes, quality) are reused before they are read again, in ms. @default 60000 */
  liveTtlMs?: number;
}

/**
 * GET /data: the data inventory. The schema's part (types, fields, producers, access, legal bases, units,
 * query paths) is built once from the supergraph when the hub starts; the live part (the catalogue's datasets,
 * coverage, volumes, quality, sample keys) is read as an anonymous caller and shared for `liveTtlMs`.
 */
export function dataPage(options: DataPageSources, pageOptions: DataPageOptions = {}): express.Router {
  const inventory = buildInventory(options.supergraphSdl);
  const model = buildDataModel(inventory, readCatalogWords());
  const log = loggerFor('gateway', options.log);
  const live = cachedLiveMetadata(
    { query: options.query, openData: options.openData, collections: OPEN_COLLECTIONS, keySources: keySources(inventory.open, inventory.schema, inventory.types.flatMap((t) => (t.path ? [t.path] : []))) },
    pageOptions.liveTtlMs ?? 60_000,
    (err) => log.warn({ err }, 'the data inventory could not read the live data again: the last read is served'),
  );
  const files = downloads();
  const router = express.Router();
  if (options.before?.length) router.use('/data', ...options.before);
  router.get('/data', async (req, res) => {
    const lang = pageLang(req);
    if (req.query.lang !== 'en' && req.query.lang !== 'fr') res.vary('Accept-Language');
    res.setHeader('Content-Language', lang);
    try {
      const metadata = await live({ client: options.clientOf(req), requestId: requestIdOf(res) });
      const choices = {
        producers: new Set(inventory.producers.map((p) => p.name)),
        themes: new Set(Object.keys(model.words.themeLabels)),
        territories: new Set(metadata.openData.kinds.keys()),
      };
      const filter = parseFilter(req.query, choices);
      res.set('Cache-Control', 'public, max-age=60').type('html').send(dataHtml({ lang, model, live: metadata, filter, titles: options.titles, downloads: files }));
    } catch (err) {
      // A producer down or a spent budget is the open data's state (503, 429); anything else is a bug (500).
      const known = err instanceof OpenDataError;
      const status = !known ? 500 : err.code === 'RATE_LIMITED' ? 429 : 503;
      if (known) log.warn({ err, requestId: requestIdOf(res) }, 'the data inventory could not read the open data');
      else log.error({ err, requestId: requestIdOf(res) }, 'the data inventory failed');
      if (known) res.setHeader('Retry-After', String(err.retryAfterSeconds ?? RETRY_SECONDS));
      res.status(status).set('Cache-Control', 'no-store').type('html').send(dataErrorHtml(lang, requestIdOf(res)));
    }
  });
  return router;
}
