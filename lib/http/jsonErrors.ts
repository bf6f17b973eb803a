import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { GraphQLFormattedError } from 'graphql';
import { internalError } from '../errors.ts';
import { requestIdOf } from './requestId.ts';
import { loggerFor } from '../observability/logger.ts';

export interface JsonErrorOptions {
  /** Who logs (`gateway`, `subgraph:atmo`). */
  service: string;
  /** Where the service's log lines go (JSON, one per call). @default the process's log (standard error) */
  log?: (line: string) => void;
}

/** What body-parser and friends attach to the errors they raise for a bad request. */
interface HttpError {
  status?: unknown;
  statusCode?: unknown;
  type?: unknown;
  limit?: unknown;
}

/** Messages of our own for the request errors body-parser raises: its messages quote the body and its parser. */
function clientMessage(error: HttpError, status: number): string {
  switch (error.type) {
    case 'entity.parse.failed':
      return 'the request body is not valid JSON';
    case 'entity.too.large':
      return `the request body is larger than ${typeof error.limit === 'number' ? `${error.limit} bytes` : 'the limit'}`;
    case 'charset.unsupported':
      return 'the request body must be JSON in UTF-8';
    case 'encoding.unsupported':
      return 'the request body uses an unsupported Content-Encoding';
    default:
      return (STATUS_CODES[status] ?? 'bad request').toLowerCase();
  }
}

function statusOf(error: HttpError): number {
  const status = typeof error.status === 'number' ? error.status : typeof error.statusCode === 'number' ? error.statusCode : 500;
  return status >= 400 && status < 600 ? status : 500;
}

/**
 * The app's last error handler: whatever failed before Apollo answered (a body that is not JSON, too large,
 * in another charset, a bug in a route) gets a GraphQL-shaped JSON error with the request's id, never
 * Express's HTML page, whose stack trace names the server's files (shown whenever NODE_ENV is not `production`).
 */
export function jsonErrors({ service, log }: JsonErrorOptions): ErrorRequestHandler {
  const answerFor = errorAnswers({ service, log });
  return (error: unknown, _req, res, next) => {
    // The response already started: only Express can end it (it closes the connection).
    if (res.headersSent) return next(error);
    const { status, body } = answerFor(error, requestIdOf(res));
    res.status(status).json(body);
  };
}

/**
 * The answer to an error met before Apollo answered, as {@link jsonErrors} sends it: a 4xx names what was wrong
 * with the request (never quoting it); anything else is logged and masked. For the routes that answer without
 * Express (lib/http/directGraphQL.ts).
 */
export function errorAnswers({ service, log }: JsonErrorOptions): (error: unknown, requestId: string) => { status: number; body: { errors: GraphQLFormattedError[] } } {
  const logger = loggerFor(service, log);
  return (error, requestId) => {
    const status = statusOf((error ?? {}) as HttpError);
    if (status < 500) return { status, body: { errors: [{ message: clientMessage(error as HttpError, status), extensions: { code: 'BAD_REQUEST', requestId } }] } };
    logger.error({ requestId, status, err: error }, 'unexpected error outside GraphQL');
    return { status, body: { errors: [internalError(requestId)] } };
  };
}

/** Any path no route serves: a JSON 404 rather than Express's HTML page. */
export function jsonNotFound(): RequestHandler {
  return (_req, res) => {
    res.status(404).json({ errors: [{ message: 'not found', extensions: { code: 'NOT_FOUND', requestId: requestIdOf(res) } }] });
  };
}
