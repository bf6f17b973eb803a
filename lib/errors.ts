import { GraphQLError } from 'graphql';

/** Error codes the hub returns in `extensions.code`; clients branch on these, never on messages. */
export type ErrorCode = 'BAD_USER_INPUT' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND';

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
