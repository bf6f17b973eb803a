import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { OpenCollection } from '../opendata/openCollection.ts';
import type { ExportFormat } from './exportFormat.ts';
import type { ExportLicence } from './exportLicence.ts';
import { EXPORT_PARAMETERS } from './exportQuery.ts';

export interface ExportsListingOptions {
  collections: OpenCollection[];
  licences: Map<OpenCollection, ExportLicence>;
  formats: ExportFormat[];
  /** The hub's public base URL. @default the request's scheme and host */
  publicUrl?: string;
}

/** Listings kept per base URL: a handful (one per public name of the hub), not one per forged Host. */
const MAX_BASES = 8;

/**
 * GET /exports: every export, with what a harvester needs to pick one — the collection's titles, its
 * properties, the formats and their URLs, the licence and whom to credit, the filters it takes. It describes
 * the code, not the data, so it is the same until the hub is upgraded: an ETag of its bytes, 304 on a match.
 */
export function exportsListing(options: ExportsListingOptions): RequestHandler {
  const rendered = new Map<string, { body: string; etag: string }>();
  const render = (base: string) => {
    const body = JSON.stringify({
      exports: options.collections.map((c) => {
        const licence = options.licences.get(c)!;
        return {
          id: c.id,
          title: c.title,
          description: c.description,
          dataset: c.dataset,
          producer: c.producer,
          attribution: licence.attribution,
          licence: licence.datasetUri ?? null,
          ...(c.licenceProperty ? { licencePerRecord: `each record's own licence is its \`${c.licenceProperty}\` property (and the \`licence\` column of CSV and FlatGeobuf, as a URI)` } : {}),
          geometryType: c.geometryType,
          temporalProperty: c.temporal?.property ?? null,
          properties: c.properties,
          formats: options.formats.map((f) => ({ format: f.extension, title: f.title, mediaType: f.mediaType, url: `${base}/exports/${c.id}.${f.extension}` })),
        };
      }),
      parameters: EXPORT_PARAMETERS,
    });
    const etag = `"${createHash('sha256').update(body).digest('base64url')}"`;
    if (rendered.size >= MAX_BASES) rendered.clear();
    const result = { body, etag };
    rendered.set(base, result);
    return result;
  };
  return (req, res) => {
    const base = options.publicUrl ?? `${req.protocol}://${req.get('host')}`;
    const { body, etag } = rendered.get(base) ?? render(base);
    res.setHeader('ETag', etag);
    res.setHeader('Cache-Control', 'public, no-cache');
    if (req.fresh) {
      res.status(304).end();
      return;
    }
    res.type('application/json').send(body);
  };
}
