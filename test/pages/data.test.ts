import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildASTSchema, parse as parseSdl, print } from 'graphql';
import type { Page } from 'puppeteer-core';
import rdf from '@zazuko/env-node';
import { testHub, gatewayQuery } from '../support/hub.ts';
import { bearer } from '../support/auth.ts';
import { closeBrowser, keepScreenshot, openPage, seriousAccessibilityViolations, type PageWatch } from '../support/browser.ts';
import { parse as parseRdf } from '../opendata/rdf.ts';
import { readSupergraph } from '../../gateway/supergraph.ts';
import { readAccessPolicy } from '../../lib/auth/policy.ts';
import { LEGAL_BASES, readLegalBases } from '../../lib/auth/legalBasis.ts';
import { composeSupergraph } from '../../schema/compose.ts';
import { PRODUCERS } from '../../subgraphs/registry.ts';
import { buildInventory } from '../../gateway/pages/data/inventory.ts';
import { buildDataModel } from '../../gateway/pages/data/dataModel.ts';
import { dataHtml } from '../../gateway/pages/data/dataHtml.ts';
import { readCatalogWords } from '../../gateway/catalog/catalogWords.ts';
import type { LiveMetadata } from '../../gateway/pages/data/readLiveMetadata.ts';

const supergraph = buildASTSchema(parseSdl(readSupergraph()), { assumeValidSDL: true });
const policy = readAccessPolicy(supergraph);
const bases = readLegalBases(supergraph);
/** Restricted fields that read data (mutations are writes: they have scopes, no legal basis). */
const restrictedReads = [...policy.keys()].filter((c) => !c.startsWith('Mutation.'));

/** The producers with one SDL rewritten, as a developer's edit would. */
function withEditedSdl(name: string, edit: (sdl: string) => string) {
  return PRODUCERS.map((p) => (p.name === name ? { ...p, typeDefs: parseSdl(edit(print(p.typeDefs))) } : p));
}

/** Live facts with nothing in them: enough to render the schema's part of the page offline. */
const NO_LIVE: LiveMetadata = {
  openData: { datasets: [], epcis: [], names: new Map(), kinds: new Map(), bbox: undefined },
  parents: new Map(), keys: new Map(), counts: new Map(), indicatorValues: new Map(), readAt: new Date(0),
};

describe('the data inventory is generated from the supergraph', () => {
  it('a field added to an SDL appears, with its producer, unit, access and legal basis, without any edit to the page', () => {
    const producers = withEditedSdl('orsal', (sdl) =>
      sdl.replace(
        /type HealthValue\b[^{]*\{/,
        (head) => `${head}
  "Share of the cases seen by a general practitioner, in %. Open."
  gpShare: Float
  "The cases' median age, restricted."
  medianAge: Int @requiresScopes(scopes: [["orsal:restricted"]]) @legalBasis(basis: "MEDICAL_SECRECY", reference: "Code de la santé publique, art. L1110-4")
`,
      ),
    );
    const { supergraphSdl } = composeSupergraph(producers);
    const inventory = buildInventory(supergraphSdl);
    const healthValue = inventory.types.find((t) => t.name === 'HealthValue')!;
    const added = healthValue.fields.find((f) => f.name === 'gpShare')!;
    expect(added).toMatchObject({ coordinate: 'HealthValue.gpShare', type: 'Float', producers: ['orsal'], unit: { symbol: '%' }, access: { level: 'open' } });
    const restricted = healthValue.fields.find((f) => f.name === 'medianAge')!;
    expect(restricted.access).toMatchObject({ level: 'restricted', scopes: [['orsal:restricted']], legalBasis: { basis: 'MEDICAL_SECRECY' } });
    expect(inventory.restricted.map((f) => f.coordinate)).toContain('HealthValue.medianAge');
    // …and the anonymous sample query of HealthValue now reads the open one, never the restricted one.
    expect(healthValue.path?.selection).toContain('gpShare');
    expect(healthValue.path?.selection).not.toContain('medianAge');

    const page = dataHtml({ lang: 'en', model: buildDataModel(inventory, readCatalogWords()), live: NO_LIVE, filter: { q: '' }, titles: new Map(), downloads: [] });
    expect(page).toContain('id="field-HealthValue.gpShare"');
    expect(page).toContain('id="restricted-HealthValue.medianAge"');
  });

  it('the committed supergraph: every type and field, each restricted read with its scope and legal basis', () => {
    const inventory = buildInventory(readSupergraph());
    const coordinates = new Set(inventory.types.flatMap((t) => t.fields.map((f) => f.coordinate)));
    for (const coordinate of policy.keys()) expect(coordinates, coordinate).toContain(coordinate);
    for (const coordinate of restrictedReads) {
      const field = inventory.restricted.find((f) => f.coordinate === coordinate);
      expect(field?.access.legalBasis, coordinate).toEqual(bases.get(coordinate));
    }
    // Units only where the contract states them.
    const unit = (c: string) => inventory.types.flatMap((t) => t.fields).find((f) => f.coordinate === c)?.unit;
    expect(unit('SensorReading.pm25')).toEqual({ symbol: 'µg/m³' });
    expect(unit('UrbanIndicators.populationDensity')).toEqual({ symbol: 'inhabitants/km²' });
    expect(unit('HealthValue.value')).toMatchObject({ field: 'unit', values: expect.arrayContaining(['% of population']) });
    expect(unit('AirQualityIndex.index')).toBeUndefined();
  });
});

describe('a citizen explores the data inventory at /data', () => {
  let origin: string;
  let catalogueIds: string[];
  const secrets: string[] = [];
  let french: string;

  /** The ids of the items of a kind the page shows (not `hidden`). */
  const shownIn = (page: string, kind: 'dataset' | 'field') =>
    [...page.matchAll(new RegExp(`<(?:li|section) class="${kind}" id="${kind}-([^"]+)"[^>]*?(\\shidden)?>`, 'g'))].filter((m) => !m[2]).map((m) => m[1]!);
  const fetchPage = async (query = '') => {
    const response = await fetch(`${origin}/data${query}`);
    expect(response.status).toBe(200);
    return response.text();
  };
  /** Waits for the script's debounce, then the ids it shows. */
  const shownInBrowser = (page: Page, kind: 'dataset' | 'field') => page.$$eval(`li.${kind}:not([hidden])`, (items, k) => items.map((el) => el.id.slice(`${k}-`.length)), kind);

  beforeAll(async () => {
    const hub = await testHub();
    origin = new URL(hub.gatewayUrl).origin;
    const jsonld = await (await fetch(`${origin}/catalog.jsonld`)).text();
    const graph = await parseRdf(jsonld, 'application/ld+json', `${origin}/catalog`);
    catalogueIds = [...graph.match(null, rdf.ns.rdf.type, rdf.namedNode('http://www.w3.org/ns/dcat#Dataset'))].map((q) => q.subject.value.split('#')[1]!);
    const { data, errors } = await gatewayQuery('{ contributions { contributor } datasetRequests { requestedBy } sensors(first: 1000) { edges { node { contributor { pseudonym contactEmail } } } } }', undefined, await bearer(['community:restricted', 'community:moderate'], 'data-page'));
    expect(errors).toBeUndefined();
    for (const c of data?.contributions ?? []) secrets.push(c.contributor);
    for (const r of data?.datasetRequests ?? []) secrets.push(r.requestedBy);
    for (const { node } of data?.sensors?.edges ?? []) secrets.push(node.contributor?.pseudonym, node.contributor?.contactEmail);
    // A value the contract itself quotes as an example (a pseudonym like "citizen-007") is public text, not a leak.
    const sdl = readSupergraph();
    secrets.splice(0, secrets.length, ...new Set(secrets.filter((s): s is string => typeof s === 'string' && s.length >= 4 && !sdl.includes(s))));
    french = await fetchPage();
  }, 120_000);
  afterAll(() => closeBrowser());

  it('lists every dataset of the DCAT-AP catalogue with its producer, licence and access level', () => {
    expect(catalogueIds.length).toBeGreaterThan(7);
    for (const id of catalogueIds) {
      const item = new RegExp(`<li class="dataset" id="dataset-${id}"[\\s\\S]*?</li>\\n?(?=<li class="dataset"|</ul>)`).exec(french)?.[0];
      expect(item, id).toBeDefined();
      expect(item).toMatch(/<dt>Producteur<\/dt><dd>[^<]+/);
      expect(item).toMatch(/<dt>Licence<\/dt><dd><a href="http/);
      expect(item).toContain('<span class="badge badge-open">Ouvert</span>');
    }
    expect(shownIn(french, 'dataset').sort()).toEqual([...catalogueIds].sort());
  });

  it('lists every restricted field with its scope and legal basis, and no restricted value', () => {
    for (const coordinate of restrictedReads) {
      const row = new RegExp(`<tr id="restricted-${coordinate.replace('.', '\\.')}"[\\s\\S]*?</tr>`).exec(french)?.[0];
      expect(row, coordinate).toBeDefined();
      const rule = policy.get(coordinate)!;
      if (rule.scopes) for (const scope of rule.scopes.flat()) expect(row, coordinate).toContain(scope);
      const basis = bases.get(coordinate)!;
      expect(row).toContain(LEGAL_BASES[basis.basis].fr);
      expect(row).toContain(basis.reference.replace(/'/g, '&#39;'));
    }
    expect(secrets.length).toBeGreaterThan(0);
    for (const secret of secrets) expect(french, 'a restricted value').not.toContain(secret);
  });

  it('filters on the server (a GET form) by producer, theme, access level, territory and words', async () => {
    const atmo = shownIn(await fetchPage('?producer=atmo'), 'dataset');
    expect(atmo.sort()).toEqual(['air-measurements', 'air-quality-index']);
    const health = await fetchPage('?theme=HEAL');
    expect(shownIn(health, 'dataset')).toContain('health-indicators');
    expect(shownIn(health, 'dataset')).not.toContain('urban-indicators');
    const restricted = await fetchPage('?access=restricted');
    expect(shownIn(restricted, 'dataset')).toEqual([]);
    const restrictedFields = shownIn(restricted, 'field');
    expect(restrictedFields.sort()).toEqual(expect.arrayContaining(restrictedReads));
    for (const coordinate of restrictedFields) expect(policy.has(coordinate) || !coordinate.startsWith('Query.'), coordinate).toBe(true);
    // Saverne (67437) is in the Pays de Saverne: its datasets, not those of Strasbourg's stations only.
    const saverne = shownIn(await fetchPage('?territory=67437'), 'dataset');
    expect(saverne).toContain('territories');
    expect(saverne).toContain('health-indicators');
    const asthma = await fetchPage('?q=asthme');
    expect(shownIn(asthma, 'dataset')).toEqual(['health-indicators']);
  });

  let watch: PageWatch;
  it('in a browser: no console error, nothing from outside the hub, and the script filters as the server does', async () => {
    watch = await openPage(origin);
    const { page } = watch;
    // Chromium asks for English: the French page is asked for, as the server-side fetches get it.
    await page.goto(`${origin}/data?lang=fr`, { waitUntil: 'networkidle0' });
    await page.select('#filter-producer', 'atmo');
    await page.waitForFunction(() => document.querySelectorAll('li.dataset:not([hidden])').length === 2);
    expect((await shownInBrowser(page, 'dataset')).sort()).toEqual(shownIn(await fetchPage('?producer=atmo'), 'dataset').sort());
    expect(page.url()).toContain('producer=atmo');
    await page.select('#filter-producer', '');
    await page.select('#filter-access', 'restricted');
    await page.waitForFunction(() => document.querySelectorAll('li.dataset:not([hidden])').length === 0);
    expect((await shownInBrowser(page, 'field')).sort()).toEqual(shownIn(await fetchPage('?access=restricted'), 'field').sort());
    await page.select('#filter-access', '');
    await page.type('#filter-q', 'nitrates');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('q') === 'nitrates');
    expect((await shownInBrowser(page, 'field')).sort()).toEqual(shownIn(await fetchPage('?q=nitrates'), 'field').sort());
    expect((await shownInBrowser(page, 'dataset')).sort()).toEqual(shownIn(await fetchPage('?q=nitrates'), 'dataset').sort());
    await page.select('#filter-territory', '67437');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('territory') === '67437');
    expect((await shownInBrowser(page, 'dataset')).sort()).toEqual(shownIn(await fetchPage('?q=nitrates&territory=67437'), 'dataset').sort());
    expect(watch.consoleErrors).toEqual([]);
    expect(watch.outside).toEqual([]);
    expect(watch.failed).toEqual([]);
  });

  it('every ready query, run anonymously, succeeds; its link opens GraphiQL with it in the editor', async () => {
    const links = [...french.matchAll(/<a class="graphiql" href="([^"]+)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));
    expect(links.length).toBeGreaterThan(30);
    const queries = [...new Set(links.map((href) => new URLSearchParams(href.split('#')[1]).get('query')!))];
    for (const query of queries) {
      const { data, errors } = await gatewayQuery(query);
      expect({ query, errors }).toEqual({ query, errors: undefined });
      expect(data).toBeTruthy();
    }
    const link = /<li class="dataset" id="dataset-air-quality-index"[\s\S]*?<a class="graphiql" href="([^"]+)"/.exec(french)![1]!.replace(/&amp;/g, '&');
    const expected = new URLSearchParams(link.split('#')[1]).get('query')!;
    const { data } = await gatewayQuery(expected);
    expect(JSON.stringify(data)).toContain('"index"');
    const { page } = watch;
    await page.goto(`${origin}/data?lang=fr`, { waitUntil: 'networkidle0' });
    await Promise.all([page.waitForNavigation(), page.click(`#dataset-air-quality-index a.graphiql`)]);
    await page.waitForSelector('.graphiql-query-editor .CodeMirror');
    const editor = await page.$eval('.graphiql-query-editor .CodeMirror', (el) => (el as any).CodeMirror.getValue() as string);
    expect(editor).toBe(expected);
    expect(watch.consoleErrors).toEqual([]);
    expect(watch.outside).toEqual([]);
  }, 60_000);

  it('reads in English with ?lang=en', async () => {
    const english = await fetchPage('?lang=en');
    expect(english).toContain('<html lang="en">');
    expect(english).toContain('<h1>Data inventory</h1>');
    expect(english).toContain(LEGAL_BASES.MEDICAL_SECRECY.en);
    expect(english).toContain('<input type="hidden" name="lang" value="en">');
  });

  it('has no serious or critical accessibility violation, at 1280 px in French and on a 390 px phone in English', async () => {
    const { page } = watch;
    // axe takes seconds on the whole inventory: each width is checked once, in one language each.
    for (const [width, lang] of [[1280, 'fr'], [390, 'en']] as const) {
      await page.setViewport({ width, height: 900 });
      await page.goto(`${origin}/data?lang=${lang}`, { waitUntil: 'networkidle0' });
      expect({ width, lang, violations: await seriousAccessibilityViolations(page) }).toEqual({ width, lang, violations: [] });
      // Nothing wider than the screen: long lines wrap, the restricted table scrolls in its own region.
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
    }
    await page.setViewport({ width: 1280, height: 900 });
    await page.goto(`${origin}/data?theme=HEAL`, { waitUntil: 'networkidle0' });
    await keepScreenshot(page, 'data');
    expect(watch.consoleErrors).toEqual([]);
    expect(watch.outside).toEqual([]);
  }, 90_000);
});
