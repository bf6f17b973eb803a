import type { GraphQLResponse } from '../support/subgraph.ts';

/** What a client sees of one HTTP exchange: the status, the headers and the body, parsed when it is JSON. */
export interface Exchange {
  status: number;
  headers: Headers;
  text: string;
  json: GraphQLResponse | undefined;
}

/** Sends a raw HTTP request, the way a careless or hostile client might, and keeps everything it gets back. */
export async function send(url: string, init: RequestInit = {}): Promise<Exchange> {
  const response = await fetch(url, init);
  const text = await response.text();
  let json: GraphQLResponse | undefined;
  try {
    json = JSON.parse(text) as GraphQLResponse;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** POSTs a GraphQL request body as JSON. */
export function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Exchange> {
  return send(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

/** GETs a GraphQL request with its parameters in the URL (with the header Apollo's CSRF prevention asks of GET). */
export function getGraphQL(url: string, params: Record<string, string>, headers: Record<string, string> = {}): Promise<Exchange> {
  const target = new URL(url);
  for (const [key, value] of Object.entries(params)) target.searchParams.set(key, value);
  return send(target.href, { headers: { 'apollo-require-preflight': 'true', accept: 'application/json', ...headers } });
}

/** Internal details no client may see: SQL, file paths, hosts and ports, stack frames, Node's network errors. */
export const INTERNALS = /select |insert |\bfrom "|node_modules|\/work\/|127\.0\.0\.1|localhost|ECONNREFUSED|\bat .+:\d+:\d+|<html|<pre>|serviceName/i;
