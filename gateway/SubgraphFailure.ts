import { GraphQLError } from 'graphql';
import { CLIENT_ERROR_CODES } from '../lib/errors.ts';

/** What RemoteGraphQLDataSource attaches to a non-2xx answer: the URL, status and body it got. */
interface FailedResponse {
  url?: unknown;
  status?: unknown;
  body?: unknown;
}

/** The first characters of a failed answer's body, enough for the log to tell a proxy's page from a crash. */
const BODY_IN_LOG = 300;

function describe(cause: unknown): string {
  if (cause instanceof GraphQLError && cause.extensions.response) {
    const { url, status, body } = cause.extensions.response as FailedResponse;
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    return `${cause.message} (HTTP ${String(status)} from ${String(url)}): ${text.slice(0, BODY_IN_LOG)}`;
  }
  return cause instanceof Error ? cause.message : String(cause);
}

/**
 * One subgraph could not answer the gateway with GraphQL: unreachable, timed out, or it (or a proxy before
 * it) answered an error page. Its message names internal URLs and hosts, so it is logged and masked, never
 * shown; it knows which subgraph failed, for the day callers are told which producer is unavailable.
 */
export class SubgraphFailure extends Error {
  /**
   * A subgraph refusing the forwarded token (HTTP 401/403, e.g. it expired between the gateway's check and
   * the subgraph's) is the caller's business and keeps its code; any other failure becomes a SubgraphFailure.
   */
  static from(subgraph: string, cause: unknown): Error {
    if (cause instanceof GraphQLError && CLIENT_ERROR_CODES.has(String(cause.extensions.code))) return cause;
    return new SubgraphFailure(subgraph, cause);
  }

  constructor(
    readonly subgraph: string,
    cause: unknown,
  ) {
    super(`subgraph ${subgraph} failed: ${describe(cause)}`, { cause });
    this.name = 'SubgraphFailure';
  }
}
