import { beforeAll, describe, expect, it } from 'vitest';
import { buildASTSchema, parse, isObjectType } from 'graphql';
import { readAccessPolicy } from '../../lib/auth/policy.ts';
import { readSupergraph } from '../../gateway/supergraph.ts';
import { OGC_COLLECTIONS, OPEN_COLLECTIONS } from '../../gateway/opendata/collections/index.ts';
import { bearer } from '../support/auth.ts';
import { gatewayQuery, testHub } from '../support/hub.ts';

/**
 * The access matrix, extended to the open-data routes (catalogue, exports, OGC API): they are built on
 * the anonymous view of the contract, so whatever token a request carries — a researcher's with every
 * restricted scope, a moderator's, a producer's — the bytes must be those an anonymous caller gets, and no
 * restricted field (by its name in the SDL) or restricted value (a contributor's pseudonym or e-mail) may
 * appear. The routes are generated from the collections: a collection added later is attacked unedited.
 */
const supergraph = buildASTSchema(parse(readSupergraph()), { assumeValidSDL: true });
const policy = readAccessPolicy(supergraph);
const scopes = [...new Set([...policy.values()].flatMap((rule) => rule.scopes?.flat() ?? []))].sort();

/** Restricted fields of types an anonymous caller can reach: their names must never be a column or a property. */
const restrictedNames = [...policy.keys()]
  .filter((coordinate) => !coordinate.startsWith('Mutation.') && !coordinate.startsWith('Query.'))
  .filter((coordinate) => {
    const [type] = coordinate.split('.') as [string];
    const named = supergraph.getType(type);
    // A type with an open field is open to look at; a type with no open field at all is restricted whole.
    return isObjectType(named) && Object.keys(named.getFields()).some((field) => !policy.has(`${type}.${field}`));
  })
  .map((coordinate) => coordinate.split('.')[1]!);

const ROLES: Record<string, string[]> = {
  researcher: scopes.filter((s) => s.endsWith(':restricted')),
  moderator: ['community:moderate'],
  contributor: ['community:contribute'],
  producer: scopes.filter((s) => s.startsWith('producer:')),
  everything: scopes,
};

/** An answer's text without what legitimately differs between two requests (OGC's `timeStamp`). */
const stable = (text: string) => text.replace(/"timeStamp":"[^"]*"/g, '"timeStamp":"…"');

let base: string;
const tokens: Record<string, Record<string, string>> = {};
const secrets: string[] = [];
const routes: string[] = [];

beforeAll(async () => {
  const hub = await testHub();
  base = hub.gatewayUrl.replace(/\/graphql$/, '');
  for (const [role, held] of Object.entries(ROLES)) tokens[role] = await bearer(held, `open-routes-${role}`);
  // Restricted values a moderator can read: none may leak into an open route.
  const { data, errors } = await gatewayQuery('{ contributions { contributor } datasetRequests { requestedBy } sensors(first: 1000) { edges { node { contributor { pseudonym contactEmail } } } } }', undefined, tokens.everything);
  expect(errors).toBeUndefined();
  for (const c of data?.contributions ?? []) secrets.push(c.contributor);
  for (const r of data?.datasetRequests ?? []) secrets.push(r.requestedBy);
  for (const { node } of data?.sensors?.edges ?? []) secrets.push(node.contributor?.pseudonym, node.contributor?.contactEmail);
  secrets.splice(0, secrets.length, ...new Set(secrets.filter((s): s is string => typeof s === 'string' && s.length >= 4)));

  routes.push('/catalog.jsonld', '/catalog.ttl', '/catalog.rdf', '/exports', '/ogc', '/ogc/conformance', '/ogc/collections', '/ogc/api');
  for (const collection of OPEN_COLLECTIONS) {
    const narrow = collection.temporal ? 'territory=67482&from=2025-01-01&to=2025-01-03' : 'territory=67482';
    for (const format of ['csv', 'geojson']) routes.push(`/exports/${collection.id}.${format}?${narrow}`);
  }
  for (const collection of OGC_COLLECTIONS) {
    routes.push(`/ogc/collections/${collection.id}`, `/ogc/collections/${collection.id}/items?limit=20&territory=67482`);
    const page = (await (await fetch(`${base}/ogc/collections/${collection.id}/items?limit=1`, { headers: { accept: 'application/geo+json' } })).json()) as { features?: { id: string }[] };
    const first = page.features?.[0]?.id;
    if (first) routes.push(`/ogc/collections/${collection.id}/items/${encodeURIComponent(first)}`);
  }
});

/** Where two texts part, with some context: what a reader of the failure needs. */
function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `at ${i}: ${JSON.stringify(a.slice(Math.max(0, i - 40), i + 80))} vs ${JSON.stringify(b.slice(Math.max(0, i - 40), i + 80))}`;
}

describe('the open-data routes serve the anonymous view, whatever token is sent', () => {
  it('knows what it looks for: restricted field names and values', () => {
    expect(restrictedNames).toEqual(expect.arrayContaining(['cases', 'healthDetailed', 'contributor', 'rawMeasurements']));
    expect(secrets.length).toBeGreaterThan(0);
  });

  it('gives every role the bytes an anonymous caller gets, with no restricted name or value in them', async () => {
    const problems: string[] = [];
    const leaks = (route: string, text: string) => {
      for (const name of restrictedNames) {
        // As a JSON key, a CSV header column or an RDF property local name.
        const pattern = new RegExp(`"${name}"\\s*:|^(?:[^\\n]*,)?${name}(?:,|\\r?\\n)|[#/]${name}[>"]`, 'm');
        if (pattern.test(text)) problems.push(`${route}: restricted field name "${name}" appears`);
      }
      for (const secret of secrets) if (text.includes(secret)) problems.push(`${route}: a restricted value appears`);
    };
    for (const route of routes) {
      const anonymous = await fetch(`${base}${route}`, { headers: { accept: 'application/json' } });
      const text = stable(await anonymous.text());
      if (anonymous.status !== 200) problems.push(`${route}: ${anonymous.status} anonymous`);
      leaks(route, text);
      for (const [role, headers] of Object.entries(tokens)) {
        const response = await fetch(`${base}${route}`, { headers: { ...headers, accept: 'application/json' } });
        const body = stable(await response.text());
        if (response.status !== anonymous.status || body !== text) {
          // The catalogue's open data is read again every five minutes, and earlier files of the suite change it:
          // an anonymous read made now tells a token's effect from a renewal that fell between the two reads.
          const again = await fetch(`${base}${route}`, { headers: { accept: 'application/json' } });
          const now = stable(await again.text());
          leaks(route, now);
          if (response.status !== again.status || body !== now) problems.push(`${route}: differs for the ${role} token (${response.status} against ${again.status}; ${firstDifference(body, now)})`);
        }
        // A response to a request with a token is never stored by a shared cache.
        if (!/private|no-store/.test(response.headers.get('cache-control') ?? '')) problems.push(`${route}: cacheable by shared caches with a ${role} token`);
      }
    }
    console.log(`open routes: ${routes.length} routes × ${Object.keys(tokens).length + 1} callers, ${restrictedNames.length} restricted names, ${secrets.length} restricted values looked for`);
    expect(problems).toEqual([]);
  });

  it('the explorer pages and their data too: a token changes nothing, and no restricted value is shown', async () => {
    const pages = ['/data', '/data?lang=en&access=restricted', '/map', '/map?lang=en', '/transparence', '/transparence?lang=en', '/pages/map/territories.geojson?kind=COMMUNE&zoom=8', '/pages/map/territories.geojson?kind=IRIS&zoom=13'];
    const { data } = await gatewayQuery('{ territory(code: "67482") { health { indicator period } } }');
    const health = data.territory.health[0];
    pages.push('/pages/map/values.json?layer=atmo&date=2025-01-02', '/pages/map/values.json?layer=stations&date=2025-01-02', '/pages/map/values.json?layer=sensors&date=2025-01-02');
    pages.push('/pages/map/values.json?layer=groundwater', '/pages/map/values.json?layer=urban&indicator=greenSpaceShare', `/pages/map/values.json?layer=health&indicator=${health.indicator}&period=${health.period}&level=COMMUNE`);
    // A value the SDL itself quotes as an example (the pseudonym "citizen-007") is documentation the inventory shows.
    const sdl = readSupergraph();
    const problems: string[] = [];
    for (const route of pages) {
      const anonymous = await fetch(`${base}${route}`, { headers: { accept: 'text/html,application/json', 'accept-language': 'fr' } });
      const text = await anonymous.text();
      if (anonymous.status !== 200) problems.push(`${route}: ${anonymous.status} anonymous`);
      // The inventory names the restricted fields (with their scope and legal basis) by design; no page shows a value.
      if (!route.startsWith('/data')) {
        for (const name of restrictedNames) if (new RegExp(`"${name}"\\s*:`).test(text)) problems.push(`${route}: restricted field name "${name}" appears`);
      }
      for (const secret of secrets) if (text.includes(secret) && !sdl.includes(secret)) problems.push(`${route}: a restricted value appears`);
      for (const [role, headers] of Object.entries(tokens)) {
        const response = await fetch(`${base}${route}`, { headers: { ...headers, accept: 'text/html,application/json', 'accept-language': 'fr' } });
        const withToken = await response.text();
        if (response.status !== anonymous.status || withToken !== text) {
          // The pages' live facts are read again every minute: an anonymous read made now tells a token's effect
          // from a renewal that fell between the two reads.
          const now = await (await fetch(`${base}${route}`, { headers: { accept: 'text/html,application/json', 'accept-language': 'fr' } })).text();
          if (withToken !== now) problems.push(`${route}: differs for the ${role} token (${firstDifference(withToken, now)})`);
        }
        if (!/private|no-store/.test(response.headers.get('cache-control') ?? '')) problems.push(`${route}: cacheable by shared caches with a ${role} token`);
      }
    }
    expect(problems).toEqual([]);
  });
});
