import { createHash } from 'node:crypto';
import express, { type Request, type RequestHandler, type Response } from 'express';
import { loggerFor } from '../../lib/observability/logger.ts';
import { requestIdOf } from '../../lib/http/requestId.ts';
import { readCatalogWords } from '../catalog/catalogWords.ts';
import type { BBox, LicenceCode } from '../catalog/readOpenData.ts';
import { OGC_COLLECTIONS } from '../opendata/collections/index.ts';
import { CRS, readPage, type OpenCollection, type OpenFilter, type ReadContext } from '../opendata/openCollection.ts';
import type { OpenRouteOptions } from '../opendata/openRoute.ts';
import { collectionFacts } from './collectionFacts.ts';
import {
  collectionDocument,
  collectionsDocument,
  conformanceDocument,
  featureDocument,
  featureLinks,
  href,
  intersection,
  itemsDocument,
  landingDocument,
  licencesOf,
  MEDIA,
  pageLinks,
  type DocumentContext,
  type PageFacts,
} from './ogcDocuments.ts';
import { badRequest, notFound, ogcErrorOf, OgcError } from './ogcError.ts';
import { apiPage, collectionPage, collectionsPage, conformancePage, errorPage, featurePage, itemsPage, landingPage } from './ogcHtml.ts';
import { openApiDocument } from './ogcOpenApi.ts';
import { checkParameters, crsOf, formatOf, itemsQueryOf, langOf, PARAMETERS, type Format, type Lang } from './ogcParameters.ts';

/** Open data: any cache may keep an answer a minute (a request with credentials is made private by privateWhenAuthorized). */
const CACHE_CONTROL = 'public, max-age=60';
/** The budget key the collections' extents are read under. */
/** Margin around a collection's extent when a bbox is clipped to it: outlines are simplified, the extent too. */
const EXTENT_MARGIN_DEGREES = 0.01;

/** A successful answer, before the caching headers. */
interface Answer {
  type: string;
  body: string;
  /** What the ETag hashes when the body holds a part that changes on every request (`timeStamp`): then a weak ETag. */
  stable?: string;
  headers?: Record<string, string>;
}

/** What a handler knows once the request's common parameters are read. */
interface Asked {
  format: Format;
  lang: Lang;
  doc: DocumentContext;
  base: string;
}

const hash = (text: string) => createHash('sha256').update(text).digest('base64url').slice(0, 32);
const isLicence = (value: unknown): value is LicenceCode => value === 'ODBL' || value === 'LICENCE_OUVERTE_2' || value === 'CC_BY_4';

/**
 * OGC API – Features at /ogc (Part 1 Core with GeoJSON, HTML and OpenAPI 3.0; Part 2 CRS by reference), on the
 * open collections (gateway/opendata/) and nothing else: every answer is what an anonymous GraphQL caller may
 * read, whatever token the request carries (Authorization is never read here; the budgets spent are those of
 * the client's address). JSON by default, HTML for browsers (`f=html` or Accept), French unless `lang=en` or
 * Accept-Language says English. Successful answers carry an ETag (304 on a match) and may be cached a minute.
 */
export function ogcRoute(options: OpenRouteOptions): express.Router {
  const words = readCatalogWords();
  const log = loggerFor('gateway', options.log);
  // The extents are those the catalogue publishes, from the one read of the open data the routes share.
  const facts = collectionFacts(options.openData);
  const collections = new Map(OGC_COLLECTIONS.map((c) => [c.id, c]));

  const baseOf = (req: Request) => (options.publicUrl ?? `${req.protocol}://${req.get('host')}`).replace(/\/+$/, '');
  const contextOf = (req: Request, res: Response): ReadContext => ({ query: options.query, client: options.clientOf(req), requestId: requestIdOf(res) });
  const collectionOf = (req: Request): OpenCollection => {
    const collection = collections.get(String(req.params.collectionId));
    if (!collection) throw notFound(`no collection ${String(req.params.collectionId)}: see /ogc/collections`);
    return collection;
  };

  /** `f`, else Accept: JSON (of the resource's media types) unless HTML is preferred; undefined when neither is acceptable. */
  const negotiate = (req: Request, res: Response, f: Format | undefined, jsonTypes: string[]): Format | undefined => {
    if (f) return f;
    res.vary('Accept');
    const chosen = req.accepts([...jsonTypes, MEDIA.html]);
    return chosen === false ? undefined : chosen === MEDIA.html ? 'html' : 'json';
  };

  const fail = (req: Request, res: Response, error: unknown, asked?: Pick<Asked, 'format' | 'doc'>) => {
    const known = ogcErrorOf(error);
    const requestId = requestIdOf(res);
    if (!known) log.error({ err: error, requestId, path: req.path }, 'an OGC API request failed');
    else if (known.status >= 500) log.warn({ err: error, requestId, path: req.path }, 'an OGC API request could not be answered');
    const status = known?.status ?? 500;
    const code = known?.code ?? 'INTERNAL_SERVER_ERROR';
    const description = known?.message ?? 'unexpected error: quote the request id to the hub’s operator';
    if (known?.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(known.retryAfterSeconds));
    res.setHeader('Cache-Control', 'no-store');
    res.status(status);
    if (asked?.format === 'html') res.type('html').send(errorPage(asked.doc, status, description, requestId));
    else res.json({ code, description, requestId });
  };

  const send = (req: Request, res: Response, answer: Answer) => {
    res.setHeader('Content-Type', answer.type);
    for (const [name, value] of Object.entries(answer.headers ?? {})) res.setHeader(name, value);
    res.setHeader('ETag', answer.stable === undefined ? `"${hash(answer.body)}"` : `W/"${hash(answer.stable)}"`);
    res.setHeader('Cache-Control', CACHE_CONTROL);
    // A browser app on another origin may read which CRS it got (CORS exposes only the headers it is told to).
    const exposed = res.getHeader('Access-Control-Expose-Headers');
    if (typeof exposed === 'string' && answer.headers?.['Content-Crs']) res.setHeader('Access-Control-Expose-Headers', `${exposed},content-crs`);
    if (req.fresh) {
      res.status(304).end();
      return;
    }
    res.send(answer.body);
  };

  /**
   * A GET handler: checks the resource's parameters, negotiates the format and the language, answers what
   * `build` gives, or the OGC exception of what it threw (in HTML for a browser).
   */
  const resource =
    (allowed: readonly string[], jsonTypes: string[], build: (req: Request, res: Response, asked: Asked) => Promise<Answer> | Answer) =>
    async (req: Request, res: Response) => {
      let asked: Asked | undefined;
      try {
        const f = formatOf(req);
        const { lang, negotiated } = langOf(req);
        if (negotiated) res.vary('Accept-Language');
        const base = baseOf(req);
        const root = `${base}/ogc`;
        // A language chosen with `lang` is kept while the client follows links; one negotiated is asked again.
        const link = (path: string, params: Record<string, string | number | undefined> = {}) => href(root, path, negotiated ? params : { ...params, lang });
        const doc: DocumentContext = { root, lang, link, words, titles: options.titles };
        const format = negotiate(req, res, f, jsonTypes);
        if (!format) throw new OgcError(406, 'NOT_ACCEPTABLE', `this resource is served as ${[...jsonTypes, MEDIA.html].join(', ')} (or choose with f=json or f=html)`);
        asked = { format, lang, doc, base };
        res.setHeader('Content-Language', lang);
        checkParameters(req, allowed);
        send(req, res, await build(req, res, asked));
      } catch (error) {
        fail(req, res, error, asked);
      }
    };

  const json = (value: unknown, type: string = MEDIA.json): Answer => ({ type, body: JSON.stringify(value) });
  const page = (body: string): Answer => ({ type: 'text/html; charset=utf-8', body });

  /** The filter's bbox clipped to the collection's extent: none when the box holds it all, 'disjoint' when they do not meet. */
  const clip = async (collection: OpenCollection, boxes: BBox[]): Promise<BBox | undefined | 'disjoint'> => {
    const extent = (await facts()).get(collection.dataset)?.bbox;
    if (!extent) {
      if (boxes.length > 1) throw badRequest('a bbox crossing the antimeridian cannot be served now; split it in two requests');
      return boxes[0];
    }
    // The open contract takes boxes of at most 2°: a map's view of the whole region is reduced to what holds data.
    const margin = EXTENT_MARGIN_DEGREES;
    const around: BBox = [extent[0] - margin, extent[1] - margin, extent[2] + margin, extent[3] + margin];
    const parts = boxes.map((box) => intersection(box, around)).filter((box): box is BBox => box !== undefined);
    if (!parts.length) return 'disjoint';
    const box: BBox = [Math.min(...parts.map((b) => b[0])), Math.min(...parts.map((b) => b[1])), Math.max(...parts.map((b) => b[2])), Math.max(...parts.map((b) => b[3]))];
    return box.every((value, i) => value === around[i]) ? undefined : box;
  };

  const router = express.Router();
  if (options.before?.length) router.use('/ogc', ...options.before.map(asOgcRefusal));

  router.get(
    '/ogc',
    resource(PARAMETERS.page, [MEDIA.json], (_req, _res, { format, doc, base }) =>
      format === 'json' ? json(landingDocument(doc, `${base}/catalog`)) : page(landingPage(doc, `${base}/catalog`)),
    ),
  );

  router.get(
    '/ogc/conformance',
    resource(PARAMETERS.page, [MEDIA.json], (_req, _res, { format, doc }) => (format === 'json' ? json(conformanceDocument(doc)) : page(conformancePage(doc)))),
  );

  router.get(
    '/ogc/api',
    resource(PARAMETERS.page, [MEDIA.openapi, 'application/vnd.oai.openapi+json', MEDIA.json], (_req, _res, { format, doc, lang }) => {
      const openapi = openApiDocument(doc.root, lang, OGC_COLLECTIONS);
      return format === 'json' ? json(openapi, MEDIA.openapi) : page(apiPage(doc, openapi));
    }),
  );

  router.get(
    '/ogc/collections',
    resource(PARAMETERS.page, [MEDIA.json], async (_req, _res, { format, doc }) => {
      const known = await facts();
      const described = OGC_COLLECTIONS.map((collection) => ({ collection, facts: known.get(collection.dataset) }));
      if (format === 'json') return json(collectionsDocument(doc, described));
      return page(collectionsPage(doc, described.map(({ collection, facts: f }) => ({ collection, doc: collectionDocument(doc, collection, f) }))));
    }),
  );

  router.get(
    '/ogc/collections/:collectionId',
    resource(PARAMETERS.page, [MEDIA.json], async (req, _res, { format, doc }) => {
      const collection = collectionOf(req);
      const described = collectionDocument(doc, collection, (await facts()).get(collection.dataset));
      return format === 'json' ? json(described) : page(collectionPage(doc, described, collection));
    }),
  );

  router.get(
    '/ogc/collections/:collectionId/items',
    resource(PARAMETERS.items, [MEDIA.geojson, MEDIA.json], async (req, res, { format, doc }) => {
      const collection = collectionOf(req);
      const asked = itemsQueryOf(req);
      const bbox = asked.bbox ? await clip(collection, asked.bbox) : undefined;
      const filter: OpenFilter = { ...asked.filter, ...(bbox && bbox !== 'disjoint' ? { bbox } : {}) };
      const read = bbox === 'disjoint' ? { features: [], numberMatched: 0, more: false } : await readPage(collection, contextOf(req, res), filter, asked.offset, asked.limit);
      const params = Object.fromEntries(Object.entries(req.query).filter(([name]) => name !== 'offset' && name !== 'f')) as Record<string, string>;
      const licences = collection.licenceProperty
        ? [...new Set(read.features.map((f) => f.properties[collection.licenceProperty!]).filter(isLicence))].sort()
        : licencesOf(collection, undefined, words);
      const facts: PageFacts = { ...read, offset: asked.offset, limit: asked.limit, params, licences };
      const headers = { 'Content-Crs': `<${CRS[asked.crs].uri}>` };
      if (format === 'html') return { ...page(itemsPage(doc, collection, { ...read, offset: asked.offset, links: pageLinks(doc, collection, facts, 'html') })), headers };
      // The timeStamp changes on every request: the ETag is of the rest, and weak.
      const stable = JSON.stringify(itemsDocument(doc, collection, facts, ''));
      const timeStamp = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      return { type: MEDIA.geojson, body: stable.replace('"timeStamp":""', `"timeStamp":"${timeStamp}"`), stable, headers };
    }),
  );

  router.get(
    '/ogc/collections/:collectionId/items/:featureId',
    resource(PARAMETERS.feature, [MEDIA.geojson, MEDIA.json], async (req, res, { format, doc }) => {
      const collection = collectionOf(req);
      const crs = crsOf(req);
      const id = String(req.params.featureId);
      const feature = await collection.feature(contextOf(req, res), id, crs);
      if (!feature) throw notFound(`no item ${id} in ${collection.id}`);
      const own = collection.licenceProperty ? feature.properties[collection.licenceProperty] : undefined;
      const licences = collection.licenceProperty ? (isLicence(own) ? [own] : []) : licencesOf(collection, undefined, words);
      const headers = { 'Content-Crs': `<${CRS[crs].uri}>` };
      if (format === 'html') return { ...page(featurePage(doc, collection, feature, featureLinks(doc, collection, feature, 'html', crs))), headers };
      return { ...json(featureDocument(doc, collection, feature, crs, licences), MEDIA.geojson), headers };
    }),
  );

  // The API is read-only: any other method is 405 (OPTIONS, the CORS preflight, is answered by `before`).
  router.all(['/ogc', '/ogc/conformance', '/ogc/api', '/ogc/collections', '/ogc/collections/:collectionId', '/ogc/collections/:collectionId/items', '/ogc/collections/:collectionId/items/:featureId'], (req, res) => {
    res.setHeader('Allow', 'GET, HEAD');
    fail(req, res, new OgcError(405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed: the OGC API is read with GET`));
  });
  router.use('/ogc', (req, res) => fail(req, res, notFound(`no resource ${req.originalUrl.split('?')[0]}: the API starts at /ogc`)));
  return router;
}

/**
 * A shared middleware (CORS, load shedding) whose refusals, GraphQL-shaped elsewhere (`{ errors: [...] }`),
 * take the OGC exception's shape here, with the same status, code, message, Retry-After and request id.
 */
function asOgcRefusal(handler: RequestHandler): RequestHandler {
  return (req, res, next) => {
    const json = res.json.bind(res);
    res.json = (body: unknown) => {
      const first = (body as { errors?: { message?: string; extensions?: { code?: string; requestId?: string } }[] } | undefined)?.errors?.[0];
      if (res.statusCode < 400 || !first) return json(body);
      res.setHeader('Cache-Control', 'no-store');
      return json({ code: first.extensions?.code ?? 'ERROR', description: first.message ?? '', requestId: first.extensions?.requestId ?? requestIdOf(res) });
    };
    handler(req, res, (error?: unknown) => {
      res.json = json;
      next(error);
    });
  };
}
