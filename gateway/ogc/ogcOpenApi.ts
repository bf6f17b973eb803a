import type { OpenCollection } from '../opendata/openCollection.ts';
import { CRS84, CRS_URIS, MEDIA } from './ogcDocuments.ts';
import { DEFAULT_LIMIT, MAX_LIMIT, type Lang } from './ogcParameters.ts';
import { TEXTS } from './ogcTexts.ts';

const ref = (name: string) => ({ $ref: `#/components/parameters/${name}` });
const response = (name: string) => ({ $ref: `#/components/responses/${name}` });
const json = (schema: object) => ({ [MEDIA.json]: { schema }, [MEDIA.html]: { schema: { type: 'string' } } });
const geojson = (schema: object) => ({ [MEDIA.geojson]: { schema }, [MEDIA.html]: { schema: { type: 'string' } } });
const ERRORS = { '400': response('BadRequest'), '404': response('NotFound'), '406': response('NotAcceptable'), '429': response('TooManyRequests'), '503': response('Unavailable') };

/**
 * The OpenAPI 3.0 definition of the API (Part 1 /req/oas30): every path, its parameters (the collections'
 * ids and the CRSs enumerated) and answers, with `servers` at the API's root.
 */
export function openApiDocument(root: string, lang: Lang, collections: OpenCollection[]) {
  const t = TEXTS[lang];
  const w = (fr: string, en: string) => (lang === 'fr' ? fr : en);
  const link = { type: 'object', required: ['href', 'rel'], properties: { href: { type: 'string' }, rel: { type: 'string' }, type: { type: 'string' }, title: { type: 'string' }, hreflang: { type: 'string' } } };
  const links = { type: 'array', items: { $ref: '#/components/schemas/link' } };
  const feature = {
    type: 'object',
    required: ['type', 'geometry', 'properties'],
    properties: { type: { type: 'string', enum: ['Feature'] }, id: { type: 'string' }, geometry: { type: 'object', nullable: true }, properties: { type: 'object', nullable: true }, links },
  };
  return {
    openapi: '3.0.3',
    info: {
      title: t.title,
      description: t.description,
      version: '1.0.0',
      license: { name: 'Licence Ouverte 2.0 / ODbL (see each collection)', url: 'https://www.etalab.gouv.fr/licence-ouverte-open-licence/' },
    },
    servers: [{ url: root }],
    paths: {
      '/': { get: { operationId: 'getLandingPage', summary: w("Page d'accueil : liens vers la définition de l'API, la conformité et les collections.", 'Landing page: links to the API definition, the conformance declaration and the collections.'), parameters: [ref('f'), ref('lang')], responses: { '200': { description: w("Page d'accueil", 'Landing page'), content: json({ $ref: '#/components/schemas/landingPage' }) }, ...ERRORS } } },
      '/conformance': { get: { operationId: 'getConformanceDeclaration', summary: w('Les classes de conformité OGC que cette API respecte.', 'The OGC conformance classes this API implements.'), parameters: [ref('f'), ref('lang')], responses: { '200': { description: w('Classes de conformité', 'Conformance classes'), content: json({ $ref: '#/components/schemas/confClasses' }) }, ...ERRORS } } },
      '/api': { get: { operationId: 'getApiDefinition', summary: w("Cette définition (JSON) ou sa documentation (HTML).", 'This definition (JSON) or its documentation (HTML).'), parameters: [ref('f'), ref('lang')], responses: { '200': { description: w("Définition de l'API", 'API definition'), content: { [MEDIA.openapi]: { schema: { type: 'object' } }, [MEDIA.html]: { schema: { type: 'string' } } } }, ...ERRORS } } },
      '/collections': { get: { operationId: 'getCollections', summary: w('Les collections : titre, description, étendue, licence, systèmes de coordonnées.', 'The collections: title, description, extent, licence, coordinate reference systems.'), parameters: [ref('f'), ref('lang')], responses: { '200': { description: w('Collections', 'Collections'), content: json({ $ref: '#/components/schemas/collections' }) }, ...ERRORS } } },
      '/collections/{collectionId}': { get: { operationId: 'describeCollection', summary: w("Une collection.", 'One collection.'), parameters: [ref('collectionId'), ref('f'), ref('lang')], responses: { '200': { description: w('Collection', 'Collection'), content: json({ $ref: '#/components/schemas/collection' }) }, ...ERRORS } } },
      '/collections/{collectionId}/items': {
        get: {
          operationId: 'getFeatures',
          summary: w("Les objets d'une collection, page par page (lien « next »), filtrés par bbox, datetime et territoire.", 'The items of a collection, page by page (`next` link), filtered by bbox, datetime and territory.'),
          parameters: [ref('collectionId'), ref('limit'), ref('offset'), ref('bbox'), ref('bbox-crs'), ref('datetime'), ref('crs'), ref('territory'), ref('f'), ref('lang')],
          responses: { '200': { description: w('Une page d’objets (GeoJSON FeatureCollection)', 'A page of items (GeoJSON FeatureCollection)'), headers: { 'Content-Crs': { $ref: '#/components/headers/Content-Crs' } }, content: geojson({ $ref: '#/components/schemas/featureCollectionGeoJSON' }) }, ...ERRORS },
        },
      },
      '/collections/{collectionId}/items/{featureId}': {
        get: {
          operationId: 'getFeature',
          summary: w('Un objet par son identifiant.', 'One item by its id.'),
          parameters: [ref('collectionId'), ref('featureId'), ref('crs'), ref('f'), ref('lang')],
          responses: { '200': { description: w('Un objet (GeoJSON Feature)', 'One item (GeoJSON Feature)'), headers: { 'Content-Crs': { $ref: '#/components/headers/Content-Crs' } }, content: geojson({ $ref: '#/components/schemas/featureGeoJSON' }) }, ...ERRORS },
        },
      },
    },
    components: {
      parameters: {
        f: { name: 'f', in: 'query', required: false, description: w('Format de la réponse : json ou html ; sinon selon l’en-tête Accept (JSON par défaut).', 'Response format: json or html; otherwise by the Accept header (JSON by default).'), schema: { type: 'string', enum: ['json', 'html'] } },
        lang: { name: 'lang', in: 'query', required: false, description: w('Langue des titres et descriptions : fr (par défaut) ou en ; sinon selon Accept-Language.', 'Language of titles and descriptions: fr (default) or en; otherwise by Accept-Language.'), schema: { type: 'string', enum: ['fr', 'en'] } },
        collectionId: { name: 'collectionId', in: 'path', required: true, description: w('Identifiant de la collection.', 'Collection id.'), schema: { type: 'string', enum: collections.map((c) => c.id) } },
        featureId: { name: 'featureId', in: 'path', required: true, description: w("Identifiant de l'objet.", 'Item id.'), schema: { type: 'string' } },
        limit: { name: 'limit', in: 'query', required: false, style: 'form', explode: false, description: w(`Nombre d'objets par page, de 1 à ${MAX_LIMIT} (${DEFAULT_LIMIT} par défaut) ; hors de ces bornes : 400.`, `Items per page, 1 to ${MAX_LIMIT} (default ${DEFAULT_LIMIT}); out of range: 400.`), schema: { type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT } },
        offset: { name: 'offset', in: 'query', required: false, description: w('Nombre d’objets à sauter (pagination ; les liens next et prev le portent).', 'Items to skip (paging; the next and prev links carry it).'), schema: { type: 'integer', minimum: 0, default: 0 } },
        bbox: {
          name: 'bbox', in: 'query', required: false, style: 'form', explode: false,
          description: w('minx,miny,maxx,maxy (CRS84, ou bbox-crs) : les objets dont la géométrie coupe la boîte.', 'minx,miny,maxx,maxy (CRS84, or bbox-crs): items whose geometry intersects the box.'),
          schema: { type: 'array', minItems: 4, maxItems: 6, items: { type: 'number' } },
        },
        'bbox-crs': { name: 'bbox-crs', in: 'query', required: false, description: w('Système de coordonnées de bbox (partie 2).', 'CRS of bbox (Part 2).'), schema: { type: 'string', format: 'uri', enum: CRS_URIS, default: CRS84 } },
        datetime: {
          name: 'datetime', in: 'query', required: false,
          description: w('Un instant ou un jour RFC 3339, ou un intervalle début/fin (bout ouvert : .. ou vide) : les objets dont la date le rencontre. Sans effet sur une collection sans date.', 'An RFC 3339 instant or day, or an interval start/end (open end: .. or empty): items whose time meets it. No effect on a collection without time.'),
          schema: { type: 'string' },
        },
        crs: { name: 'crs', in: 'query', required: false, description: w('Système de coordonnées des géométries de la réponse (partie 2), CRS84 par défaut ; indiqué par l’en-tête Content-Crs.', 'CRS of the geometries of the answer (Part 2), CRS84 by default; named by the Content-Crs header.'), schema: { type: 'string', format: 'uri', enum: CRS_URIS, default: CRS84 } },
        territory: { name: 'territory', in: 'query', required: false, description: w('Extension TIGA : un code de commune (INSEE), d’IRIS ou d’EPCI (SIREN) ; les objets situés dans ce territoire.', 'TIGA extension: a commune (INSEE), IRIS or EPCI (SIREN) code; items located in that territory.'), schema: { type: 'string', pattern: '^[0-9A-Za-z]{5,9}$' } },
      },
      headers: { 'Content-Crs': { description: w('Le système de coordonnées des géométries, entre chevrons.', 'The CRS of the geometries, in angle brackets.'), schema: { type: 'string' } } },
      schemas: {
        link,
        exception: { type: 'object', required: ['code'], properties: { code: { type: 'string' }, description: { type: 'string' }, requestId: { type: 'string' } } },
        landingPage: { type: 'object', required: ['links'], properties: { title: { type: 'string' }, description: { type: 'string' }, links } },
        confClasses: { type: 'object', required: ['conformsTo'], properties: { conformsTo: { type: 'array', items: { type: 'string' } } } },
        collection: {
          type: 'object',
          required: ['id', 'links'],
          properties: {
            id: { type: 'string' }, title: { type: 'string' }, description: { type: 'string' }, attribution: { type: 'string' }, links, itemType: { type: 'string' },
            extent: { type: 'object' }, crs: { type: 'array', items: { type: 'string' } }, storageCrs: { type: 'string' },
          },
        },
        collections: { type: 'object', required: ['links', 'collections'], properties: { links, collections: { type: 'array', items: { $ref: '#/components/schemas/collection' } }, crs: { type: 'array', items: { type: 'string' } } } },
        featureGeoJSON: feature,
        featureCollectionGeoJSON: {
          type: 'object',
          required: ['type', 'features'],
          properties: {
            type: { type: 'string', enum: ['FeatureCollection'] }, features: { type: 'array', items: { $ref: '#/components/schemas/featureGeoJSON' } }, links,
            timeStamp: { type: 'string', format: 'date-time' }, numberMatched: { type: 'integer', minimum: 0 }, numberReturned: { type: 'integer', minimum: 0 },
            attribution: { type: 'string' }, license: { type: 'string' },
          },
        },
      },
      responses: {
        BadRequest: { description: w('Un paramètre est inconnu ou mal formé.', 'A parameter is unknown or malformed.'), content: { [MEDIA.json]: { schema: { $ref: '#/components/schemas/exception' } } } },
        NotFound: { description: w('Cette ressource n’existe pas.', 'No such resource.'), content: { [MEDIA.json]: { schema: { $ref: '#/components/schemas/exception' } } } },
        NotAcceptable: { description: w('Aucun des formats demandés par Accept.', 'None of the formats Accept asks for.'), content: { [MEDIA.json]: { schema: { $ref: '#/components/schemas/exception' } } } },
        TooManyRequests: { description: w('Budget du client épuisé : réessayer après Retry-After.', "The client's budget is spent: retry after Retry-After."), content: { [MEDIA.json]: { schema: { $ref: '#/components/schemas/exception' } } } },
        Unavailable: { description: w('Un producteur n’a pas répondu : réessayer plus tard.', 'A producer did not answer: retry later.'), content: { [MEDIA.json]: { schema: { $ref: '#/components/schemas/exception' } } } },
      },
    },
  };
}
