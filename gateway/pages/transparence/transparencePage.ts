import express from 'express';
import { loggerFor } from '../../../lib/observability/logger.ts';
import { requestIdOf } from '../../../lib/http/requestId.ts';
import { OpenDataError } from '../../catalog/anonymousQuery.ts';
import { pageLang } from '../pageLang.ts';
import type { OpenRouteOptions } from '../../opendata/openRoute.ts';
import { cachedTransparency } from './readTransparency.ts';
import { transparenceErrorHtml, transparencePageHtml } from './transparenceHtml.ts';

/**
 * How long one read of the dashboard's data serves every visitor, in ms. Indicators change monthly at most,
 * but votes and statuses change any time and a committee member checks the page right after voting: 30 s
 * spares the producers a query per visit while no answer is older than a minute (this cache plus the HTTP one).
 * A write the gateway hears ends it sooner (gateway/cache/sharedReads.ts): the hub itself never serves a read
 * older than the last vote; only a browser's or proxy's copy may be, for its 30 s.
 */
export const TRANSPARENCE_CACHE_MS = 30_000;
/** What any HTTP cache may keep the page for, in s (see TRANSPARENCE_CACHE_MS). */
const CACHE_CONTROL = 'public, max-age=30';
/** Seconds a client waits before retrying when the data could not be read (a producer down). */
const RETRY_UNAVAILABLE_SECONDS = 30;

/** The HTTP status of a failed read: a spent budget is 429, anything the open contract could not give whole 503, a bug 500. */
function statusOf(error: unknown): { status: number; retryAfterSeconds?: number } {
  if (!(error instanceof OpenDataError)) return { status: 500 };
  if (error.code === 'RATE_LIMITED') return { status: 429, retryAfterSeconds: error.retryAfterSeconds ?? 1 };
  return { status: 503, retryAfterSeconds: RETRY_UNAVAILABLE_SECONDS };
}

/**
 * GET /transparence: the transparency dashboard, server-rendered from one anonymous GraphQL read (indicators
 * with their values, decision processes, the users' committee's dataset requests), French unless `lang=en` or
 * Accept-Language says English. Complete without JavaScript (each chart's values are a table); the browser
 * script draws the charts with Chart.js from those tables. It needs only the open routes' options (a
 * PagesOptions is one): importing pagesRoute.ts here would make a cycle.
 */
export function transparencePage(options: OpenRouteOptions): express.Router {
  const log = loggerFor('gateway', options.log);
  const read = cachedTransparency(options.query, TRANSPARENCE_CACHE_MS, options.freshness);
  const router = express.Router();
  if (options.before?.length) router.use('/transparence', ...options.before);
  router.get('/transparence', async (req, res) => {
    const lang = pageLang(req);
    const requestId = requestIdOf(res);
    if (req.query.lang !== 'en' && req.query.lang !== 'fr') res.vary('Accept-Language');
    res.setHeader('Content-Language', lang);
    try {
      const data = await read({ client: options.clientOf(req), requestId }, req);
      res.setHeader('Cache-Control', CACHE_CONTROL);
      res.type('html').send(transparencePageHtml(data, lang));
    } catch (error) {
      const { status, retryAfterSeconds } = statusOf(error);
      if (status >= 500 && !(error instanceof OpenDataError)) log.error({ err: error, requestId, path: req.path }, 'the transparency dashboard failed');
      else log.warn({ err: error, requestId, path: req.path }, 'the transparency dashboard could not be read');
      if (retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(retryAfterSeconds));
      res.setHeader('Cache-Control', 'no-store');
      res.status(status).type('html').send(transparenceErrorHtml(lang, requestId));
    }
  });
  return router;
}
