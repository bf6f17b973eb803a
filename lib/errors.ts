import { GraphQLError, Kind, type DocumentNode, type GraphQLFormattedError } from 'graphql';

/** Error codes the hub returns in `extensions.code`; clients branch on these, never on messages. */
export type ErrorCode = 'BAD_USER_INPUT' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND' | 'OPERATION_RESOLUTION_FAILURE' | 'COST_LIMIT_EXCEEDED';

/**
 * Codes whose message is written for the caller, ours and Apollo's (parse, validation, request and
 * operation-name errors): such errors reach the client with their message. Any other error is unexpected
 * and masked (see `internalError`), whatever its message says.
 */
export const CLIENT_ERROR_CODES: ReadonlySet<string> = new Set([
  'BAD_USER_INPUT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'BAD_REQUEST',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  // A producer's outage or timeout, said at the path of its missing fields (gateway/ProducerDataSource.ts).
  'PRODUCER_UNAVAILABLE',
  'RATE_LIMITED',
  // An operation priced over the budget (lib/cost/), refused before anything ran.
  'COST_LIMIT_EXCEEDED',
]);

/**
 * What a caller sees of an unexpected error: no detail (it may hold SQL, a host or a path), only the id of
 * its request, under which the server log holds the detail.
 */
export function internalError(requestId: string, path?: GraphQLFormattedError['path']): GraphQLFormattedError {
  return { message: 'internal error', ...(path ? { path } : {}), extensions: { code: 'INTERNAL_SERVER_ERROR', requestId } };
}

function coded(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { ...extensions, code } });
}

/** The caller sent something we can't use; `reason` says what to change. */
export const badUserInput = (message: string, extensions?: Record<string, unknown>) =>
  coded('BAD_USER_INPUT', message, extensions);

// HTTP 401 so that an error thrown while building the request context is not reported as a 500.
export const unauthenticated = (message: string) => coded('UNAUTHENTICATED', message, { http: { status: 401 } });

export const notFound = (message: string, extensions?: Record<string, unknown>) =>
  coded('NOT_FOUND', message, extensions);

/**
 * The refusal of one field the caller may not read, the same from the gateway (filter and reject modes)
 * and from a subgraph (defence in depth): it names the field and the scopes that would allow it.
 */
export const forbiddenField = (coordinate: string, requiredScopes: string[][] | null, needs: string, path?: readonly (string | number)[]) =>
  new GraphQLError(`not authorized to read ${coordinate}: it needs ${needs}`, {
    path,
    extensions: { code: 'FORBIDDEN', field: coordinate, requiredScopes },
  });

/**
 * The request's `operationName` selects no operation of its document (graphql-js's wording). HTTP 400:
 * nothing ran, so the client may correct the name and send it again.
 */
export function operationNotSelected(document: DocumentNode, operationName: string | null | undefined): GraphQLError {
  const operations = document.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION).length;
  const message =
    operationName !== undefined && operationName !== null
      ? `Unknown operation named "${operationName}".`
      : operations > 1
        ? 'Must provide operation name if query contains multiple operations.'
        : 'Must provide an operation.';
  return coded('OPERATION_RESOLUTION_FAILURE', message, { http: { status: 400 } });
}

/**
 * An operation whose estimated cost (lib/cost/) exceeds the budget: refused before anything ran, HTTP 400
 * like any other refusal of the request itself, with the cost and the budget so a client can cut it down.
 */
export const costLimitExceeded = (cost: number, budget: number) =>
  coded('COST_LIMIT_EXCEEDED', `query cost ${cost.toLocaleString('en')} exceeds the budget of ${budget.toLocaleString('en')}: ask for fewer items, days or aliases`, {
    cost,
    budget,
    http: { status: 400 },
  });
