import fs from 'node:fs';
import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import { unauthenticated } from '../errors.ts';
import { ANONYMOUS, type Principal } from './principal.ts';

/** Asymmetric algorithms only: a symmetric one would let anyone holding the public key mint tokens. */
export const ACCEPTED_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'];

export interface VerifierOptions {
  /** A JWKS document, a path to one, or an issuer's JWKS URL (e.g. a Keycloak realm's certs endpoint). */
  jwks: JSONWebKeySet | string;
  issuer: string;
  audience: string;
  /** Tolerated clock difference, in seconds. @default 30 */
  clockToleranceSeconds?: number;
  /**
   * The longest lifetime a token may have, in seconds: `exp − iat`, or `exp − now` when `iat` is absent or
   * in the future. A longer-lived token is refused, however valid its signature. @default 90 days
   */
  maxLifetimeSeconds?: number;
  /**
   * Verified tokens remembered (until they expire, at most 60 s) so a request fanned out to several
   * subgraphs, and a client's next requests, skip the signature check. @default 1000
   */
  cacheSize?: number;
}

const CACHE_SECONDS = 60;
const DEFAULT_MAX_LIFETIME_SECONDS = 90 * 86_400;

export type TokenVerifier = (authorization: string | undefined) => Promise<Principal>;

function keySet(jwks: JSONWebKeySet | string) {
  if (typeof jwks !== 'string') return createLocalJWKSet(jwks);
  if (/^https?:\/\//.test(jwks)) return createRemoteJWKSet(new URL(jwks), { cooldownDuration: 30_000, timeoutDuration: 5_000 });
  return createLocalJWKSet(JSON.parse(fs.readFileSync(jwks, 'utf8')) as JSONWebKeySet);
}

function scopesFrom(payload: JWTPayload): Set<string> {
  const raw = payload.scope ?? payload.scp;
  if (typeof raw === 'string') return new Set(raw.split(' ').filter(Boolean));
  if (Array.isArray(raw)) return new Set(raw.filter((s): s is string => typeof s === 'string'));
  return new Set();
}

/**
 * What jose does not check of a signed token's claims: the subject must be a non-empty string (it names the
 * caller in the audit log), and the token must not live longer than the hub allows. Returns the reason to refuse.
 */
function claimProblem(payload: JWTPayload, maxLifetimeSeconds: number): string | undefined {
  if (typeof payload.sub !== 'string' || payload.sub === '') return 'the token is not valid (its subject must be a non-empty string)';
  const now = Math.floor(Date.now() / 1000);
  // A future `iat` must not shorten the count: the token is usable from now on (unless `nbf` says otherwise).
  const issued = typeof payload.iat === 'number' ? Math.min(payload.iat, now) : now;
  if (payload.exp! - issued > maxLifetimeSeconds) return `the token lives longer than the ${Math.round(maxLifetimeSeconds / 86_400)} days this hub accepts`;
  return undefined;
}

/**
 * Turns an Authorization header into a Principal. No header: anonymous. A header that is present but
 * not a valid token for this hub is an error (UNAUTHENTICATED), never a silent downgrade to anonymous.
 */
export function createTokenVerifier(options: VerifierOptions): TokenVerifier {
  const keys = keySet(options.jwks);
  const clockTolerance = Math.min(options.clockToleranceSeconds ?? 30, 300);
  const cacheSize = options.cacheSize ?? 1000;
  const maxLifetimeSeconds = options.maxLifetimeSeconds ?? DEFAULT_MAX_LIFETIME_SECONDS;
  const verified = new Map<string, { principal: Principal; until: number }>();
  return async (authorization) => {
    if (authorization === undefined || authorization === '') return ANONYMOUS;
    const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)$/.exec(authorization.trim());
    if (!match) throw unauthenticated('the Authorization header must be "Bearer <JWT>"');
    const token = match[1]!;
    const cached = verified.get(token);
    if (cached && cached.until > Date.now()) return cached.principal;
    verified.delete(token);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: options.issuer,
        audience: options.audience,
        algorithms: ACCEPTED_ALGORITHMS,
        clockTolerance,
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (error) {
      const reason = error instanceof errors.JWTExpired ? 'the token has expired' : error instanceof errors.JOSEError ? `the token is not valid (${error.code})` : 'the token is not valid';
      throw unauthenticated(reason);
    }
    const problem = claimProblem(payload, maxLifetimeSeconds);
    if (problem) throw unauthenticated(problem);
    const principal: Principal = {
      kind: 'user',
      subject: payload.sub!,
      client: typeof payload.azp === 'string' ? payload.azp : typeof payload.client_id === 'string' ? payload.client_id : null,
      scopes: scopesFrom(payload),
      tokenId: typeof payload.jti === 'string' ? payload.jti : null,
    };
    if (cacheSize > 0) {
      if (verified.size >= cacheSize) verified.delete(verified.keys().next().value!);
      verified.set(token, { principal, until: Math.min(payload.exp! * 1000, Date.now() + CACHE_SECONDS * 1000) });
    }
    return principal;
  };
}
