import express from 'express';
import { pageContentSecurityPolicy } from '../../../lib/http/securityHeaders.ts';
import { requestIdOf } from '../../../lib/http/requestId.ts';
import { loggerFor } from '../../../lib/observability/logger.ts';
import { readCatalogWords } from '../../catalog/catalogWords.ts';
import { layout } from '../layout.ts';
import { pageLang, type PageLang } from '../pageLang.ts';
import type { OpenRouteOptions } from '../../opendata/openRoute.ts';
import { mapConfig, type MapConfig } from './mapConfig.ts';
import { mapBody, MAP_HEAD } from './mapHtml.ts';
import { valuesRequest } from './mapValues.ts';
import { MAP_WORDS } from './mapWords.ts';
import { MapParameterError, sendCached } from './sendCached.ts';
import { territoryGeometry, territoryKind, zoomBucket } from './territoryGeometry.ts';
import { timedCache } from './timedCache.ts';

/**
 * Outlines change with a new referential only: read again every 10 minutes or after a write, kept an hour by
 * browsers (a visitor reloads the page for a new referential).
 */
const GEOMETRY_TTL_MS = 600_000;
const GEOMETRY_MAX_AGE_S = 3600;
/**
 * Layer values: read again after any write the gateway hears (as `/graphql` answers it: an ingest shows on the
 * next read), else every few minutes. Browsers revalidate each time (`max-age=0` and the ETag: a 304 costs a hash).
 */
const VALUES_TTL_MS = 300_000;
const VALUES_MAX_AGE_S = 0;
const CONFIG_TTL_MS = 600_000;

/**
 * The map explorer: GET /map (the page), and the two JSON endpoints its script reads, both built on anonymous
 * operations of the open contract (`options.query`, never SQL), cached in memory and by HTTP caches:
 * - GET /pages/map/territories.geojson?kind=COMMUNE|IRIS|EPCI&zoom=Z — the referential's outlines simplified
 *   for the zoom's bucket (the base map: no tiles come from elsewhere);
 * - GET /pages/map/values.json?layer=…  — one layer's values for every territory or point (mapValues.ts).
 * The side panel and the area join query /graphql from the browser, as any client of the open API.
 */
export function mapPage(options: OpenRouteOptions): express.Router {
  const log = loggerFor('gateway', options.log);
  const words = readCatalogWords();
  const geometryCache = timedCache({ ttlMs: GEOMETRY_TTL_MS, maxEntries: 16, freshness: options.freshness });
  const valuesCache = timedCache({ ttlMs: VALUES_TTL_MS, maxEntries: 500, freshness: options.freshness });
  const configs = new Map<PageLang, { at: number; config: Promise<MapConfig> }>();
  const clientOf = (req: express.Request, res: express.Response) => ({ client: options.clientOf(req), requestId: requestIdOf(res) });
  const seriesEnd = async (kind: string) => (await options.openData().catch(() => undefined))?.datasets.find((d) => d.kind === kind)?.temporal?.end;

  const router = express.Router();
  if (options.before?.length) router.use('/pages/map', ...options.before);

  // MapLibre runs its parsing in Web Workers started from its worker module (same origin) or a blob: URL;
  // nothing else is loosened (no 'unsafe-eval', no other origin).
  router.get('/map', pageContentSecurityPolicy({ 'worker-src': ["'self'", 'blob:'], 'child-src': ["'self'", 'blob:'] }), async (req, res) => {
    const lang = pageLang(req);
    let cached = configs.get(lang);
    if (!cached || Date.now() - cached.at > CONFIG_TTL_MS) {
      cached = { at: Date.now(), config: mapConfig(options, words, lang, clientOf(req, res)) };
      configs.set(lang, cached);
    }
    const config = await cached.config;
    const query = new URLSearchParams(Object.entries(req.query).filter(([k, v]) => k !== 'lang' && typeof v === 'string') as [string, string][]).toString();
    res.setHeader('Cache-Control', 'no-cache');
    res.vary('Accept-Language');
    res.type('html').send(layout({ lang, path: '/map', title: MAP_WORDS[lang].title, head: MAP_HEAD, body: mapBody(config), wide: true, query }));
  });

  router.get('/pages/map/territories.geojson', (req, res) =>
    sendCached(req, res, GEOMETRY_MAX_AGE_S, 'application/geo+json', () => {
      const unknown = Object.keys(req.query).filter((name) => name !== 'kind' && name !== 'zoom');
      if (unknown.length) return Promise.reject(new MapParameterError(`unknown parameter ${unknown.join(', ')} (kind and zoom only)`));
      const kind = territoryKind(req.query.kind);
      const bucket = zoomBucket(req.query.zoom);
      return geometryCache(`${kind}:${bucket}`, () => territoryGeometry(options.query, kind, bucket, clientOf(req, res)), req);
    }, log),
  );

  router.get('/pages/map/values.json', (req, res) =>
    sendCached(req, res, VALUES_MAX_AGE_S, 'application/json', () => {
      const asked = valuesRequest(req.query as Record<string, unknown>);
      return valuesCache(asked.key, () => asked.read(options.query, clientOf(req, res), seriesEnd), req);
    }, log),
  );

  return router;
}
