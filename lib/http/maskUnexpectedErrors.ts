import type { GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { CLIENT_ERROR_CODES, internalError } from '../errors.ts';
import { requestIdOfError, UNKNOWN_REQUEST_ID } from './requestId.ts';
import { loggerFor } from '../observability/logger.ts';

/**
 * Extensions that describe the hub's insides rather than the caller's request: which subgraph answered
 * (the gateway adds `serviceName`), a failed subgraph response with its URL and body, stack traces.
 */
const INTERNAL_EXTENSIONS = ['serviceName', 'response', 'exception', 'stacktrace'];

export interface MaskOptions {
  /** Who logs (`gateway`, `subgraph:atmo`): the log line names it beside the request id. */
  service: string;
  /** Where the service's log lines go (JSON, one per call). @default the process's log (standard error) */
  log?: (line: string) => void;
}

/**
 * Apollo's `formatError` for the gateway and every subgraph, in every NODE_ENV: an error whose code says its
 * message was written for the caller keeps it (minus internal extensions); any other error (a database
 * failure, a subgraph that is down or answered an HTML page, a bug) becomes `internalError` with the request's
 * id, and its detail goes to the log under the same id. The id is the one the request's errors were tagged with
 * (`tagErrorsWithRequestId`, a failed context's in the context function), else a placeholder that
 * `requestIdInErrorAnswers` replaces with the request's own before the answer leaves.
 */
export function maskUnexpectedErrors({ service, log }: MaskOptions) {
  const logger = loggerFor(service, log);
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    const tagged = requestIdOfError(error);
    // A subgraph's own placeholder (it could not know the id either) is no id: the gateway's request has one.
    const relayed = formatted.extensions?.requestId === UNKNOWN_REQUEST_ID ? undefined : formatted.extensions?.requestId;
    if (typeof code === 'string' && CLIENT_ERROR_CODES.has(code)) {
      // Every error carries the request's id, so a caller quoting it finds the operator's log lines.
      const extensions: Record<string, unknown> = { ...formatted.extensions, requestId: relayed ?? tagged ?? UNKNOWN_REQUEST_ID };
      for (const key of INTERNAL_EXTENSIONS) delete extensions[key];
      return { ...formatted, extensions };
    }
    // Untagged (Apollo failed outside a request's pipeline, or a hook threw and Apollo answers a bare "Internal server
    // error"): the answer gets the placeholder, which becomes the request's id on its way out (always a 5xx here);
    // this line cannot know that id, but the cause of a hook's failure was logged with it (observeGraphQL.ts).
    const requestId = tagged;
    const subgraph = formatted.extensions?.serviceName;
    // The error with its stack and causes; one relayed from a subgraph is the plain object it answered (that
    // subgraph logged the detail under the same request id). Repeats of the same error are counted, not written.
    logger.error(
      {
        requestId,
        ...(typeof subgraph === 'string' ? { subgraph } : {}),
        ...(formatted.path ? { path: formatted.path.join('.') } : {}),
        ...(typeof code === 'string' ? { code } : {}),
        err: unwrapResolverError(error),
      },
      'unexpected error',
    );
    return internalError(requestId ?? UNKNOWN_REQUEST_ID, formatted.path);
  };
}
