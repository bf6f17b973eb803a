import type { ApolloServerPlugin, BaseContext, GraphQLRequestContext } from '@apollo/server';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import type { GraphQLFormattedError } from 'graphql';
import { loggerFor, type LineSink, type RequestFields } from './logger.ts';
import { requestIdOfError } from '../http/requestId.ts';
import { countAuthFailure, graphqlDuration, graphqlErrors, graphqlRequests } from './metrics.ts';

/**
 * Distinct operation names one service labels its metrics with; past it, `(other)`. Clients choose operation
 * names: without a bound, one client sending random names would grow the registry without end.
 */
const MAX_OPERATION_LABELS = 200;

/** The operation label of a request: its name, `(anonymous)`, `(invalid)` (it did not parse or validate) or `(other)`. */
function operationLabeller(): (context: Pick<GraphQLRequestContext<BaseContext>, 'operationName' | 'operation'>) => string {
  const seen = new Set<string>();
  return ({ operationName, operation }) => {
    if (!operation) return '(invalid)';
    if (!operationName) return '(anonymous)';
    if (seen.has(operationName)) return operationName;
    if (seen.size >= MAX_OPERATION_LABELS) return '(other)';
    seen.add(operationName);
    return operationName;
  };
}

const codeOf = (error: { extensions?: Record<string, unknown> } | undefined): string =>
  typeof error?.extensions?.code === 'string' ? error.extensions.code : 'INTERNAL_SERVER_ERROR';

function outcomeOf(data: unknown, errors: readonly GraphQLFormattedError[] | undefined): RequestFields['outcome'] {
  if (!errors?.length) return 'ok';
  return data === null || data === undefined ? 'error' : 'partial';
}

/**
 * The Apollo plugin that makes every GraphQL request of `service` observable: one access-log line (request
 * id, operation name and hash, duration, outcome, error codes), the request, latency and error metrics by
 * operation, auth failures, and the operation's name on the request's span (tracing on).
 * @param sink where the access log goes. @default the process's log
 */
export function observeGraphQL<TContext extends BaseContext & { requestId?: string }>(
  service: string,
  sink?: LineSink,
): ApolloServerPlugin<TContext> & { replayed: (replay: { requestId?: string; operationName: string | null; operationHash: string | null; durationMs: number }) => void } {
  const logger = loggerFor(service, sink);
  const label = operationLabeller();
  return {
    // An answer the gateway's answer cache replayed (gateway/cache/AnswerCache.ts) never reached Apollo: it is
    // counted and logged here all the same, as a query answered without error, and marked `cached`.
    replayed({ requestId, operationName, operationHash, durationMs }) {
      const operation = label({ operationName, operation: {} as never });
      graphqlRequests.inc({ service, operation, outcome: 'ok' });
      graphqlDuration.observe({ service, operation }, durationMs / 1000);
      logger.request({ requestId, operationName, operationType: 'query', operationHash, durationMs: Math.round(durationMs * 10) / 10, outcome: 'ok', status: 200, cached: true });
    },
    // The context function verifies the token: a refused one fails here, before any request listener exists.
    async contextCreationDidFail({ error }) {
      const code = codeOf(error as { extensions?: Record<string, unknown> });
      if (code === 'UNAUTHENTICATED') countAuthFailure(service);
      graphqlRequests.inc({ service, operation: '(invalid)', outcome: 'error' });
      graphqlErrors.inc({ service, operation: '(invalid)', code });
      // The context function tagged its error with the request's id (gateway/gateway.ts, lib/subgraph.ts).
      logger.request({ requestId: requestIdOfError(error), operationName: null, operationHash: null, outcome: 'error', errorCodes: [code] });
    },

    // A hook threw while a request ran: Apollo answers a bare "Internal server error" that no longer knows the request,
    // so the cause is logged here, under the request's id (the answer carries the same id, lib/http/requestId.ts).
    async unexpectedErrorProcessingRequest({ requestContext, error }) {
      logger.error({ requestId: requestContext.contextValue.requestId, err: error }, 'unexpected error');
    },

    async requestDidStart() {
      const started = performance.now();
      // The request's span, started by observeHttp (a non-recording one while tracing is off).
      const span = trace.getActiveSpan();
      return {
        async didResolveOperation({ operation, operationName }) {
          if (!operation) return;
          span?.updateName(`${service} ${operation.operation}${operationName ? ` ${operationName}` : ''}`);
          span?.setAttributes({ 'graphql.operation.type': operation.operation, ...(operationName ? { 'graphql.operation.name': operationName } : {}) });
        },

        async willSendResponse(requestContext) {
          const { response } = requestContext;
          const seconds = (performance.now() - started) / 1000;
          const result = response.body.kind === 'single' ? response.body.singleResult : response.body.initialResult;
          const outcome = outcomeOf(result.data, result.errors);
          const codes = [...new Set((result.errors ?? []).map(codeOf))];
          const operation = label(requestContext);
          graphqlRequests.inc({ service, operation, outcome });
          graphqlDuration.observe({ service, operation }, seconds);
          for (const error of result.errors ?? []) graphqlErrors.inc({ service, operation, code: codeOf(error) });
          if (codes.includes('UNAUTHENTICATED')) countAuthFailure(service);
          if (outcome === 'error') span?.setStatus({ code: SpanStatusCode.ERROR, message: codes.join(' ') });
          logger.request({
            requestId: requestContext.contextValue.requestId,
            operationName: requestContext.operationName ?? null,
            operationType: requestContext.operation?.operation ?? null,
            operationHash: requestContext.queryHash ?? null,
            durationMs: Math.round(seconds * 10_000) / 10,
            outcome,
            status: response.http.status ?? 200,
            ...(codes.length ? { errorCodes: codes } : {}),
          });
        },
      };
    },
  };
}
