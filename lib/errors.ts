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

export const forbidden = (message: string, extensions?: Record<string, unknown>) =>
  coded('FORBIDDEN', message, extensions);

export const notFound = (message: string, extensions?: Record<string, unknown>) =>
  coded('NOT_FOUND', message, extensions);
