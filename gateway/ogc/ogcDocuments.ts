import type { CatalogWords } from '../catalog/catalogWords.ts';
import type { BBox, LicenceCode } from '../catalog/readOpenData.ts';
import { CRS, type CrsCode, type OpenCollection, type OpenFeature } from '../opendata/openCollection.ts';
import type { DatasetFacts } from './collectionFacts.ts';
import type { Lang } from './ogcParameters.ts';
import { TEXTS } from './ogcTexts.ts';

/** Media types of the API (OGC API – Features Part 1 §7–8; the OpenAPI one is /req/oas30/oas-definition-1). */
export const MEDIA = {
  json: 'application/json',
  geojson: 'application/geo+json',
  html: 'text/html',
  openapi: 'application/vnd.oai.openapi+json;version=3.0',
} as const;

export const CONFORMANCE = [
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core',
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson',
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html',
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30',
  'http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs',
];

export const CRS84 = CRS['EPSG:4326'].uri;
/** Every CRS a collection can be served in (Part 2 `crs`), CRS84 first. */
export const CRS_URIS = (Object.keys(CRS) as CrsCode[]).map((code) => CRS[code].uri);
const GREGORIAN = 'http://www.opengis.net/def/uom/ISO-8601/0/Gregorian';

export interface Link {
  href: string;
  rel: string;
  type?: string;
  title?: string;
  hreflang?: string;
}

/** Where and for whom a document is written. */
export interface DocumentContext {
  /** The API's root URL, e.g. `https://hub.example/ogc`. */
  root: string;
  lang: Lang;
  /** A URL under the root, with the parameters every link keeps (`lang` when the request chose it). */
  link: (path: string, params?: Record<string, string | number | undefined>) => string;
  words: CatalogWords;
  /** The producers' public names. */
  titles: Map<string, string>;
}

/** A URL under the API's root with its query parameters. */
export function href(root: string, path: string, params: Record<string, string | number | undefined> = {}): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined) query.set(name, String(value));
  const text = query.toString();
  return `${root}${path}${text ? `?${text}` : ''}`;
}

/** `self` and `alternate` links of a resource available as JSON (of `type`) and HTML. */
function selfLinks(ctx: DocumentContext, path: string, type: string, params: Record<string, string | number | undefined> = {}): Link[] {
  const t = TEXTS[ctx.lang];
  return [
    { href: ctx.link(path, { ...params, f: 'json' }), rel: 'self', type, title: t.asJson },
    { href: ctx.link(path, { ...params, f: 'html' }), rel: 'alternate', type: MEDIA.html, title: t.asHtml },
  ];
}

export function landingDocument(ctx: DocumentContext, catalogueUrl: string) {
  const t = TEXTS[ctx.lang];
  return {
    title: t.title,
    description: t.description,
    links: [
      ...selfLinks(ctx, '', MEDIA.json),
      { href: ctx.link('/api', { f: 'json' }), rel: 'service-desc', type: MEDIA.openapi, title: t.apiDefinition },
      { href: ctx.link('/api', { f: 'html' }), rel: 'service-doc', type: MEDIA.html, title: t.apiDocumentation },
      { href: ctx.link('/conformance', { f: 'json' }), rel: 'conformance', type: MEDIA.json, title: t.conformanceClasses },
      { href: ctx.link('/conformance', { f: 'html' }), rel: 'conformance', type: MEDIA.html, title: t.conformanceClasses },
      { href: ctx.link('/collections', { f: 'json' }), rel: 'data', type: MEDIA.json, title: t.collectionsList },
      { href: ctx.link('/collections', { f: 'html' }), rel: 'data', type: MEDIA.html, title: t.collectionsList },
      { href: catalogueUrl, rel: 'describedby', type: 'application/ld+json', title: t.catalogue },
    ] satisfies Link[],
  };
}

export function conformanceDocument(ctx: DocumentContext) {
  return { conformsTo: CONFORMANCE, links: selfLinks(ctx, '/conformance', MEDIA.json) };
}

/**
 * The licences of a collection's records: those the data gives (each citizen sensor has its own), else the
 * catalogue's for its dataset, else the catalogue's own. Empty when every record names its own and none was read.
 */
export function licencesOf(collection: OpenCollection, facts: DatasetFacts | undefined, words: CatalogWords): LicenceCode[] {
  if (facts?.licences.length) return facts.licences;
  const dataset = words.datasets[collection.dataset]?.licence;
  if (dataset) return [dataset];
  return collection.licenceProperty ? [] : [words.catalogue.licence];
}

export function licenceLinks(licences: LicenceCode[], words: CatalogWords, lang: Lang): Link[] {
  return licences.map((code) => ({ href: words.licences[code], rel: 'license', type: MEDIA.html, title: `${TEXTS[lang].licence} ${code}` }));
}

/** A day or an instant as an RFC 3339 instant: a day bound stands for its first (start) or last (end) second. */
const instant = (at: string, end: boolean) => (at.length === 10 ? `${at}T${end ? '23:59:59' : '00:00:00'}Z` : at);

export function extentOf(collection: OpenCollection, facts: DatasetFacts | undefined) {
  if (!facts?.bbox) return undefined;
  return {
    spatial: { bbox: [facts.bbox], crs: CRS84 },
    ...(collection.temporal && facts.temporal ? { temporal: { interval: [[instant(facts.temporal.start, false), instant(facts.temporal.end, true)]], trs: GREGORIAN } } : {}),
  };
}

export function collectionDocument(ctx: DocumentContext, collection: OpenCollection, facts: DatasetFacts | undefined) {
  const t = TEXTS[ctx.lang];
  const path = `/collections/${encodeURIComponent(collection.id)}`;
  const extent = extentOf(collection, facts);
  return {
    id: collection.id,
    title: collection.title[ctx.lang],
    description: collection.description[ctx.lang],
    attribution: ctx.titles.get(collection.producer) ?? collection.producer,
    itemType: 'feature',
    ...(extent ? { extent } : {}),
    crs: CRS_URIS,
    storageCrs: CRS84,
    links: [
      ...selfLinks(ctx, path, MEDIA.json),
      { href: ctx.link(`${path}/items`, { f: 'json' }), rel: 'items', type: MEDIA.geojson, title: t.itemsAsGeoJson },
      { href: ctx.link(`${path}/items`, { f: 'html' }), rel: 'items', type: MEDIA.html, title: t.itemsAsHtml },
      ...licenceLinks(licencesOf(collection, facts, ctx.words), ctx.words, ctx.lang),
    ] satisfies Link[],
  };
}

export type CollectionDocument = ReturnType<typeof collectionDocument>;

export function collectionsDocument(ctx: DocumentContext, collections: { collection: OpenCollection; facts: DatasetFacts | undefined }[]) {
  return {
    links: selfLinks(ctx, '/collections', MEDIA.json),
    collections: collections.map(({ collection, facts }) => collectionDocument(ctx, collection, facts)),
    crs: CRS_URIS,
  };
}

const geojson = (feature: OpenFeature) => ({ type: 'Feature' as const, id: feature.id, geometry: feature.geometry, properties: feature.properties });

export interface PageFacts {
  features: OpenFeature[];
  numberMatched?: number;
  more: boolean;
  offset: number;
  limit: number;
  /** The request's own parameters but `offset` and `f`, kept in the paging links. */
  params: Record<string, string>;
  licences: LicenceCode[];
}

/** Links of a page of items: self, alternate, next while there is more, prev after the first, its collection. */
export function pageLinks(ctx: DocumentContext, collection: OpenCollection, page: PageFacts, f: 'json' | 'html'): Link[] {
  const t = TEXTS[ctx.lang];
  const path = `/collections/${encodeURIComponent(collection.id)}`;
  const at = (offset: number, format: 'json' | 'html') => ctx.link(`${path}/items`, { ...page.params, ...(offset ? { offset } : {}), f: format });
  const other = f === 'json' ? 'html' : 'json';
  const type = (format: 'json' | 'html') => (format === 'json' ? MEDIA.geojson : MEDIA.html);
  return [
    { href: at(page.offset, f), rel: 'self', type: type(f), title: t.thisDocument },
    { href: at(page.offset, other), rel: 'alternate', type: type(other), title: other === 'json' ? t.asGeoJson : t.asHtml },
    ...(page.more ? [{ href: at(page.offset + page.limit, f), rel: 'next', type: type(f), title: t.next }] : []),
    ...(page.offset > 0 ? [{ href: at(Math.max(0, page.offset - page.limit), f), rel: 'prev', type: type(f), title: t.prev }] : []),
    { href: ctx.link(path, { f }), rel: 'collection', type: f === 'json' ? MEDIA.json : MEDIA.html, title: collection.title[ctx.lang] },
    ...licenceLinks(page.licences, ctx.words, ctx.lang),
  ];
}

/**
 * A page of items as a GeoJSON FeatureCollection (Part 1 /req/geojson/content), with `numberMatched` when
 * the collection knows it; the licence and the attribution are foreign members (RFC 7946 §6.1).
 */
export function itemsDocument(ctx: DocumentContext, collection: OpenCollection, page: PageFacts, timeStamp: string) {
  // `timeStamp` first: the route finds it there to set it after hashing the rest.
  return {
    type: 'FeatureCollection' as const,
    timeStamp,
    ...(page.numberMatched !== undefined ? { numberMatched: page.numberMatched } : {}),
    numberReturned: page.features.length,
    attribution: ctx.titles.get(collection.producer) ?? collection.producer,
    ...(page.licences.length === 1 ? { license: ctx.words.licences[page.licences[0]!] } : {}),
    links: pageLinks(ctx, collection, page, 'json'),
    features: page.features.map(geojson),
  };
}

export function featureLinks(ctx: DocumentContext, collection: OpenCollection, feature: OpenFeature, f: 'json' | 'html', crs: CrsCode): Link[] {
  const t = TEXTS[ctx.lang];
  const path = `/collections/${encodeURIComponent(collection.id)}`;
  const params = crs === 'EPSG:4326' ? {} : { crs: CRS[crs].uri };
  const other = f === 'json' ? 'html' : 'json';
  const type = (format: 'json' | 'html') => (format === 'json' ? MEDIA.geojson : MEDIA.html);
  const self = `${path}/items/${encodeURIComponent(feature.id)}`;
  return [
    { href: ctx.link(self, { ...params, f }), rel: 'self', type: type(f), title: t.thisDocument },
    { href: ctx.link(self, { ...params, f: other }), rel: 'alternate', type: type(other), title: other === 'json' ? t.asGeoJson : t.asHtml },
    { href: ctx.link(path, { f }), rel: 'collection', type: f === 'json' ? MEDIA.json : MEDIA.html, title: collection.title[ctx.lang] },
  ];
}

export function featureDocument(ctx: DocumentContext, collection: OpenCollection, feature: OpenFeature, crs: CrsCode, licences: LicenceCode[]) {
  return {
    ...geojson(feature),
    attribution: ctx.titles.get(collection.producer) ?? collection.producer,
    ...(licences.length === 1 ? { license: ctx.words.licences[licences[0]!] } : {}),
    links: [...featureLinks(ctx, collection, feature, 'json', crs), ...licenceLinks(licences, ctx.words, ctx.lang)],
  };
}

/** The box both boxes cover, or undefined when they do not meet. */
export function intersection(a: BBox, b: BBox): BBox | undefined {
  const box: BBox = [Math.max(a[0], b[0]), Math.max(a[1], b[1]), Math.min(a[2], b[2]), Math.min(a[3], b[3])];
  return box[0] <= box[2] && box[1] <= box[3] ? box : undefined;
}
