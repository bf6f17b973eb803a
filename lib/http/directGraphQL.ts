import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
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
const notJson = Object.assign(new Error('the request body is not valid JSON'), { status: 400, type: 'entity.parse.failed' });

/**
 * The common case of `POST /graphql` — a JSON body of known length within the limit, no Content-Encoding, tracing
 * off — answered by Apollo Server directly, without Express: Express's request and response objects, its router
 * and body-parser cost a subgraph about 0.2 CPU ms per call (a lone subgraph answering `{ __typename }`: 0.31 →
 * 0.10 ms), the better part of what the cheapest calls cost, and a federated request makes several. Every other
 * request (another method, path, content type, a chunked or compressed body, one beyond the limit, any request
 * while tracing is on) goes to the Express app, which has the same route: its answers, errors included, are the
 * reference this path keeps to. The same security headers (read off helmet), the same request id, the same
 * context, and the same JSON errors for a body that does not parse.
 */
export function directGraphQL<TContext extends BaseContext>(options: DirectGraphQLOptions<TContext>): RequestListener {
  const { path, server, context, limitBytes, fallback } = options;
  const headers = securityHeaderValues();
  const answerFor = errorAnswers({ service: options.service, log: options.log });
  return (req, res) => {
    const length = Number(req.headers['content-length']);
    if (
      req.method !== 'POST' ||
      req.url !== path ||
      !PLAIN_JSON.test(req.headers['content-type'] ?? '') ||
      req.headers['content-encoding'] !== undefined ||
      req.headers['transfer-encoding'] !== undefined ||
      !(length >= 0 && length <= limitBytes) ||
      tracingUrl()
    ) {
      fallback(req, res);
      return;
    }
    const id = requestIdFor(req.headers[REQUEST_ID_HEADER], () => true);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    // Node's parser reads exactly Content-Length bytes; a client that leaves before is not answered.
    req.once('end', () => {
      void answer(req, res, id, Buffer.concat(chunks).toString('utf8')).catch((error: unknown) => send(res, id, answerFor(error, id)));
    });
  };

  async function answer(req: IncomingMessage, res: ServerResponse, id: string, text: string): Promise<void> {
    const body = parseBody(text);
    if (body === notJson) {
      send(res, id, answerFor(notJson, id));
      return;
    }
    const httpHeaders = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) httpHeaders.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const response = await server.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: 'POST', headers: httpHeaders, search: '', body },
      context: () => context(req, id),
    });
    for (const [name, value] of headers) res.setHeader(name, value);
    res.setHeader(REQUEST_ID_HEADER, id);
    for (const [name, value] of response.headers) res.setHeader(name, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') {
      const text = withRequestId(response.body.string, id);
      res.setHeader('content-length', Buffer.byteLength(text));
      res.end(text);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  }

  function send(res: ServerResponse, id: string, { status, body }: { status: number; body: unknown }): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const text = JSON.stringify(body);
    for (const [name, value] of headers) res.setHeader(name, value);
    res.setHeader(REQUEST_ID_HEADER, id);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }
}

/** The body as body-parser's strict JSON parser reads it: empty is `{}`, anything but an object or array is refused. */
function parseBody(text: string): unknown {
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
