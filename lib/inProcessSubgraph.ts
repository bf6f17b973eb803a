import type { ApolloServer, BaseContext } from '@apollo/server';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { tracer, tracingUrl } from './observability/tracing.ts';

/** One operation as the gateway's query plan sends it to a subgraph. */
export interface SubgraphOperation {
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
}

/** What a subgraph answers: the body of its HTTP answer, as an object. */
export interface SubgraphAnswer {
  data?: Record<string, unknown> | null;
  errors?: readonly GraphQLFormattedError[];
  extensions?: Record<string, unknown>;
}

/**
 * A subgraph called in the gateway's own process: the operation and the caller's token, as they would travel in
 * an HTTP request, and the answer as its body would come back.
 */
export type InProcessSubgraph = (operation: SubgraphOperation, caller: { authorization?: string; requestId?: string }) => Promise<SubgraphAnswer>;

/**
 * Calls `server` without HTTP: its whole request pipeline runs — the token verified by the subgraph itself (the
 * context is built as for an HTTP request), validation, its cost limit, the audit of restricted reads, its metrics
 * and log line — only the socket, the HTTP parsing and the JSON text are left out. A token the subgraph refuses
 * gives the error it would have answered over HTTP.
 */
export function inProcessSubgraph<TContext extends BaseContext>(service: string, server: ApolloServer<TContext>, contextOf: (authorization: string | undefined, requestId?: string) => Promise<TContext>): InProcessSubgraph {
  const call = async (operation: SubgraphOperation, authorization: string | undefined, requestId: string | undefined): Promise<SubgraphAnswer> => {
    // A turn of the event loop first, as a socket would give: on the embedded database a whole federated request
    // could otherwise run in one chain of promises, and the process would accept no connection, answer no health
    // check and hear no signal until it ends.
    await new Promise((resolve) => setImmediate(resolve));
    let contextValue: TContext;
    try {
      contextValue = await contextOf(authorization, requestId);
    } catch (error) {
      if (error instanceof GraphQLError) return { errors: [error.toJSON()] };
      throw error;
    }
    const response = await server.executeOperation({ query: operation.query, variables: operation.variables, operationName: operation.operationName }, { contextValue });
    if (response.body.kind !== 'single') throw new Error('a subgraph answered with an incremental result, which the gateway does not ask for');
    return response.body.singleResult as SubgraphAnswer;
  };
  return (operation, { authorization, requestId }) => {
    if (!tracingUrl()) return call(operation, authorization, requestId);
    // The subgraph's own span, under the gateway's fetch, as its HTTP middleware would open it (observeHttp.ts).
    const span = tracer().startSpan(`${service} in-process`, {
      kind: SpanKind.SERVER,
      attributes: { 'tiga.service': service, 'tiga.transport': 'in-process', ...(requestId ? { 'tiga.request_id': requestId } : {}) },
    });
    return context.with(trace.setSpan(context.active(), span), () => call(operation, authorization, requestId)).then(
      (answer) => (span.end(), answer),
      (error: unknown) => {
        span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
        throw error;
      },
    );
  };
}
