import fs from 'node:fs';
import { loadConfig } from '../lib/config.ts';
import { embeddedJwksPath, ensureEmbeddedKeys } from '../lib/auth/keys.ts';

/**
 * `npm run keys`: the one-shot init step of a deployment (the `keys` service of docker-compose.yml). It makes
 * the hub's signing key pair in `<TIGA_DATA_DIR>/keys` when there is none, and keeps it otherwise, so every
 * service of the stack trusts one JWKS (`TIGA_JWKS=<that folder>/jwks.json`, on a volume they mount
 * read-only) and a token the gateway forwards verifies at every subgraph. Services never make keys of their own.
 */
const config = loadConfig();
if (config.auth.jwks) {
  console.error('TIGA_JWKS is set: tokens come from that issuer, and this step has no key to make.');
  process.exit(2);
}
const jwksPath = embeddedJwksPath(config.dataDir);
const existed = fs.existsSync(jwksPath);
const keys = await ensureEmbeddedKeys(config.dataDir);
console.log(`${existed ? 'kept' : 'made'} signing key ${keys.kid}: its public JWKS is ${jwksPath}`);
