import { request as httpRequest, STATUS_CODES, type Agent } from 'node:http';
import { GraphQLError, Kind, parse, type DocumentNode, type FieldNode, type GraphQLFormattedError, type SelectionSetNode } from 'graphql';
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import type { GatewayContext } from './auth/AccessControlledGateway.ts';
import { REQUEST_ID_HEADER } from '../lib/http/requestId.ts';
import { SubgraphFailure } from './SubgraphFailure.ts';
import { loggerFor } from '../lib/observability/logger.ts';
import { observeSubgraphFetch } from '../lib/observability/subgraphFetch.ts';
import { injectTraceContext } from '../lib/observability/tracing.ts';
import type { EntityCache } from './cache/EntityCache.ts';
import type { FetchCachePolicy } from './cache/cachePolicy.ts';
import type { InProcessSubgraph } from '../lib/inProcessSubgraph.ts';
import { cachedFetch, type FetchResult } from './cache/cachedFetch.ts';

/** At most this many PRODUCER_UNAVAILABLE errors per failed fetch: a list of 1,000 territories needs no 1,000 lines. */
const MAX_ERRORS_PER_FETCH = 50;

export interface ProducerDataSourceOptions {
  /** The subgraph's name in the supergraph (`orsal`). */
  name: string;
  /** Its public name, for the caller (`ORSAL (Observatoire régional de la santé)`). */
  title: string;
  url: string;
  /** Deadline of one call, in milliseconds. */
  timeoutMs: number;
  /** The HTTP connections to the subgraphs (keep-alive sockets), shared by the gateway's sources. */
  agent: Agent;
  /** The subgraph in this very process: called without HTTP, with the same deadline, token and failure handling. */
  inProcess?: InProcessSubgraph;
  /** Where the gateway's log lines go: a failure's detail (URL, host, cause), under the request id. @default the process's log */
  log?: (line: string) => void;
  /** The entity cache and the cache policy of each fetch (gateway/cache/): anonymous fetches of open fields only. */
  cache?: { store: EntityCache; policyOf: (query: string) => FetchCachePolicy };
}

/** The parsed body, or undefined when it is not JSON (a proxy's page with a JSON content type). */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The response names a fetch asks for at its top level, or under `_entities`: what a failure leaves out. */
function requestedFields(document: DocumentNode): { entities: boolean; fields: string[] } {
  const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
  if (!operation || operation.kind !== Kind.OPERATION_DEFINITION) return { entities: false, fields: [] };
  const names = (set: SelectionSetNode | undefined): string[] =>
    (set?.selections ?? []).flatMap((s) => (s.kind === Kind.FIELD ? (s.name.value === '__typename' ? [] : [(s.alias ?? s.name).value]) : s.kind === Kind.INLINE_FRAGMENT ? names(s.selectionSet) : []));
  const top = operation.selectionSet.selections.filter((s): s is FieldNode => s.kind === Kind.FIELD);
  const entities = top.find((f) => f.name.value === '_entities');
  if (entities) return { entities: true, fields: [...new Set(names(entities.selectionSet))] };
  return { entities: false, fields: [...new Set(names(operation.selectionSet))] };
}

/**
 * A subgraph as the gateway calls it, with a deadline, and whose outage costs only its own fields.
 *
 * When the call fails — refused, reset, past its deadline, or answered by something other than GraphQL — the
 * fetch answers as a subgraph would: no data, and one `PRODUCER_UNAVAILABLE` error per field it was asked for,
 * at that field's path (`_entities` paths are turned into the response's own paths by the gateway). The fields
 * producers contribute to shared types are nullable, so the rest of the answer — other producers' fields —
 * stands. The error names the producer publicly and never the URL, host or cause, which go to the log under
 * the request id. A subgraph refusing the forwarded token (401/403) keeps its own answer.
 */
export class ProducerDataSource implements GraphQLDataSource<GatewayContext> {
  constructor(private readonly options: ProducerDataSourceOptions) {}

  async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    // GraphQLDataSourceRequestKind is not exported: its INCOMING_OPERATION value.
    if (options.kind !== ('incoming operation' as typeof options.kind)) return this.fetchOnce(options);
    const cache = this.options.cache;
    const query = options.request.query;
    // Only what an anonymous caller asked is shared through the cache: a request with a token neither reads nor
    // fills it (whatever it selects), and a fetch selecting a restricted field is never cacheable (cachePolicy.ts).
    const context = options.context as GatewayContext;
    if (cache?.store.enabled && query && !context.authorization) {
      const policy = cache.policyOf(query);
      // The answer cache keeps the whole answer only if every fetch it made could be kept, and only as long as
      // each subgraph it read stays as it was before this read (gateway/cache/AnswerCache.ts).
      context.answer?.reads(this.options.name, cache.store.generation(this.options.name), policy.maxAgeSeconds * 1000);
      if (policy.maxAgeSeconds > 0) {
        // One catch-up round trip per request, shared with the answer cache's lookup if it made one.
        return cachedFetch(
          cache.store,
          this.options.name,
          query,
          options.request.variables as Record<string, unknown> | undefined,
          policy,
          (variables) => this.fetchOnce({ ...options, request: { ...options.request, variables } } as GraphQLDataSourceProcessOptions<GatewayContext>) as Promise<FetchResult>,
          () => cache.store.caughtUp(context.answer ?? context),
        ) as Promise<GatewayGraphQLResponse>;
      }
    }
    if (context.answer) context.answer.cacheable = false;
    return this.fetchOnce(options);
  }

  /** One call to the subgraph, bounded by the deadline; a failure answers as the subgraph's fields being unavailable. */
  private async fetchOnce(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    // One timer per call, cleared when it ends (AbortSignal.timeout's cannot be: each would fire later, for nothing).
    const deadline = new AbortController();
    // Unref'd: a call in flight never keeps a stopping process alive past its shutdown.
    const timer = setTimeout(() => deadline.abort(), this.options.timeoutMs).unref();
    const signal = deadline.signal;
    const observed = observeSubgraphFetch(this.options.name);
    try {
      // The signal bounds the whole call: connecting, waiting, and reading the body.
      const result = await observed.run(() => (this.options.inProcess ? this.callInProcess(this.options.inProcess, options, signal) : this.callOverHttp(options, signal)));
      observed.end('ok');
      return result;
    } catch (error) {
      observed.end(signal.aborted ? 'timeout' : 'unreachable');
      const failure = error instanceof SubgraphFailure ? error : SubgraphFailure.from(this.options.name, error);
      if (!(failure instanceof SubgraphFailure)) throw failure;
      loggerFor('gateway', this.options.log).warn(
        {
          requestId: (options.context as GatewayContext).requestId,
          subgraph: this.options.name,
          reason: signal.aborted ? 'TIMEOUT' : 'UNREACHABLE',
          ...(signal.aborted ? { timeoutMs: this.options.timeoutMs } : {}),
          err: failure,
        },
        'producer unavailable',
      );
      return { errors: this.unavailable(options, signal.aborted) };
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The call over HTTP: a GraphQL POST on a kept-alive connection. Subgraphs verify the caller's token themselves
   * (defence in depth), so it is forwarded untouched; the request id goes along, so one id finds a request's whole
   * story in every log; with tracing on, the subgraph's span is a child of this fetch's (W3C traceparent). Anything
   * but a 2xx JSON answer is a failure: a 401/403 keeps its code (the caller's business, SubgraphFailure.from), the
   * rest names the URL and status only in the log.
   */
  private async callOverHttp(options: GraphQLDataSourceProcessOptions<GatewayContext>, signal: AbortSignal): Promise<GatewayGraphQLResponse> {
    const context = options.context as Partial<GatewayContext>;
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (context.authorization) headers.authorization = context.authorization;
    if (context.requestId) headers[REQUEST_ID_HEADER] = context.requestId;
    injectTraceContext({ set: (name: string, value: string) => (headers[name] = value) });
    const { query, variables, operationName, extensions } = options.request;
    const body = JSON.stringify({ query, variables, operationName, extensions });
    const { url, agent } = this.options;
    headers['content-length'] = String(Buffer.byteLength(body));
    // node:http itself: headers and body leave in one write, and the answer is read as text in one piece.
    const response = await new Promise<{ statusCode: number; headers: Record<string, unknown>; text: string }>((resolve, reject) => {
      const sent = httpRequest(url, { method: 'POST', headers, agent, signal }, (answer) => {
        answer.setEncoding('utf8');
        let text = '';
        answer.on('data', (chunk: string) => (text += chunk));
        answer.on('end', () => resolve({ statusCode: answer.statusCode ?? 0, headers: answer.headers, text }));
        answer.on('error', reject);
      });
      sent.on('error', reject);
      sent.end(body);
    });
    const text = response.text;
    const type = String(response.headers['content-type'] ?? '');
    const json = /^application\/(graphql-response\+)?json/.test(type) ? parseJson(text) : undefined;
    if (response.statusCode < 200 || response.statusCode > 299) {
      const status = response.statusCode;
      const code = status === 401 ? 'UNAUTHENTICATED' : status === 403 ? 'FORBIDDEN' : undefined;
      const statusText = STATUS_CODES[status] ?? '';
      throw SubgraphFailure.from(this.options.name, new GraphQLError(`${status}: ${statusText}`, { extensions: { ...(code ? { code } : {}), response: { url, status, statusText, body: json ?? text } } }));
    }
    // A GraphQL answer is an object: an array or a bare value (a proxy, a wrong endpoint) is a failure, never an empty answer.
    if (!json || typeof json !== 'object' || Array.isArray(json)) {
      // Described like a failed status (SubgraphFailure cuts the body to what the log needs).
      const status = response.statusCode;
      throw new SubgraphFailure(this.options.name, new GraphQLError(`not a GraphQL answer (${type || 'no content type'})`, { extensions: { response: { url, status, body: json ?? text } } }));
    }
    return json as GatewayGraphQLResponse;
  }

  /** The in-process call, bounded by the same deadline as an HTTP one (past it the answer is not waited for). */
  private callInProcess(call: InProcessSubgraph, options: GraphQLDataSourceProcessOptions<GatewayContext>, signal: AbortSignal) {
    const { query, variables, operationName } = options.request;
    const answer = call({ query: query ?? '', variables: variables as Record<string, unknown> | undefined, operationName }, { authorization: (options.context as GatewayContext).authorization, requestId: (options.context as GatewayContext).requestId });
    return new Promise<GatewayGraphQLResponse>((resolve, reject) => {
      const late = () => reject(new Error(`no answer within ${this.options.timeoutMs} ms`));
      signal.addEventListener('abort', late, { once: true });
      answer.then(
        (result) => (signal.removeEventListener('abort', late), resolve(result as never)),
        (error: unknown) => (signal.removeEventListener('abort', late), reject(SubgraphFailure.from(this.options.name, error))),
      );
    });
  }

  private unavailable(options: GraphQLDataSourceProcessOptions<GatewayContext>, late: boolean): GraphQLFormattedError[] {
    const document = ('document' in options ? options.document : undefined) ?? parse(options.request.query ?? '{ __typename }');
    const { entities, fields } = requestedFields(document);
    const { name, title, timeoutMs } = this.options;
    const message = `${title} is unavailable${late ? ` (no answer within ${timeoutMs / 1000} s)` : ''}: its fields are null in this answer; the rest is complete`;
    const extensions = { code: 'PRODUCER_UNAVAILABLE', producer: name, ...(late ? { reason: 'TIMEOUT' } : { reason: 'UNREACHABLE' }) };
    const count = entities ? ((options.request.variables?.representations as unknown[] | undefined)?.length ?? 0) : 1;
    const errors: GraphQLFormattedError[] = [];
    for (let i = 0; i < count && errors.length < MAX_ERRORS_PER_FETCH; i++) {
      for (const field of fields) {
        if (errors.length >= MAX_ERRORS_PER_FETCH) break;
        errors.push({ message, path: entities ? ['_entities', i, field] : [field], extensions });
      }
    }
    const total = count * fields.length;
    if (total > errors.length) errors.push({ message: `${title} is unavailable: ${total - errors.length} more fields are null in this answer`, extensions });
    return errors.length ? errors : [{ message, extensions }];
  }
}
