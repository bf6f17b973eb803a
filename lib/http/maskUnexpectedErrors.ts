import { randomUUID } from 'node:crypto';
import type { GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { CLIENT_ERROR_CODES, internalError } from '../errors.ts';
import { currentRequestId } from './requestId.ts';

/**
 * Extensions that describe the hub's insides rather than the caller's request: which subgraph answered
 * (the gateway adds `serviceName`), a failed subgraph response with its URL and body, stack traces.
 */
const INTERNAL_EXTENSIONS = ['serviceName', 'response', 'exception', 'stacktrace'];

export interface MaskOptions {
  /** Who logs (`gateway`, `subgraph:atmo`): the log line names it beside the request id. */
  service: string;
  /** Where an unexpected error's detail goes. @default console.error */
  log?: (line: string) => void;
}

/**
 * The most a log line can say about an error: its stack (message included) and its cause's. An error relayed
 * from a subgraph is the plain object it answered: that subgraph logged the detail under the same request id.
 */
function detailOf(error: unknown): string {
  const original = unwrapResolverError(error);
  if (original instanceof Error) {
    const cause = original.cause instanceof Error ? `\ncaused by: ${original.cause.stack ?? original.cause.message}` : '';
    return `${original.stack ?? original.message}${cause}`;
  }
  return JSON.stringify(original) ?? String(original);
}

/**
 * Apollo's `formatError` for the gateway and every subgraph, in every NODE_ENV: an error whose code says its
 * message was written for the caller keeps it (minus internal extensions); any other error (a database
 * failure, a subgraph that is down or answered an HTML page, a bug) becomes `internalError` with the request's
 * id, and its detail goes to the log under the same id.
 */
export function maskUnexpectedErrors({ service, log = (line) => console.error(line) }: MaskOptions) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && CLIENT_ERROR_CODES.has(code)) {
      const extensions = { ...formatted.extensions };
      for (const key of INTERNAL_EXTENSIONS) delete extensions[key];
      return { ...formatted, extensions };
    }
    const requestId = currentRequestId() ?? randomUUID();
    const from = typeof formatted.extensions?.serviceName === 'string' ? ` from subgraph ${formatted.extensions.serviceName}` : '';
    const at = formatted.path ? ` at ${formatted.path.join('.')}` : '';
    log(`[${requestId}] ${service}: unexpected error${from}${at}: ${detailOf(error)}`);
    return internalError(requestId, formatted.path);
  };
}
