import type { Config } from '../config.ts';
import { ensureEmbeddedKeys } from './keys.ts';
import { createTokenVerifier, type TokenVerifier } from './verify.ts';

/** The verifier every service builds from the same configuration: an external issuer's JWKS, or the embedded key. */
export async function verifierFromConfig(config: Config): Promise<TokenVerifier> {
  const jwks = config.auth.jwks ?? (await ensureEmbeddedKeys(config.dataDir)).jwks;
  return createTokenVerifier({
    jwks,
    issuer: config.auth.issuer,
    audience: config.auth.audience,
    clockToleranceSeconds: config.auth.clockToleranceSeconds,
    maxLifetimeSeconds: config.auth.maxTokenLifetimeDays * 86_400,
  });
}
