import { OpenDataError } from '../catalog/anonymousQuery.ts';

/**
 * An answer of the OGC API that is not the resource: its HTTP status and, in the body, the OGC exception
 * (`{ code, description }`, OGC API – Features Part 1, exception.yaml). The codes are the hub's GraphQL codes,
 * so a client handles one vocabulary whichever door it came in by.
 */
export class OgcError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'OgcError';
  }
}

export const badRequest = (description: string) => new OgcError(400, 'BAD_USER_INPUT', description);
export const notFound = (description: string) => new OgcError(404, 'NOT_FOUND', description);

/** Seconds a client waits before retrying when a producer did not answer (as the catalogue says). */
const RETRY_UNAVAILABLE_SECONDS = 30;

/**
 * The answer for an error of the open collections: the contract's own verdict (a malformed filter is 400, an
 * unknown territory 404, a spent budget 429) with its public message; anything else the open contract could
 * not give whole (a producer down, a refused plan) is 503 with a message of our own, since the GraphQL
 * message speaks of null fields. Undefined for an error that is not the contract's: a bug, answered 500.
 */
export function ogcErrorOf(error: unknown): OgcError | undefined {
  if (error instanceof OgcError) return error;
  if (!(error instanceof OpenDataError)) return undefined;
  switch (error.code) {
    case 'BAD_USER_INPUT':
      return new OgcError(400, error.code, error.message);
    case 'NOT_FOUND':
      return new OgcError(404, error.code, error.message);
    case 'RATE_LIMITED':
      return new OgcError(429, error.code, error.message, error.retryAfterSeconds ?? 1);
    default:
      return new OgcError(503, 'PRODUCER_UNAVAILABLE', 'the data could not be read now (a producer did not answer in time); retry later', RETRY_UNAVAILABLE_SECONDS);
  }
}
