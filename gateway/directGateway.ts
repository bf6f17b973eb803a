import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { ApolloServer } from '@apollo/server';
import type { GatewayContext } from './auth/AccessControlledGateway.ts';
import type { LoadShedding } from './loadShedding.ts';
import { refusalBody, releaseWhenDone } from './loadShedding.ts';
import type { EarlyDecision } from './expensiveGate.ts';
import type { AnswerCache, AnswerTicket } from './cache/AnswerCache.ts';
import { apolloAnswer, isPlainGraphQLPost, notJson, parseBody, readBody, sendApolloAnswer, sendText } from '../lib/http/directGraphQL.ts';
import { errorAnswers } from '../lib/http/jsonErrors.ts';
import { REQUEST_ID_HEADER, requestIdFor, withRequestId } from '../lib/http/requestId.ts';
import proxyaddr from 'proxy-addr';

export interface DirectGatewayOptions {
  server: ApolloServer<GatewayContext>;
  /** The largest body taken, in bytes (as `express.json({ limit })` on the Express route). */
  limitBytes: number;
  /**
   * The headers the Express route's middleware sets on an anonymous `POST /graphql` with no Origin, before the body
   * is read (security headers, `Vary`, CORS): recorded off that very middleware (lib/http/headersSetBy.ts).
   */
  headers: readonly (readonly [string, string])[];
  /**
   * Express's `trust proxy` function: from a trusted proxy, the client is the address it forwarded for (`req.ip`,
   * computed here by the same proxy-addr) and its X-Request-Id is kept.
   */
  trustProxy: (address: string, hop: number) => boolean;
  shedding: Pick<LoadShedding, 'admit'>;
  /** The expensive gate's early check (gateway/expensiveGate.ts). */
  check: (body: unknown, clientOf: () => string) => EarlyDecision;
  answerCache?: AnswerCache;
  /** The GraphQL context of an anonymous request (the same function the Express route is given). */
  context: (request: { authorization: undefined; requestId: string; client: string; answer: AnswerTicket | undefined; priceKey: string | undefined }) => Promise<GatewayContext>;
  log?: (line: string) => void;
  /** Everything else: the gateway's Express app, which holds every route, this one included. */
  fallback: RequestListener;
}

const JSON_TYPE = ['content-type', 'application/json; charset=utf-8'] as const;

/**
 * The gateway's `POST /graphql` for the common case — an anonymous request (no Authorization, no Origin) with a plain
 * JSON body (lib/http/directGraphQL.ts) — answered without Express. Express's request and response objects, router,
 * body-parser and the route's `res.send` wrappers cost the gateway about 0.3 CPU ms per request (a lone gateway
 * answering `{ __typename }`: 0.46 through them, 0.17 for Apollo alone), more than a kept answer costs otherwise. The same steps run, in the same order, through the same functions: the request id, the rate
 * limits (`admit`), the recorded headers, the body's parse, the expensive gate's early check, the answer cache, then
 * Apollo with the same context; the answer is the Express route's, byte for byte, ETag included
 * (test/protection/direct-gateway.test.ts compares them). Tokens, browsers (CORS) and tracing keep the Express
 * route, which stays the reference.
 */
export function directGateway(options: DirectGatewayOptions): RequestListener {
  const { server, limitBytes, shedding, answerCache, fallback } = options;
  const answerFor = errorAnswers({ service: 'gateway', log: options.log });
  return (req, res) => {
    const peer = req.socket.remoteAddress;
    if (!isPlainGraphQLPost(req, '/graphql', limitBytes) || req.headers.authorization !== undefined || req.headers.origin !== undefined || peer === undefined) {
      fallback(req, res);
      return;
    }
    // As Express's `req.ip` and the requestId() middleware have them.
    const address = proxyaddr(req, options.trustProxy);
    const id = requestIdFor(req.headers[REQUEST_ID_HEADER], () => options.trustProxy(peer, 0));
    const fail = (error: unknown) => {
      if (res.headersSent) return void res.destroy();
      const { status, body } = answerFor(error, id);
      sendText(res, status, [[REQUEST_ID_HEADER, id], ...options.headers, JSON_TYPE], JSON.stringify(body), { etag: true });
    };
    shedding.admit(address, undefined).then((admitted) => {
      if ('refusal' in admitted) {
        const { refusal } = admitted;
        sendText(res, refusal.status, [[REQUEST_ID_HEADER, id], ['retry-after', String(refusal.retryAfterSeconds)], JSON_TYPE], JSON.stringify(refusalBody(refusal, id)), { etag: true });
        return;
      }
      releaseWhenDone(res, admitted.release);
      readBody(req, (text) => void answer(req, res, id, `address:${address}`, text).catch(fail));
    }).catch(fail);
  };

  async function answer(req: IncomingMessage, res: ServerResponse, id: string, client: string, text: string): Promise<void> {
    const started = performance.now();
    const fixed = [[REQUEST_ID_HEADER, id] as const, ...options.headers];
    const body = parseBody(text);
    if (body === notJson) throw notJson;
    const decided = options.check(body, () => client);
    if (decided.refusal) {
      const retry = decided.refusal.retryAfterSeconds === undefined ? [] : [['retry-after', String(decided.refusal.retryAfterSeconds)] as const];
      sendText(res, decided.refusal.status, [...fixed, ...retry, JSON_TYPE], JSON.stringify(decided.refusal.body(id)), { etag: true });
      return;
    }
    const found = await answerCache?.lookup({ method: 'POST', authorization: undefined, accept: req.headers.accept, body }, () => client);
    if (found && 'hit' in found) {
      sendText(res, 200, [...fixed, ...found.hit.headers], found.hit.body, { etag: true });
      answerCache!.replayed(found.hit, id, started);
      return;
    }
    const ticket = found?.ticket;
    const response = await apolloAnswer(server, req, body, () => options.context({ authorization: undefined, requestId: id, client, answer: ticket, priceKey: decided.priceKey }));
    if (ticket && response.body.kind === 'complete') {
      // What the Express route keeps: the headers Apollo set, beside those every answer gets.
      const already = new Set(fixed.map(([name]) => name));
      answerCache!.keep(ticket, response.status ?? 200, withRequestId(response.body.string, id), [...response.headers].filter(([name]) => !already.has(name) && name !== 'content-length' && name !== 'etag'));
    }
    await sendApolloAnswer(res, fixed, response, id, { etag: true });
  }
}
