import http from 'node:http';
import express from 'express';
import type { AccessPolicy } from '../lib/auth/policy.ts';
import { describeRule, isAllowed } from '../lib/auth/principal.ts';
import type { TokenVerifier } from '../lib/auth/verify.ts';
import { requestIdOf } from '../lib/http/requestId.ts';

export interface PushOptions {
  /** Where each subgraph's GraphQL endpoint is, by name (its `/ingest` sits beside it). */
  subgraphUrls: Record<string, string>;
  /** The supergraph's access rules: pushing to a producer needs what its `ingest<Name>` mutation needs. */
  policy: AccessPolicy;
  verifier: TokenVerifier;
}

const mutationOf = (producer: string) => `Mutation.ingest${producer.charAt(0).toUpperCase()}${producer.slice(1)}`;
const FORWARDED = ['authorization', 'content-type', 'content-encoding', 'content-length', 'x-ingest-mapping'];

/**
 * `POST /ingest/<producer>`: a producer pushes a file to a running hub. The gateway loads no producer code:
 * it checks the caller against the rule of that producer's `ingest<Name>` mutation (from the supergraph)
 * and streams the body, as it comes, to the producer's subgraph, which reads it and answers the report.
 * Memory stays flat whatever the size; gzip passes through.
 */
export function pushRoute(options: PushOptions): express.Router {
  const router = express.Router();
  router.post('/ingest/:producer', async (req, res) => {
    const fail = (status: number, code: string, message: string) => res.status(status).json({ errors: [{ message, extensions: { code } }] });
    const producer = req.params.producer;
    const rule = options.policy.get(mutationOf(producer));
    const target = Object.hasOwn(options.subgraphUrls, producer) ? options.subgraphUrls[producer] : undefined;
    if (!rule || !target) return void fail(404, 'NOT_FOUND', `no producer "${producer}" takes files here`);
    let principal;
    try {
      principal = await options.verifier(req.headers.authorization);
    } catch (error) {
      return void fail(401, 'UNAUTHENTICATED', (error as Error).message);
    }
    if (!isAllowed(rule, principal)) {
      return void fail(principal.kind === 'user' ? 403 : 401, principal.kind === 'user' ? 'FORBIDDEN' : 'UNAUTHENTICATED', `pushing a file to ${producer} needs ${describeRule(rule)}`);
    }
    const url = new URL(target);
    url.pathname = url.pathname.replace(/\/graphql$/, '/ingest');
    url.search = new URL(req.originalUrl, 'http://x').search;
    const headers: Record<string, string> = { 'x-request-id': requestIdOf(res) };
    for (const name of FORWARDED) if (typeof req.headers[name] === 'string') headers[name] = req.headers[name] as string;
    const upstream = http.request(url, { method: 'POST', headers }, (answer) => {
      res.status(answer.statusCode ?? 502);
      if (answer.headers['content-type']) res.setHeader('content-type', answer.headers['content-type']);
      answer.pipe(res);
    });
    upstream.on('error', (error) => {
      console.error(`[${requestIdOf(res)}] push to ${producer} failed: ${error.message}`);
      if (!res.headersSent) fail(503, 'PRODUCER_UNAVAILABLE', `${producer} cannot take files right now; try again later`);
      else res.destroy();
    });
    req.pipe(upstream);
  });
  return router;
}
