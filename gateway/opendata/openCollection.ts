import type { AnonymousQuery } from '../catalog/anonymousQuery.ts';
import type { BBox, LicenceCode } from '../catalog/readOpenData.ts';
import type { Texts } from '../catalog/catalogWords.ts';

/** The coordinate reference systems the open contract's geometry fields can give (`crs` argument). */
export const CRS = {
  'EPSG:4326': { enum: 'EPSG_4326', uri: 'http://www.opengis.net/def/crs/OGC/1.3/CRS84' },
  'EPSG:2154': { enum: 'EPSG_2154', uri: 'http://www.opengis.net/def/crs/EPSG/0/2154' },
  'EPSG:3948': { enum: 'EPSG_3948', uri: 'http://www.opengis.net/def/crs/EPSG/0/3948' },
} as const;
export type CrsCode = keyof typeof CRS;

/** A property value as the open contract gives it (flattened). */
export type PropertyValue = string | number | boolean | null;

/** One record of an open collection: a GeoJSON feature without its envelope. */
export interface OpenFeature {
  /** Unique and stable in its collection (an OGC feature id, an export's `id` column). */
  id: string;
  /** A GeoJSON geometry in the filter's CRS, or null. */
  geometry: unknown;
  /** In the order of the collection's `properties`. */
  properties: Record<string, PropertyValue>;
}

export interface PropertySpec {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date' | 'date-time';
  description: string;
}

/** What a request narrows a collection to. Every part optional; all apply together. */
export interface OpenFilter {
  /** A territory of the referential (commune, IRIS or EPCI code): records located in it. */
  territory?: string;
  /** [minLon, minLat, maxLon, maxLat] in WGS84: records whose place intersects it. */
  bbox?: BBox;
  /** Inclusive interval of instants or days (ISO 8601); an open end is absent. Collections without time ignore it. */
  datetime?: { start?: string; end?: string };
  /** CRS of the geometries given back. @default 'EPSG:4326' */
  crs?: CrsCode;
}

/** How a collection reads the open contract: anonymous operations run for one client. */
export interface ReadContext {
  query: AnonymousQuery;
  client?: string;
  requestId?: string;
  /** How long one operation may wait for a spent budget to refill (an export slows down rather than breaking off). @default 30000 */
  maxWaitMs?: number;
}

/**
 * A run of a collection's features, in order, whose size may be known beforehand: a page can skip whole
 * segments by their counts, and an export streams them one after the other.
 */
export interface Segment {
  key: string;
  /** How many features it holds, when known without reading them. */
  count?: number;
  /** Its features, already read (a small collection reads them all to count them). */
  features?: OpenFeature[];
}

/**
 * One open collection, read only through anonymous GraphQL operations (the open contract), shared by the
 * bulk exports (`/exports/<id>.<format>`) and the OGC API (`/ogc/collections/<id>`).
 */
export interface OpenCollection {
  /** URL segment: `/exports/<id>.csv`, `/ogc/collections/<id>`. */
  id: string;
  /** The catalogue dataset (catalog.yaml `datasets.<kind>`) it distributes: its licence, publisher, themes. */
  dataset: string;
  producer: string;
  title: Texts & { fr: string; en: string };
  description: Texts & { fr: string; en: string };
  geometryType: 'Point' | 'MultiPolygon';
  /** Whether `datetime` filters it (and the property it applies to). */
  temporal?: { property: string };
  /** The licence of each feature when it is its own (a contribution's, a sensor's): a property holding a `Licence` code. */
  licenceProperty?: string;
  properties: PropertySpec[];
  /** Its runs of features for a filter, in order. A malformed filter throws OpenDataError BAD_USER_INPUT. */
  segments(ctx: ReadContext, filter: OpenFilter): Promise<Segment[]>;
  /** Every feature of one segment, page by page, in order (constant memory). */
  features(ctx: ReadContext, filter: OpenFilter, segment: Segment): AsyncGenerator<OpenFeature[]>;
  /** One feature by id; undefined when none (or not open). */
  feature(ctx: ReadContext, id: string, crs?: CrsCode): Promise<OpenFeature | undefined>;
}

/** Every feature the filter selects, chunk by chunk: for exports of any size. */
export async function* streamFeatures(collection: OpenCollection, ctx: ReadContext, filter: OpenFilter): AsyncGenerator<OpenFeature[]> {
  for (const segment of await collection.segments(ctx, filter)) {
    for await (const chunk of collection.features(ctx, filter, segment)) if (chunk.length) yield chunk;
  }
}

/**
 * One page (`offset`, `limit`) of the features the filter selects, and how many it selects in all when every
 * segment's size is known. Whole segments before the page are skipped by their counts, unread.
 */
export async function readPage(
  collection: OpenCollection,
  ctx: ReadContext,
  filter: OpenFilter,
  offset: number,
  limit: number,
): Promise<{ features: OpenFeature[]; numberMatched?: number; more: boolean }> {
  const segments = await collection.segments(ctx, filter);
  const known = segments.every((s) => s.count !== undefined);
  const numberMatched = known ? segments.reduce((sum, s) => sum + s.count!, 0) : undefined;
  const features: OpenFeature[] = [];
  let position = 0;
  let more = false;
  for (const segment of segments) {
    if (features.length >= limit) {
      more = true;
      break;
    }
    if (segment.count !== undefined && position + segment.count <= offset) {
      position += segment.count;
      continue;
    }
    if (segment.count === 0) continue;
    for await (const chunk of collection.features(ctx, filter, segment)) {
      for (const feature of chunk) {
        if (position >= offset && features.length < limit) features.push(feature);
        else if (features.length >= limit) more = true;
        position++;
      }
      if (more) break;
    }
    if (more) break;
  }
  if (known) more = offset + features.length < numberMatched!;
  return { features, numberMatched, more };
}

/** How a small collection is read: whole, per request (one segment, counted by reading it). */
export function readWhole(read: (ctx: ReadContext, filter: OpenFilter) => Promise<OpenFeature[]>): Pick<OpenCollection, 'segments' | 'features'> {
  return {
    async segments(ctx, filter) {
      const features = await read(ctx, filter);
      return [{ key: 'all', count: features.length, features }];
    },
    async *features(_ctx, _filter, segment) {
      yield segment.features ?? [];
    },
  };
}
