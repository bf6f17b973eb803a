import { randomUUID } from 'node:crypto';
import type { ApolloServerPlugin } from '@apollo/server';
import type { Request, RequestHandler, Response } from 'express';

/** The header that carries a request's id: from the client, back to it, and from the gateway to each subgraph. */
export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * What an incoming id must look like to be kept: short, printable and free of separators, so it can go into
 * a log line or a header unescaped. Any other value is replaced, never rejected: the id serves the operator.
 */
const SANE_REQUEST_ID = /^[A-Za-z0-9._-]{8,128}$/;

/**
 * Gives each request one id: the caller's `X-Request-Id` when it looks sane and the caller is trusted to set
 * it (the gateway: a configured proxy; a subgraph: its callers, the gateway, since subgraphs are not published),
 * else a new UUID. It is returned
 * in the response's `X-Request-Id` (whatever answers: GraphQL, GraphiQL, an error page) and kept in
 * `res.locals` ({@link requestIdOf}); GraphQL contexts carry it from there, and the errors of a GraphQL request are
 * tagged with it ({@link tagErrorsWithRequestId}), so an error masked in a GraphQL response and the log line that
 * holds its detail carry the same id.
 *
 * No AsyncLocalStorage: on Node.js 20 it runs a hook on every promise the process makes, which cost the gateway
 * about a tenth of its CPU per request (bench:peers, `area`). The id travels explicitly instead.
 */
export function requestId(options: { trusted?: (req: Request) => boolean } = {}): RequestHandler {
  const trusted = options.trusted ?? (() => true);
  return (req, res, next) => {
    const id = requestIdFor(req.get(REQUEST_ID_HEADER), () => trusted(req));
    res.locals.requestId = id;
    res.setHeader(REQUEST_ID_HEADER, id);
    next();
  };
}

/** A request's id: the caller's `incoming` one when it looks sane and the caller is `trusted`, else a new UUID. */
export function requestIdFor(incoming: string | string[] | undefined, trusted: () => boolean): string {
  return typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming) && trusted() ? incoming : randomUUID();
}

/** The id `requestId()` gave the request this response answers. */
export function requestIdOf(res: Response): string {
  return typeof res.locals.requestId === 'string' ? res.locals.requestId : randomUUID();
}

/** The request id of each error a GraphQL request met (the error objects Apollo hands to `formatError`). */
const requestIdOfErrors = new WeakMap<object, string>();

/** Tags `error` with the id of the request it belongs to, for `formatError` (lib/http/maskUnexpectedErrors.ts). */
export function tagErrorWithRequestId(error: unknown, id: string | undefined): void {
  if (id && error !== null && typeof error === 'object') requestIdOfErrors.set(error, id);
}

/** The request id `error` was tagged with, or that of the error it wraps (Apollo wraps a failed context's error). */
export function requestIdOfError(error: unknown): string | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  return requestIdOfErrors.get(error) ?? requestIdOfError((error as { originalError?: unknown }).originalError ?? null);
}

/**
 * Apollo's plugin that tags every error of a request with the context's `requestId` before the errors are
 * formatted: `formatError` has no access to the request, and each error must carry its id.
 */
export function tagErrorsWithRequestId<TContext extends { requestId?: string }>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          for (const error of errors) tagErrorWithRequestId(error, contextValue.requestId);
        },
      };
    },
  };
}

/**
 * What `formatError` puts in place of the id when it cannot know it: an error Apollo raised before the request's
 * pipeline started (a malformed HTTP request), which no plugin sees. {@link requestIdInErrorAnswers} puts the real
 * id there before the answer leaves.
 */
export const UNKNOWN_REQUEST_ID = '\u0000request-id\u0000';
const UNKNOWN_IN_JSON = JSON.stringify(UNKNOWN_REQUEST_ID);

/** `answer` (JSON text) with the placeholder {@link UNKNOWN_REQUEST_ID} replaced by the request's own `id`. */
export function withRequestId(answer: string, id: string): string {
  return answer.includes(UNKNOWN_IN_JSON) ? answer.replaceAll(UNKNOWN_IN_JSON, JSON.stringify(id)) : answer;
}

/** Mounted before Apollo's middleware: a placeholder id in an answer becomes the request's own (a search per answer). */
export function requestIdInErrorAnswers(): RequestHandler {
  return (_req, res, next) => {
    const send = res.send.bind(res);
    res.send = (body: unknown) => send(typeof body === 'string' ? withRequestId(body, requestIdOf(res)) : body);
    next();
  };
}
