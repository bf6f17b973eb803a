import { SignJWT } from 'jose';
import { EMBEDDED_ALGORITHM, type EmbeddedKeys } from './keys.ts';

export interface TokenRequest {
  subject: string;
  scopes: string[];
  /** Lifetime in seconds. */
  ttlSeconds: number;
  issuer: string;
  audience: string;
  client?: string;
}

/** Signs a token with the embedded key (development, tests, and deployments without an identity provider). */
export async function signToken(keys: EmbeddedKeys, request: TokenRequest): Promise<string> {
  return new SignJWT({ scope: request.scopes.join(' '), ...(request.client ? { azp: request.client } : {}) })
    .setProtectedHeader({ alg: EMBEDDED_ALGORITHM, kid: keys.kid, typ: 'JWT' })
    .setSubject(request.subject)
    .setIssuer(request.issuer)
    .setAudience(request.audience)
    .setIssuedAt()
    .setJti(crypto.randomUUID())
    .setExpirationTime(Math.floor(Date.now() / 1000) + request.ttlSeconds)
    .sign(keys.privateKey);
}

/** Parses "30d", "12h", "15m", "90s" or a number of seconds. */
export function parseTtl(text: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(text.trim());
  if (!match) throw new Error(`--ttl must look like 30d, 12h, 15m or 3600, got "${text}"`);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}
