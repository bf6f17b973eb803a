import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import createETag from 'etag';
import { HeaderMap, type ApolloServer, type BaseContext, type HTTPGraphQLResponse } from '@apollo/server';
import { tracingUrl } from '../observability/tracing.ts';
import { errorAnswers } from './jsonErrors.ts';
import { REQUEST_ID_HEADER, requestIdFor, withRequestId } from './requestId.ts';
import { securityHeaderValues } from './securityHeaders.ts';

export interface DirectGraphQLOptions<TContext extends BaseContext> {
  /** The path GraphQL is posted to (exactly: with a query string, the request goes to `fallback`). */
  path: string;
  server: ApolloServer<TContext>;
  /** The request's context, from its headers and its id (the same function the Express route is given). */
  context: (req: IncomingMessage, requestId: string) => Promise<TContext>;
  /** The largest body taken, in bytes (as `express.json({ limit })` on the Express route). */
  limitBytes: number;
  /** Who logs the errors met before Apollo answers (`subgraph:atmo`). */
  service: string;
  log?: (line: string) => void;
  /** Everything else: the service's Express app, which holds every route, this one included. */
  fallback: RequestListener;
}

/** `application/json`, with no charset or UTF-8 (body-parser's default, and what every GraphQL client sends). */
const PLAIN_JSON = /^application\/json\s*(?:;\s*charset="?utf-8"?\s*)?$/i;

/** The error body-parser raises for a body that is not a JSON object or array: the same answer either way. */
export const notJson = Object.assign(new Error('the request body is not valid JSON'), { status: 400, type: 'entity.parse.failed' });

/**
 * Whether `req` is the common case a direct route answers: `POST path` with a JSON body of known length within
 * `limitBytes`, no Content-Encoding, no chunking, while tracing is off (its spans are the Express route's).
 */
export function isPlainGraphQLPost(req: IncomingMessage, path: string, limitBytes: number): boolean {
  const length = Number(req.headers['content-length']);
  return (
    req.method === 'POST' &&
    req.url === path &&
    PLAIN_JSON.test(req.headers['content-type'] ?? '') &&
    req.headers['content-encoding'] === undefined &&
    req.headers['transfer-encoding'] === undefined &&
    length >= 0 &&
    length <= limitBytes &&
    !tracingUrl()
  );
}

/** Calls `then` with the request's body once read. Node's parser reads exactly Content-Length bytes; a client that leaves before is not answered. */
export function readBody(req: IncomingMessage, then: (text: string) => void): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.once('end', () => then(Buffer.concat(chunks).toString('utf8')));
}

/** The body as body-parser's strict JSON parser reads it: empty is `{}`, anything but an object or array is {@link notJson}. */
export function parseBody(text: string): unknown {
  const trimmed = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (trimmed.length === 0) return {};
  const first = trimmed.trimStart()[0];
  if (first !== '{' && first !== '[') return notJson;
  try {
    return JSON.parse(trimmed) as unknown;
  } catch {
    return notJson;
  }
}

/** Apollo Server's answer to a parsed POST body, with `req`'s headers, as its Express integration asks for it. */
export function apolloAnswer<TContext extends BaseContext>(server: ApolloServer<TContext>, req: IncomingMessage, body: unknown, context: () => Promise<TContext>): Promise<HTTPGraphQLResponse> {
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  return server.executeHTTPGraphQLRequest({ httpGraphQLRequest: { method: 'POST', headers, search: '', body }, context });
}

/**
 * Sends `text` with `status` and `headers` in that order (a later one replaces an earlier one of the same name), and
 * its Content-Length; with `etag`, the weak ETag Express's `res.send` gives the same bytes.
 */
export function sendText(res: ServerResponse, status: number, headers: Iterable<readonly [string, string]>, text: string, options: { etag?: boolean } = {}): void {
  for (const [name, value] of headers) res.setHeader(name, value);
  res.statusCode = status;
  if (options.etag) {
    const bytes = Buffer.from(text, 'utf8');
    res.setHeader('content-length', bytes.length);
    res.setHeader('etag', createETag(bytes, { weak: true }));
    res.end(bytes);
    return;
  }
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(text);
}

/** Sends Apollo's `response`, after `headers`, with the request id in place of any placeholder (lib/http/requestId.ts). */
export async function sendApolloAnswer(res: ServerResponse, headers: Iterable<readonly [string, string]>, response: HTTPGraphQLResponse, id: string, options: { etag?: boolean } = {}): Promise<void> {
  if (response.body.kind === 'complete') {
    sendText(res, response.status ?? 200, [...headers, ...response.headers], withRequestId(response.body.string, id), options);
    return;
  }
  for (const [name, value] of [...headers, ...response.headers]) res.setHeader(name, value);
  res.statusCode = response.status ?? 200;
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}

/**
 * The common case of `POST /graphql` to a subgraph — {@link isPlainGraphQLPost} — answered by Apollo Server
 * directly, without Express: Express's request and response objects, its router and body-parser cost a subgraph
 * about 0.2 CPU ms per call (a lone subgraph answering `{ __typename }`: 0.31 → 0.10 ms), the better part of what
 * the cheapest calls cost, and a federated request makes several. Every other request goes to the Express app,
 * which has the same route: its answers, errors included, are the reference this path keeps to. The same security
 * headers (read off helmet), the same request id, the same context, and the same JSON errors for a body that does
 * not parse.
 */
export function directGraphQL<TContext extends BaseContext>(options: DirectGraphQLOptions<TContext>): RequestListener {
  const { path, server, context, limitBytes, fallback } = options;
  const headers = securityHeaderValues();
  const answerFor = errorAnswers({ service: options.service, log: options.log });
  return (req, res) => {
    if (!isPlainGraphQLPost(req, path, limitBytes)) {
      fallback(req, res);
      return;
    }
    const id = requestIdFor(req.headers[REQUEST_ID_HEADER], () => true);
    const fixed = [...headers, [REQUEST_ID_HEADER, id] as const];
    const fail = (error: unknown) => {
      if (res.headersSent) return void res.destroy();
      const { status, body } = answerFor(error, id);
      sendText(res, status, [...fixed, ['content-type', 'application/json; charset=utf-8']], JSON.stringify(body));
    };
    readBody(req, (text) => {
      const body = parseBody(text);
      if (body === notJson) return fail(notJson);
      apolloAnswer(server, req, body, () => context(req, id))
        .then((response) => sendApolloAnswer(res, fixed, response, id))
        .catch(fail);
    });
  };
}
