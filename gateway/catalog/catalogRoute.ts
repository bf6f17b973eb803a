import { createHash } from 'node:crypto';
import express, { type RequestHandler } from 'express';
import { loggerFor } from '../../lib/observability/logger.ts';
import { requestIdOf } from '../../lib/http/requestId.ts';
import type { OpenDataReader } from './openDataCache.ts';
import { catalogGraph, type Download } from './catalogGraph.ts';
import { readCatalogWords } from './catalogWords.ts';
import type { OpenData } from './readOpenData.ts';
import { CATALOG_FORMATS, serializeCatalog, type CatalogMediaType } from './serializeCatalog.ts';

export interface CatalogRouteOptions {
  /** The open data as anonymous GraphQL reads it (openDataCache.ts, shared with the OGC API): the catalogue's only source. */
  openData: OpenDataReader;
  /** The producers' public names, by producer (the supergraph's titles). */
  titles: Map<string, string>;
  /** The exports and OGC collections each dataset is distributed as. @default none */
  downloads?: Download[];
  /** The hub's public base URL (TIGA_PUBLIC_URL). @default the request's scheme and host */
  publicUrl?: string;
  /** Middleware run first on the catalogue's paths (CORS, load shedding). @default none */
  before?: RequestHandler[];
  /** How long browsers and shared caches may keep the catalogue, in ms (the reader's freshness). @default 300000 */
  ttlMs?: number;
  log?: (line: string) => void;
}

const PATHS = ['/catalog', '/catalog.jsonld', '/catalog.ttl', '/catalog.rdf'];
const BY_EXTENSION: Record<string, CatalogMediaType> = { '/catalog.jsonld': CATALOG_FORMATS.jsonld, '/catalog.ttl': CATALOG_FORMATS.ttl, '/catalog.rdf': CATALOG_FORMATS.rdf };
/** What `Accept` may ask for at /catalog, the first being the default (`*\/*`). */
const NEGOTIATED = [CATALOG_FORMATS.jsonld, CATALOG_FORMATS.ttl, CATALOG_FORMATS.rdf, 'application/json'];
/** Rendered catalogues kept per base URL: a handful (one per public name of the hub), not one per forged Host. */
const MAX_BASES = 8;

interface Rendered {
  body: string;
  etag: string;
  lastModified: string;
}

/**
 * GET /catalog: the DCAT-AP 3.0 catalogue of the open data, in JSON-LD, Turtle or RDF/XML by `Accept` or by
 * extension, with ETag and Last-Modified (304 on a match). Built from anonymous GraphQL reads only, so it
 * describes exactly what an anonymous caller may read, whatever token the request carries. What was read
 * is shared by every request and renewed after `ttlMs`; each base URL's serialisations are cached with it.
 */
export function catalogRoute(options: CatalogRouteOptions): express.Router {
  const words = readCatalogWords();
  const ttlMs = options.ttlMs ?? 300_000;
  const log = loggerFor('gateway', options.log);
  let rendered = new Map<string, Rendered>();
  let renderedFrom: OpenData | undefined;
  const firstSeen = new Map<string, string>();

  const render = async (base: string, mediaType: CatalogMediaType): Promise<Rendered> => {
    const key = `${mediaType} ${base}`;
    const data = await options.openData();
    // A new read of the data: every serialisation is built again from it.
    if (data !== renderedFrom) {
      rendered = new Map();
      renderedFrom = data;
    }
    const cached = rendered.get(key);
    if (cached) return cached;
    const body = await serializeCatalog(catalogGraph({ data, words, titles: options.titles, base, downloads: options.downloads }), mediaType);
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`;
    // Last-Modified is when this very text was first served: unchanged data keeps it across rebuilds.
    if (!firstSeen.has(etag)) {
      if (firstSeen.size >= MAX_BASES * 3 * 4) firstSeen.clear();
      // A second back: Node's Date header is cached per second and Last-Modified must not be later than it.
      firstSeen.set(etag, new Date(Date.now() - 1000).toUTCString());
    }
    const result = { body, etag, lastModified: firstSeen.get(etag)! };
    if (rendered.size >= MAX_BASES * 3) rendered.clear();
    rendered.set(key, result);
    return result;
  };

  const router = express.Router();
  if (options.before?.length) router.use(PATHS, ...options.before);
  router.get(PATHS, async (req, res, next) => {
    const byExtension = BY_EXTENSION[req.path];
    const negotiated = byExtension ?? req.accepts(NEGOTIATED);
    if (!negotiated) {
      res.status(406).json({ errors: [{ message: `the catalogue is served as ${NEGOTIATED.slice(0, 3).join(', ')}`, extensions: { code: 'NOT_ACCEPTABLE', requestId: requestIdOf(res) } }] });
      return;
    }
    const mediaType = (negotiated === 'application/json' ? CATALOG_FORMATS.jsonld : negotiated) as CatalogMediaType;
    const base = options.publicUrl ?? `${req.protocol}://${req.get('host')}`;
    let catalogue: Rendered;
    try {
      catalogue = await render(base, mediaType);
    } catch (error) {
      log.error({ err: error, requestId: requestIdOf(res) }, 'the catalogue could not be built');
      res.status(503).setHeader('Retry-After', '30');
      res.json({ errors: [{ message: 'the catalogue could not be built now (a producer did not answer); retry later', extensions: { code: 'CATALOGUE_UNAVAILABLE', requestId: requestIdOf(res) } }] });
      return;
    }
    if (!byExtension) res.vary('Accept');
    res.setHeader('Content-Type', `${mediaType}; charset=utf-8`);
    res.setHeader('ETag', catalogue.etag);
    res.setHeader('Last-Modified', catalogue.lastModified);
    res.setHeader('Cache-Control', `public, max-age=${Math.round(ttlMs / 1000)}`);
    if (req.fresh) {
      res.status(304).end();
      return;
    }
    res.send(catalogue.body);
    void next;
  });
  return router;
}
