import { ensureEmbeddedKeys, type EmbeddedKeys } from '../../lib/auth/keys.ts';
import { signToken } from '../../lib/auth/sign.ts';
import { createTokenVerifier, type TokenVerifier } from '../../lib/auth/verify.ts';
import { loadConfig } from '../../lib/config.ts';
import { testDataDir } from './data-dir.ts';

/** The run's issuer: the embedded key of the test data folder, with the hub's default issuer and audience. */
export async function testKeys(): Promise<EmbeddedKeys> {
  return ensureEmbeddedKeys(testDataDir());
}

export async function testVerifier(): Promise<TokenVerifier> {
  const { auth } = loadConfig({});
  return createTokenVerifier({ jwks: (await testKeys()).jwks, issuer: auth.issuer, audience: auth.audience });
}

/** An Authorization header for a caller holding `scopes`. */
export async function bearer(scopes: string[], subject = 'alice', ttlSeconds = 600): Promise<Record<string, string>> {
  const { auth } = loadConfig({});
  const token = await signToken(await testKeys(), { subject, scopes, ttlSeconds, issuer: auth.issuer, audience: auth.audience });
  return { authorization: `Bearer ${token}` };
}
