import express, { type Request, type Response } from 'express';
import { internalError } from '../../lib/errors.ts';
import { requestIdOf } from '../../lib/http/requestId.ts';
import { loggerFor } from '../../lib/observability/logger.ts';
import { OpenDataError } from '../catalog/anonymousQuery.ts';
import { readCatalogWords } from '../catalog/catalogWords.ts';
import { OPEN_COLLECTIONS } from '../opendata/collections/index.ts';
import type { OpenCollection, OpenFeature } from '../opendata/openCollection.ts';
import type { OpenRouteOptions } from '../opendata/openRoute.ts';
import { csvExport } from './csvExport.ts';
import { digestOf, exportBody, featureBatches, type ExportJob } from './exportBody.ts';
import type { ExportFormat } from './exportFormat.ts';
import { exportLicence, type ExportLicence } from './exportLicence.ts';
import { parseExportQuery } from './exportQuery.ts';
import { exportsListing } from './exportsListing.ts';
import { flatgeobufExport } from './flatgeobufExport.ts';
import { geojsonExport } from './geojsonExport.ts';
import { ExportAborted, streamExport, type ContentCoding } from './streamExport.ts';

/** The formats, in the order the listing gives them. */
export const EXPORT_FORMATS: ExportFormat[] = [csvExport, geojsonExport, flatgeobufExport];

/** Validators' first sighting kept for Last-Modified: enough for every export a hub is asked often. */
const MAX_FIRST_SEEN = 10_000;

/** The error body every route of the hub gives, with the request's id. */
function sendError(res: Response, status: number, code: string, message: string, retryAfterSeconds?: number): void {
  if (retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(Math.max(1, Math.ceil(retryAfterSeconds))));
  res.status(status).json({ errors: [{ message, extensions: { code, requestId: requestIdOf(res) } }] });
}

/** gzip or Brotli when the client accepts one (gzip first: every client has it), else the bytes as they are. */
function codingFor(req: Request): ContentCoding {
  if (!req.get('accept-encoding')) return 'identity';
  const chosen = req.acceptsEncodings('gzip', 'br', 'identity');
  return chosen === 'gzip' || chosen === 'br' ? chosen : 'identity';
}

/** The ETag of a body of that digest in that coding (a coding is another representation: another tag). */
const etagOf = (digest: string, coding: ContentCoding) => `"${digest}${coding === 'identity' ? '' : `-${coding}`}"`;

/**
 * Whether the client's copy is current: If-None-Match names this body's digest, in any coding (a client that
 * hashed the file it decompressed holds the identity tag), else If-Modified-Since is not before Last-Modified.
 */
function fresh(req: Request, digest: string, lastModified: string): boolean {
  const tags = req.get('if-none-match');
  if (tags !== undefined) {
    const ours = (['identity', 'gzip', 'br'] as const).map((c) => etagOf(digest, c));
    return tags.split(',').some((tag) => tag.trim() === '*' || ours.includes(tag.trim().replace(/^W\//, '')));
  }
  const since = Date.parse(req.get('if-modified-since') ?? '');
  return !Number.isNaN(since) && Date.parse(lastModified) <= since;
}

/**
 * Bulk exports of the open collections at stable URLs, `/exports/<collection>.csv|.geojson|.fgb`, and their
 * list at `/exports`. Built on the open layer alone (gateway/opendata: anonymous GraphQL operations of the open
 * contract), so an export holds exactly what an anonymous GraphQL caller reads, whatever token the request
 * carries (Authorization is never read); its reads spend the requesting client's budgets.
 *
 * Every body is generated while it is sent, in constant memory; errors before the first byte get their
 * status (400, 404, 429, 503) and the hub's JSON error; after it, the transfer is cut visibly (streamExport.ts).
 *
 * Validators: an export has no data version to stamp it with, and a validator derived from anything but the
 * bytes (counts, latest dates) would miss an in-place correction (a measurement validated, a value
 * withheld) and answer 304 for changed open data. So the only validator is the body itself: a strong ETag,
 * the SHA-256 of the uncompressed bytes, known only once the body is generated. It is given when it costs no
 * second read of the data:
 * - collections that read their features to count them (every segment already holds its features) generate
 *   the body twice from memory: one pass for the digest, one to send; every answer has its ETag;
 * - long series read segment by segment (indice ATMO, measurements, analyses) start sending at once, without
 *   an ETag; a conditional request (If-None-Match, If-Modified-Since) pays one more read: a pass generating the
 *   body into the hash alone; a match answers 304 (the transfer is saved), else the body is generated again
 *   under that ETag and checked against it as it goes (data changed between the two reads: the transfer is cut).
 *   A harvester gets the tag from such an answer, or computes it from a file it downloaded (base64url SHA-256).
 * Last-Modified is when this process first produced that very body.
 * An HTTP/1.0 request (no chunked encoding) gets the pre-pass too, for a Content-Length: without it a cut
 * transfer would end like a whole one.
 */
export function exportsRoute(options: OpenRouteOptions): express.Router {
  const words = readCatalogWords();
  const log = loggerFor('gateway', options.log);
  const collections = new Map(OPEN_COLLECTIONS.map((c) => [c.id, c]));
  // Checked when the gateway starts: a collection without a licence is never exported.
  const licences = new Map<OpenCollection, ExportLicence>(OPEN_COLLECTIONS.map((c) => [c, exportLicence(c, words, options.titles)]));
  const formats = new Map(EXPORT_FORMATS.map((f) => [f.extension, f]));
  const firstSeen = new Map<string, string>();
  const lastModifiedOf = (digest: string) => {
    if (!firstSeen.has(digest)) {
      if (firstSeen.size >= MAX_FIRST_SEEN) firstSeen.clear();
      // A second back: Node's Date header is cached per second and Last-Modified must not be later than it.
      firstSeen.set(digest, new Date(Date.now() - 1000).toUTCString());
    }
    return firstSeen.get(digest)!;
  };

  const router = express.Router();
  if (options.before?.length) router.use('/exports', ...options.before);
  router.get('/exports', exportsListing({ collections: OPEN_COLLECTIONS, licences, formats: EXPORT_FORMATS, publicUrl: options.publicUrl }));

  router.get('/exports/:file', async (req, res) => {
    const requestId = requestIdOf(res);
    const [, id, extension] = /^(.+)\.([a-z]+)$/.exec(req.params.file) ?? [];
    const collection = collections.get(id ?? '');
    const format = formats.get(extension ?? '');
    if (!collection || !format) {
      sendError(res, 404, 'NOT_FOUND', `no export ${req.params.file}: GET /exports lists them (${[...formats.keys()].map((e) => `.${e}`).join(', ')})`);
      return;
    }
    // HTTP/1.0 has no chunked encoding: only a Content-Length lets its client (or a proxy speaking 1.0 to the
    // hub, nginx's default) tell a cut transfer from a whole one. It costs a pre-pass and no compression.
    const needsLength = req.httpVersion === '1.0';
    const coding = needsLength ? 'identity' : codingFor(req);
    let job: ExportJob;
    let digest: string | undefined;
    let length: number | undefined;
    let first: IteratorResult<OpenFeature[]>;
    let batches: AsyncGenerator<OpenFeature[]>;
    try {
      const { filter, french, wkt } = parseExportQuery(req.query as Record<string, unknown>, format.extension);
      // A budget spent mid-export (the client's or the hub's, per minute) slows the file down, never cuts it:
      // a fixed window refills within a minute.
      const ctx = { query: options.query, client: options.clientOf(req), requestId, maxWaitMs: 65_000 };
      const segments = await collection.segments(ctx, filter);
      const licence = licences.get(collection)!;
      job = { collection, ctx, filter, segments, format, settings: { collection, licence, licences: licence.uris(segments), crs: filter.crs ?? 'EPSG:4326', french, wkt } };
      const inMemory = segments.every((s) => s.features !== undefined);
      const conditional = req.get('if-none-match') !== undefined || req.get('if-modified-since') !== undefined;
      if (inMemory || conditional || needsLength) ({ digest, length } = await digestOf(job));
      const lastModified = digest ? lastModifiedOf(digest) : undefined;
      // Set only once the answer is known to be an export (an error answer is plain JSON).
      const headers = (status: 200 | 304) => {
        res.vary('Accept-Encoding');
        // Open data changes: a cache may keep an export but asks each time whether it is still current.
        res.setHeader('Cache-Control', 'public, no-cache');
        if (job.settings.licences.length) res.setHeader('Link', job.settings.licences.map((uri) => `<${uri}>; rel="license"`).join(', '));
        if (digest) res.setHeader('ETag', etagOf(digest, coding)).setHeader('Last-Modified', lastModified!);
        if (status === 304) return;
        res.setHeader('Content-Type', format.mediaType);
        res.setHeader('Content-Disposition', `attachment; filename="${collection.id}.${format.extension}"`);
        if (coding !== 'identity') res.setHeader('Content-Encoding', coding);
        if (needsLength) res.setHeader('Content-Length', String(length));
      };
      if (digest && fresh(req, digest, lastModified!)) {
        headers(304);
        res.status(304).end();
        return;
      }
      if (req.method === 'HEAD') {
        headers(200);
        res.status(200).end();
        return;
      }
      // The first read of features happens before the status line: its failure is still an HTTP error.
      batches = featureBatches(job);
      first = await batches.next();
      headers(200);
    } catch (error) {
      if (error instanceof OpenDataError) {
        const status = ({ BAD_USER_INPUT: 400, NOT_FOUND: 404, RATE_LIMITED: 429 } as Record<string, number>)[error.code];
        if (status) {
          sendError(res, status, error.code, error.message, status === 429 ? (error.retryAfterSeconds ?? 1) : undefined);
          return;
        }
        log.warn({ err: error, requestId, collection: collection.id }, 'an export could not be read');
        sendError(res, 503, error.code, `the export could not be read now (${error.message}); retry later`, 30);
        return;
      }
      log.error({ err: error, requestId, collection: collection.id }, 'an export failed before its first byte');
      res.status(500).json({ errors: [internalError(requestId)] });
      return;
    }

    async function* rest(): AsyncGenerator<OpenFeature[]> {
      if (first.done) return;
      yield first.value;
      yield* batches;
    }
    try {
      await streamExport(res, exportBody(job, rest()), coding, digest, needsLength ? length : undefined);
    } catch (error) {
      if (error instanceof ExportAborted && error.byClient) {
        log.info({ requestId, collection: collection.id }, 'an export was left by its client');
        return;
      }
      log.error({ err: error, requestId, collection: collection.id, format: format.extension }, 'an export broke off after its first byte: its transfer was cut short');
    }
  });
  return router;
}
