import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';

/** The header that carries a request's id: from the client, back to it, and from the gateway to each subgraph. */
export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * What an incoming id must look like to be kept: short, printable and free of separators, so it can go into
 * a log line or a header unescaped. Any other value is replaced, never rejected: the id serves the operator.
 */
const SANE_REQUEST_ID = /^[A-Za-z0-9._-]{8,128}$/;

const current = new AsyncLocalStorage<string>();

/**
 * Gives each request one id: the caller's `X-Request-Id` when it looks sane and the caller is trusted to set
 * it (the gateway: a configured proxy; a subgraph: its callers, the gateway, since subgraphs are not published),
 * else a new UUID. It is returned
 * in the response's `X-Request-Id` (whatever answers: GraphQL, GraphiQL, an error page) and is the request's
 * `currentRequestId()` for the rest of its handling, so an error masked in a GraphQL response and the log line
 * that holds its detail carry the same id.
 */
export function requestId(options: { trusted?: (req: Request) => boolean } = {}): RequestHandler {
  const trusted = options.trusted ?? (() => true);
  return (req, res, next) => {
    const incoming = req.get(REQUEST_ID_HEADER);
    const id = incoming !== undefined && SANE_REQUEST_ID.test(incoming) && trusted(req) ? incoming : randomUUID();
    res.locals.requestId = id;
    res.setHeader(REQUEST_ID_HEADER, id);
    current.run(id, next);
  };
}

/** The id of the request being handled, or undefined outside one (a job, start-up). */
export function currentRequestId(): string | undefined {
  return current.getStore();
}

/** The id `requestId()` gave the request this response answers. */
export function requestIdOf(res: Response): string {
  return typeof res.locals.requestId === 'string' ? res.locals.requestId : randomUUID();
}
