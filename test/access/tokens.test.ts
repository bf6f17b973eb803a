import { beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair, SignJWT, base64url } from 'jose';
import { loadConfig } from '../../lib/config.ts';
import { bearer, testKeys } from '../support/auth.ts';
import { testHub } from '../support/hub.ts';
import { postGraphQL } from '../support/subgraph.ts';
import type { Hub } from '../../hub/hub.ts';

const { auth } = loadConfig({});
const QUERY = '{ territory(code: "67482") { name health { indicator cases } } }';
const ORSAL_QUERY = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Territory { health { cases } } } }';
const now = () => Math.floor(Date.now() / 1000);

const DAY = 86_400;
const CENTURY = 100 * 365 * DAY;

/**
 * A token signed with the hub's real key, with claims overridden: only the claim under test is wrong.
 * `iat: null` leaves the issue time out; a `sub` that is not a string goes in as it is (jose's setter refuses one).
 */
async function signed(overrides: { iss?: string; aud?: string; exp?: number; nbf?: number; iat?: number | null; sub?: string | number | null } = {}) {
  const keys = await testKeys();
  const oddSubject = overrides.sub !== undefined && overrides.sub !== null && typeof overrides.sub !== 'string' ? { sub: overrides.sub } : {};
  const jwt = new SignJWT({ scope: 'orsal:restricted', ...(oddSubject as object) }).setProtectedHeader({ alg: 'EdDSA', kid: keys.kid });
  if (overrides.sub === undefined || typeof overrides.sub === 'string') jwt.setSubject(overrides.sub ?? 'mallory');
  jwt.setIssuer(overrides.iss ?? auth.issuer).setAudience(overrides.aud ?? auth.audience);
  if (overrides.iat !== null) jwt.setIssuedAt(overrides.iat);
  jwt.setExpirationTime(overrides.exp ?? now() + 600);
  if (overrides.nbf) jwt.setNotBefore(overrides.nbf);
  return jwt.sign(keys.privateKey);
}

/** The forged and broken tokens a hostile or careless client might send. */
async function brokenTokens(): Promise<[string, string][]> {
  const good = await signed();
  const [header, payload] = good.split('.') as [string, string, string];
  const other = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const forged = await new SignJWT({ scope: 'orsal:restricted' })
    .setProtectedHeader({ alg: 'EdDSA', kid: (await testKeys()).kid })
    .setSubject('mallory').setIssuer(auth.issuer).setAudience(auth.audience).setExpirationTime(now() + 600)
    .sign(other.privateKey);
  const none = `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${payload}.`;
  // The classic confusion attack: HS256 "signed" with the public key as the HMAC secret.
  const publicJwk = (await testKeys()).jwks.keys[0];
  const hs256 = await new SignJWT({ scope: 'orsal:restricted' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('mallory').setIssuer(auth.issuer).setAudience(auth.audience).setExpirationTime(now() + 600)
    .sign(new TextEncoder().encode(JSON.stringify(publicJwk)));
  return [
    ['signed by another key', forged],
    ['alg: none', none],
    ['HS256 with the public key as secret', hs256],
    ['expired', await signed({ exp: now() - 3600 })],
    ['not valid yet', await signed({ nbf: now() + 3600 })],
    ['for another audience', await signed({ aud: 'another-api' })],
    ['from another issuer', await signed({ iss: 'https://evil.example' })],
    ['without a subject', await signed({ sub: null })],
    ['with a numeric subject', await signed({ sub: 42 })],
    ['with an empty subject', await signed({ sub: '' })],
    ['living a hundred years', await signed({ exp: now() + CENTURY })],
    ['living a hundred years, without an issue time', await signed({ iat: null, exp: now() + CENTURY })],
    ['living a hundred years, issued in the future', await signed({ iat: now() + CENTURY - DAY, exp: now() + CENTURY })],
    ['living 91 days', await signed({ exp: now() + 91 * DAY })],
    ['with a tampered payload', `${header}.${base64url.encode(JSON.stringify({ sub: 'mallory', scope: 'orsal:restricted audit:read', iss: auth.issuer, aud: auth.audience, exp: now() + 600 }))}.${good.split('.')[2]}`],
    ['not a JWT', 'hello'],
  ];
}

describe('a token that is present but invalid is refused, never downgraded to anonymous', () => {
  let hub: Hub;
  let cases: [string, string][];
  beforeAll(async () => {
    hub = await testHub();
    cases = await brokenTokens();
  });

  it('accepts no token as anonymous, and a valid researcher token as a researcher', async () => {
    const anonymous = await postGraphQL(hub.gatewayUrl, QUERY);
    expect(anonymous.data.territory.name).toBe('Strasbourg');
    expect(anonymous.errors?.every((e) => e.extensions?.code === 'FORBIDDEN')).toBe(true);
    const researcher = await postGraphQL(hub.gatewayUrl, QUERY, undefined, await bearer(['orsal:restricted']));
    expect(researcher.errors).toBeUndefined();
    expect(researcher.data.territory.health[0].cases).toEqual(expect.any(Number));
  });

  it('refuses each broken token at the gateway with UNAUTHENTICATED and no data', async () => {
    for (const [name, token] of cases) {
      const response = await postGraphQL(hub.gatewayUrl, QUERY, undefined, { authorization: `Bearer ${token}` });
      expect({ name, data: response.data ?? null, code: response.errors?.[0]?.extensions?.code }).toEqual({ name, data: null, code: 'UNAUTHENTICATED' });
    }
  });

  it('refuses each broken token at a subgraph called directly', async () => {
    for (const [name, token] of cases) {
      const response = await postGraphQL(hub.subgraph("orsal").url, ORSAL_QUERY, { r: [{ __typename: 'Territory', code: '67482' }] }, { authorization: `Bearer ${token}` });
      expect({ name, data: response.data ?? null, code: response.errors?.[0]?.extensions?.code }).toEqual({ name, data: null, code: 'UNAUTHENTICATED' });
    }
  });

  it('refuses an Authorization header that is not a bearer token', async () => {
    const response = await postGraphQL(hub.gatewayUrl, QUERY, undefined, { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` });
    expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(response.data ?? null).toBeNull();
  });
});

describe('an external issuer (OIDC) publishes its keys at a JWKS URL', () => {
  it('verifies tokens against keys fetched over HTTP, and refuses others', async () => {
    const { createServer } = await import('node:http');
    const { createTokenVerifier } = await import('../../lib/auth/verify.ts');
    const { exportJWK } = await import('jose');
    const issuerKeys = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(issuerKeys.publicKey)), kid: 'realm-key', alg: 'ES256', use: 'sig' };
    const server = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const issuer = `http://127.0.0.1:${port}/realms/tiga`;
      const verify = createTokenVerifier({ jwks: `${issuer}/protocol/openid-connect/certs`, issuer, audience: 'tiga-hub' });
      const token = await new SignJWT({ scope: 'orsal:restricted', azp: 'dashboard' })
        .setProtectedHeader({ alg: 'ES256', kid: 'realm-key' })
        .setSubject('researcher-1').setIssuer(issuer).setAudience('tiga-hub').setExpirationTime(now() + 300)
        .sign(issuerKeys.privateKey);
      const principal = await verify(`Bearer ${token}`);
      expect(principal).toMatchObject({ kind: 'user', subject: 'researcher-1', client: 'dashboard' });
      expect(principal.kind === 'user' && [...principal.scopes]).toEqual(['orsal:restricted']);
      await expect(verify(`Bearer ${await signed()}`)).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
    } finally {
      server.close();
    }
  });
});

describe('verified tokens are remembered, never beyond their expiry', () => {
  it('refuses a token the moment it expires, even after it was accepted and cached', async () => {
    const { createTokenVerifier } = await import('../../lib/auth/verify.ts');
    const keys = await testKeys();
    const verify = createTokenVerifier({ jwks: keys.jwks, issuer: auth.issuer, audience: auth.audience, clockToleranceSeconds: 0 });
    const token = `Bearer ${await signed({ exp: now() + 2 })}`;
    await expect(verify(token)).resolves.toMatchObject({ kind: 'user', subject: 'mallory' });
    await expect(verify(token)).resolves.toMatchObject({ kind: 'user', subject: 'mallory' });
    await new Promise((resolve) => setTimeout(resolve, 2600));
    await expect(verify(token)).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
  });
});

describe('a token may not live longer than the hub allows (TIGA_TOKEN_MAX_LIFETIME_DAYS)', () => {
  it("keeps accepting the README's 30-day researcher token", async () => {
    const hub = await testHub();
    const researcher = await postGraphQL(hub.gatewayUrl, QUERY, undefined, await bearer(['orsal:restricted'], 'alice', 30 * DAY));
    expect(researcher.errors).toBeUndefined();
    expect(researcher.data.territory.health[0].cases).toEqual(expect.any(Number));
    const direct = await postGraphQL(hub.subgraph('orsal').url, ORSAL_QUERY, { r: [{ __typename: 'Territory', code: '67482' }] }, await bearer(['orsal:restricted'], 'alice', 30 * DAY));
    expect(direct.errors).toBeUndefined();
  });

  it('refuses a 100-year token with a message that says why', async () => {
    const hub = await testHub();
    const response = await postGraphQL(hub.gatewayUrl, QUERY, undefined, { authorization: `Bearer ${await signed({ exp: now() + CENTURY })}` });
    expect(response.errors?.[0]).toMatchObject({ message: expect.stringContaining('90 days'), extensions: { code: 'UNAUTHENTICATED' } });
  });

  it('reads the limit from the configuration, 90 days unless set', async () => {
    const { createTokenVerifier } = await import('../../lib/auth/verify.ts');
    expect(loadConfig({}).auth.maxTokenLifetimeDays).toBe(90);
    const week = loadConfig({ TIGA_TOKEN_MAX_LIFETIME_DAYS: '7' }).auth.maxTokenLifetimeDays;
    expect(week).toBe(7);
    expect(() => loadConfig({ TIGA_TOKEN_MAX_LIFETIME_DAYS: '0' })).toThrow(/TIGA_TOKEN_MAX_LIFETIME_DAYS/);
    expect(() => loadConfig({ TIGA_TOKEN_MAX_LIFETIME_DAYS: 'forever' })).toThrow(/TIGA_TOKEN_MAX_LIFETIME_DAYS/);
    const verify = createTokenVerifier({ jwks: (await testKeys()).jwks, issuer: auth.issuer, audience: auth.audience, maxLifetimeSeconds: week * DAY });
    await expect(verify(`Bearer ${await signed({ exp: now() + 6 * DAY })}`)).resolves.toMatchObject({ kind: 'user', subject: 'mallory' });
    await expect(verify(`Bearer ${await signed({ exp: now() + 8 * DAY })}`)).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
  });
});
