import type { Request, Response } from 'express';
import { internalError } from '../../../lib/errors.ts';
import { requestIdOf } from '../../../lib/http/requestId.ts';
import { OpenDataError } from '../../catalog/anonymousQuery.ts';
import type { ServiceLogger } from '../../../lib/observability/logger.ts';
import type { CachedBody } from './timedCache.ts';

/** A parameter the map's endpoints refuse: a 400 with the reason. */
export class MapParameterError extends Error {}

/** The error body every route of the hub gives, with the request's id (never a stack or SQL). */
function sendError(res: Response, status: number, code: string, message: string, retryAfterSeconds?: number): void {
  if (retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(Math.max(1, Math.ceil(retryAfterSeconds))));
  res.setHeader('Cache-Control', 'no-store');
  res.status(status).json({ errors: [{ message, extensions: { code, requestId: requestIdOf(res) } }] });
}

/**
 * Answers a cached JSON body: `Cache-Control: public` for `maxAgeSeconds` (open data, the same for every
 * visitor), its strong ETag, 304 when the client holds it. A refused parameter is a 400; an open-data error
 * gets the status GraphQL would have given (400, 404, 429, else 503), with its message; anything else a 500
 * with the request id only.
 */
export async function sendCached(req: Request, res: Response, maxAgeSeconds: number, type: string, read: () => Promise<CachedBody>, log: ServiceLogger): Promise<void> {
  try {
    const { body, etag } = await read();
    res.setHeader('Cache-Control', `public, max-age=${maxAgeSeconds}`);
    res.setHeader('ETag', etag);
    if (req.fresh) {
      res.status(304).end();
      return;
    }
    res.type(type).send(body);
  } catch (error) {
    if (error instanceof MapParameterError) return sendError(res, 400, 'BAD_USER_INPUT', error.message);
    if (error instanceof OpenDataError) {
      const status = ({ BAD_USER_INPUT: 400, NOT_FOUND: 404, RATE_LIMITED: 429 } as Record<string, number>)[error.code];
      if (status) return sendError(res, status, error.code, error.message, status === 429 ? (error.retryAfterSeconds ?? 1) : undefined);
      log.warn({ err: error, requestId: requestIdOf(res), path: req.path }, 'the map could not read the open data');
      return sendError(res, 503, error.code, `the map's data could not be read now (${error.message}); retry later`, 30);
    }
    log.error({ err: error, requestId: requestIdOf(res), path: req.path }, 'a map endpoint failed');
    res.setHeader('Cache-Control', 'no-store');
    res.status(500).json({ errors: [internalError(requestIdOf(res))] });
  }
}
