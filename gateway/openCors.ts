import cors from 'cors';
import type { RequestHandler } from 'express';

/** What a browser app may send: JSON bodies, a bearer token, our request id, Apollo's CSRF header. */
const ALLOWED_HEADERS = ['content-type', 'authorization', 'x-request-id', 'apollo-require-preflight'];
/** What it may read back besides the CORS-safelisted headers: the id to quote, when to retry, cache validators, links. */
const EXPOSED_HEADERS = ['x-request-id', 'retry-after', 'etag', 'link'];

/**
 * CORS for the open routes (`/graphql`, `/catalog`), so portal widgets and notebooks on other origins can
 * read open data. `*` answers any origin without credentials (cookies are never honoured: a token is sent
 * as a header, and a restricted read still needs one); a list echoes a listed origin with `Vary: Origin` and
 * gives no CORS header to the others, which the browser then refuses. Apollo's CSRF prevention is unchanged:
 * a "simple" cross-origin request (a form post) is still refused, since preflights are what CORS governs.
 * Open data may also be embedded by any page (`Cross-Origin-Resource-Policy: cross-origin`), where helmet's
 * default elsewhere is same-origin.
 */
export function openCors(origins: '*' | string[]): RequestHandler {
  const allowed = origins === '*' ? undefined : new Set(origins);
  const handler = cors({
    origin: allowed ? (origin, done) => done(null, origin !== undefined && allowed.has(origin) ? origin : false) : '*',
    credentials: false,
    methods: ['GET', 'HEAD', 'POST', 'OPTIONS'],
    allowedHeaders: ALLOWED_HEADERS,
    exposedHeaders: EXPOSED_HEADERS,
    // Browsers cap it anyway (Chromium 2 h, Firefox 24 h).
    maxAge: 7200,
    optionsSuccessStatus: 204,
  });
  return (req, res, next) => {
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    // The answer depends on Origin even when the origin is refused: a shared cache must not reuse it for another.
    if (allowed) res.vary('Origin');
    handler(req, res, next);
  };
}
