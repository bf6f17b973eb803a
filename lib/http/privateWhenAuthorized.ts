import type { ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';

/**
 * A response to a request that carries credentials (`Authorization`) is for that caller alone: it gets
 * `Cache-Control: private, no-store` whatever a later handler set (Apollo writes its own cache policy), so
 * no shared cache — a proxy, a CDN — ever keeps or serves it. Every response also varies on
 * `Authorization`, so an anonymous answer a cache kept is never served to a caller with a token.
 */
export function privateWhenAuthorized(): RequestHandler {
  return (req, res, next) => {
    res.vary('Authorization');
    if (req.headers.authorization === undefined) return next();
    const writeHead = res.writeHead as (...args: unknown[]) => ServerResponse;
    // Set just before the headers leave, after every handler had its say.
    res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
      if (!this.headersSent) this.setHeader('Cache-Control', 'private, no-store');
      return writeHead.apply(this, args);
    } as typeof res.writeHead;
    next();
  };
}
