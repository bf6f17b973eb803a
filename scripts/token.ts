import { parseArgs } from 'node:util';
import { loadConfig } from '../lib/config.ts';
import { ensureEmbeddedKeys } from '../lib/auth/keys.ts';
import { parseTtl, signToken } from '../lib/auth/sign.ts';

// `npm run token -- --sub alice --scopes orsal:restricted --ttl 30d`: a token signed by the embedded key.
const { values } = parseArgs({
  options: {
    sub: { type: 'string' },
    scopes: { type: 'string', default: '' },
    ttl: { type: 'string', default: '1h' },
    client: { type: 'string' },
  },
});
if (!values.sub) {
  console.error('usage: npm run token -- --sub <subject> [--scopes "a b" | a,b] [--ttl 30d] [--client app]');
  process.exit(2);
}
const config = loadConfig();
if (config.auth.jwks) {
  console.error('TIGA_JWKS points at an external issuer: ask it for tokens; this command signs with the embedded key only.');
  process.exit(2);
}
const token = await signToken(await ensureEmbeddedKeys(config.dataDir), {
  subject: values.sub,
  scopes: values.scopes.split(/[ ,]+/).filter(Boolean),
  ttlSeconds: parseTtl(values.ttl),
  issuer: config.auth.issuer,
  audience: config.auth.audience,
  client: values.client,
});
console.log(token);
