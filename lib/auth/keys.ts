import fs from 'node:fs';
import path from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type JSONWebKeySet, type JWK, type CryptoKey } from 'jose';

export const EMBEDDED_ALGORITHM = 'EdDSA';

export interface EmbeddedKeys {
  privateKey: CryptoKey;
  kid: string;
  jwks: JSONWebKeySet;
}

/**
 * The embedded default's signing key: an Ed25519 pair generated on first start in `<dataDir>/keys`
 * (private key readable by its owner only) and reused afterwards. Production points at an external
 * issuer's JWKS instead and never holds a private key.
 */
export async function ensureEmbeddedKeys(dataDir: string): Promise<EmbeddedKeys> {
  const dir = path.join(dataDir, 'keys');
  const privatePath = path.join(dir, 'signing-key.private.jwk.json');
  const jwksPath = path.join(dir, 'jwks.json');
  if (!fs.existsSync(privatePath)) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const { privateKey, publicKey } = await generateKeyPair(EMBEDDED_ALGORITHM, { crv: 'Ed25519', extractable: true });
    const kid = `tiga-${new Date().toISOString().slice(0, 10)}-${Math.random().toString(36).slice(2, 8)}`;
    const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: EMBEDDED_ALGORITHM, use: 'sig' };
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: EMBEDDED_ALGORITHM, use: 'sig' };
    fs.writeFileSync(privatePath, JSON.stringify(privateJwk), { mode: 0o600 });
    fs.writeFileSync(jwksPath, JSON.stringify({ keys: [publicJwk] }, null, 2));
  }
  const privateJwk = JSON.parse(fs.readFileSync(privatePath, 'utf8')) as JWK & { kid: string };
  return {
    privateKey: (await importJWK(privateJwk, EMBEDDED_ALGORITHM)) as CryptoKey,
    kid: privateJwk.kid,
    jwks: JSON.parse(fs.readFileSync(jwksPath, 'utf8')) as JSONWebKeySet,
  };
}

export function embeddedJwksPath(dataDir: string): string {
  return path.join(dataDir, 'keys', 'jwks.json');
}
