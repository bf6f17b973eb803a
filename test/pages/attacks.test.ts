import http from 'node:http';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { gatewayQuery, testHub } from '../support/hub.ts';
import { bearer } from '../support/auth.ts';
import { serveApp, type ClaimedServer } from '../support/subgraph.ts';
import { openPage, type PageWatch } from '../support/browser.ts';
import { securityHeaders } from '../../lib/http/securityHeaders.ts';
import { OpenDataError, type AnonymousQuery } from '../../gateway/catalog/anonymousQuery.ts';
import { openDataCache } from '../../gateway/catalog/openDataCache.ts';
import { pagesRoute } from '../../gateway/pages/pagesRoute.ts';
import { readSupergraph, subgraphsOf } from '../../gateway/supergraph.ts';
import type { Hub } from '../../hub/hub.ts';

/**
 * Attacks on the explorer pages (/data, /map, /transparence) and GraphiQL's `#query=` pre-fill: crafted URLs and
 * headers against the hub as served, and hostile text written through the contract (a contributor's validated
 * contribution, anyone's dataset request, catalogue entries, indicators, a sensor, a territory's name) read back
 * by the pages. Markup in the data must stay text everywhere; a link built from data must be a web link.
 */

/** Text that would become markup (and run, were the CSP not there) if any page inserted it as HTML. */
const payload = (tag: string) => `${tag} <img src=x onerror="window.__pwned='${tag}'"> "><script>window.__pwned='${tag}-s'</script><svg onload="window.__pwned='${tag}-v'"> ' & \``;
/** What a markup injection would have left in a page. */
const INJECTED = 'img[src="x"], svg[onload], [onerror], [onload], script:not([src]), iframe, object, embed, base';
/** What a server's error may not say: SQL, a stack, a file, a package, an internal address. */
const INTERNALS = /\bselect\b.*\bfrom\b|syntax error|postgres|pglite|knex|\bat [\w.<>]+ \(|\.ts:\d+|node_modules|127\.0\.0\.1|localhost:\d+|ECONNREFUSED|TypeError|ReferenceError/i;

let hub: Hub;
let origin: string;
const opened: PageWatch[] = [];

async function open(base: string, path: string, width?: number): Promise<PageWatch> {
  const watch = await openPage(base, { width });
  opened.push(watch);
  await watch.page.goto(`${base}${path}`, { waitUntil: 'load' });
  return watch;
}

/** What a page shows of an injection: the flag the payloads set, elements they would have created, inline scripts. */
async function injection(page: Page) {
  return page.evaluate((selector) => ({
    pwned: (window as any).__pwned ?? null,
    injected: [...document.querySelectorAll(selector)].map((e) => e.outerHTML.slice(0, 120)),
    inlineScripts: [...document.scripts].filter((s) => !s.src).length,
  }), INJECTED);
}
const NONE = { pwned: null, injected: [], inlineScripts: 0 };
/** Console errors that are not a refused resource the test asked for on purpose (a 400 it provoked). */
const uncaught = (watch: PageWatch) => watch.consoleErrors.filter((e) => !/Failed to load resource: the server responded with a status of 400/.test(e));

/** A GET exactly as written (no client normalises `..` or `%2e`): status, headers, body. */
function rawGet(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname, port, path, method: 'GET', headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function directives(csp: string): Map<string, string[]> {
  return new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).filter((d) => d[0]).map(([name, ...values]) => [name!, values]));
}

beforeAll(async () => {
  hub = await testHub();
  origin = new URL(hub.gatewayUrl).origin;
});
afterAll(async () => {
  for (const watch of opened) await watch.page.close().catch(() => {});
});

describe('attacks on the pages as the hub serves them: crafted paths, query strings, headers and view URLs', () => {
  it('the static routes serve their own files only: traversal, encoded or doubled, and names outside the lists are 404', async () => {
    for (const ok of ['/pages/assets/map/map.js', '/pages/assets/data/data.js', '/pages/assets/transparence/transparence.js', '/pages/vendor/maplibre-gl.mjs', '/pages/site.css']) {
      const r = await rawGet(ok);
      expect(r.status, ok).toBe(200);
      expect(r.headers['x-content-type-options']).toBe('nosniff');
    }
    const attempts = [
      '/pages/assets/map/../../../../package.json',
      '/pages/assets/map/..%2f..%2f..%2f..%2fpackage.json',
      '/pages/assets/map/%2e%2e/%2e%2e/%2e%2e/%2e%2e/package.json',
      '/pages/assets/map/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fpackage.json',
      '/pages/assets/map/%2E%2E%2FmapPage.ts',
      '/pages/assets/map/..%5cmapPage.ts',
      '/pages/assets/map/%252e%252e%252fmapPage.ts',
      '/pages/assets/map/....//....//mapPage.ts',
      '/pages/assets/map/%c0%ae%c0%ae/mapPage.ts',
      '/pages/assets/map/map.js%00.ts',
      '/pages/assets/map/..',
      '/pages/assets/map/%2e%2e',
      '/pages/assets/data/../map/map.js',
      '/pages/assets/data/..%2fdataPage.ts',
      '/pages/assets/transparence/..%2ftransparencePage.ts',
      '/pages/assets/../../../package.json',
      '/pages/assets/layout.ts',
      '/pages/assets/map/.hidden',
      '/pages/vendor/..%2f..%2fpackage.json',
      '/pages/vendor/maplibre-gl.mjs%2f..%2f..%2fpackage.json',
      '/pages/vendor/constructor',
      '/pages/vendor/__proto__',
      '/pages/vendor/hasOwnProperty',
      '/pages/vendor/maplibre-gl',
      '/pages/site.css/../../package.json',
      '/pages/layout.ts',
      '/pages/pagesRoute.ts',
      '/graphiql/assets/..%2f..%2fpackage.json',
      '/graphiql/assets/constructor',
      '/graphiql/assets/__proto__',
    ];
    for (const path of attempts) {
      const r = await rawGet(path);
      expect(r.status, path).toBe(404);
      expect(r.body, path).not.toMatch(/"dependencies"|import express|from '\.\.\/|export function/);
      expect(r.body, path).not.toMatch(INTERNALS);
    }
  });

  it('no route redirects off the hub (a folder of assets, doubled slashes, an encoded host)', async () => {
    for (const path of ['/pages/assets/map', '/pages/assets/map/', '/pages/assets//evil.example/%2e%2e', '/pages/assets/map//evil.example/%2e%2e', '//evil.example/%2e%2e', '/pages/vendor//evil.example', '/data//evil.example', '/map?lang=en&next=//evil.example', '/graphql//evil.example/%2f%2e%2e']) {
      const r = await rawGet(path, { accept: 'text/html' });
      const location = r.headers.location;
      if (location !== undefined) {
        expect(location, path).toMatch(/^\/(?![/\\])/);
      }
    }
  });

  it('every page keeps a strict CSP: scripts from the hub only, no inline or eval, nothing framed; the map adds only blob: workers', async () => {
    for (const path of ['/data', '/map', '/transparence', '/graphql']) {
      const r = await fetch(`${origin}${path}`, { headers: { accept: 'text/html' } });
      expect(r.status, path).toBe(200);
      const csp = directives(r.headers.get('content-security-policy') ?? '');
      expect(csp.get('default-src'), path).toEqual(["'self'"]);
      expect(csp.get('script-src'), path).toEqual(["'self'"]);
      expect(csp.get('script-src-attr'), path).toEqual(["'none'"]);
      expect(csp.get('object-src'), path).toEqual(["'none'"]);
      expect(csp.get('base-uri'), path).toEqual(["'none'"]);
      expect(csp.get('frame-ancestors'), path).toEqual(["'none'"]);
      expect(csp.get('connect-src'), path).toEqual(["'self'"]);
      expect(csp.get('form-action'), path).toEqual(["'self'"]);
      expect(csp.get('img-src'), path).toEqual(["'self'", 'data:']);
      for (const [name, values] of csp) for (const v of values) expect(`${name} ${v}`, path).not.toMatch(/unsafe-eval|unsafe-hashes|wasm-unsafe|\*|^https?:|strict-dynamic|'nonce-/);
      expect(csp.get('worker-src') ?? null, path).toEqual(path === '/map' ? ["'self'", 'blob:'] : null);
      expect(r.headers.get('x-frame-options'), path).toBe('DENY');
      expect(r.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(r.headers.get('referrer-policy'), path).toBe('no-referrer');
    }
  });

  it('what a URL or a header carries is reflected as text only, and a varying header is declared', async () => {
    const evil = payload('reflected');
    const q = encodeURIComponent(evil);
    const cases = [
      `/data?q=${q}&producer=${q}&theme=${q}&access=${q}&territory=${q}&lang=${q}`,
      `/data?lang=en&q=${q}`,
      `/data?q[]=${q}&q[x]=${q}&producer[]=a`,
      `/map?fill=${q}&points=${q}&date=${q}&at=${q}&sel=${q}&area=${q}&hi=${q}&hp=${q}&hl=${q}&ui=${q}&${q}=${q}`,
      `/map?lang=en&%22%3E%3Cscript%3E=1`,
      `/transparence?lang=${q}&x=${q}`,
    ];
    for (const path of cases) {
      const r = await fetch(`${origin}${path}`, { headers: { 'accept-language': `"><script>window.__pwned=1</script>, en;q=0.1` } });
      const body = await r.text();
      expect(r.status, path).toBe(200);
      expect(body, path).not.toContain('<img src=x');
      expect(body, path).not.toContain('<script>window');
      expect(body, path).not.toContain('<svg onload');
      expect(body, path).not.toMatch(/"><script/);
      expect(body, path).not.toMatch(/href="\s*javascript:/i);
    }
    // The search box gives the words back, as text in its attribute.
    const data = await (await fetch(`${origin}/data?q=${q}`)).text();
    expect(data).toContain('value="reflected &lt;img src=x onerror=&quot;window.__pwned=&#39;reflected&#39;&quot;&gt;');
    // The language comes from `lang` or Accept-Language: where the header decides, caches are told.
    for (const path of ['/data', '/map', '/transparence']) {
      const r = await fetch(`${origin}${path}`, { headers: { 'accept-language': 'en' } });
      expect(r.headers.get('vary') ?? '', path).toMatch(/accept-language/i);
      expect(r.headers.get('content-language') ?? 'en', path).toBe('en');
      expect((await r.text()).startsWith('<!doctype html>\n<html lang="en">'), path).toBe(true);
    }
  });

  it('the map endpoints refuse odd parameters with a clear 400 that names no internals, and are never cached when they fail', async () => {
    const refused = [
      '/pages/map/values.json?layer=%3Cscript%3E',
      '/pages/map/values.json?layer=atmo&layer=health',
      '/pages/map/values.json?layer=atmo&date[]=2025-01-01',
      '/pages/map/values.json?layer=atmo&date=2025-02-30',
      '/pages/map/values.json?layer=atmo&date=2025-13-01',
      '/pages/map/values.json?layer=stations&date=0000-01-01',
      '/pages/map/values.json?layer=sensors&date=0000-01-01',
      '/pages/map/values.json?layer=health&indicator=%22)%7B__typename%7D&period=2019',
      '/pages/map/values.json?layer=health&indicator=ASTHMA_PREVALENCE&period=2019%27%20or%201=1',
      '/pages/map/values.json?layer=urban&indicator=__proto__',
      '/pages/map/values.json?layer=groundwater&extra=1',
      '/pages/map/values.json?layer=constructor',
      '/pages/map/territories.geojson?kind=COMMUNE&zoom=99',
      '/pages/map/territories.geojson?kind=COMMUNE&zoom=1e3',
      '/pages/map/territories.geojson?kind=%3Cscript%3E&zoom=9',
      '/pages/map/territories.geojson?kind=COMMUNE&zoom=9&simplifyMeters=0',
    ];
    for (const path of refused) {
      const r = await fetch(`${origin}${path}`);
      const body = await r.text();
      expect(r.status, `${path} → ${body}`).toBe(400);
      expect(r.headers.get('content-type'), path).toMatch(/^application\/json/);
      expect(r.headers.get('cache-control'), path).toBe('no-store');
      const answer = JSON.parse(body);
      expect(answer.errors[0].extensions.code, path).toBe('BAD_USER_INPUT');
      expect(answer.errors[0].message, path).not.toMatch(INTERNALS);
      expect(body, path).not.toContain('<script');
    }
  });

  it('a token or a forged forwarded address changes no byte of the map endpoints: restricted data never reaches them', async () => {
    const researcher = await bearer(['orsal:restricted', 'atmo:restricted', 'community:restricted', 'aprona:restricted', 'community:moderate', 'audit:read'], 'attack-researcher');
    const config = JSON.parse(/data-config="([^"]*)"/.exec(await (await fetch(`${origin}/map`)).text())![1]!.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'));
    const day = config.dates.max as string;
    for (const path of [`/pages/map/values.json?layer=sensors&date=${day}`, `/pages/map/values.json?layer=stations&date=${day}`, '/pages/map/values.json?layer=groundwater', `/pages/map/values.json?layer=health&indicator=${config.health.indicators[0].code}&period=${config.health.periods[0]}&level=COMMUNE`, '/pages/map/territories.geojson?kind=IRIS&zoom=12']) {
      const anonymous = await fetch(`${origin}${path}`);
      const withToken = await fetch(`${origin}${path}`, { headers: { ...researcher, 'x-forwarded-for': '10.0.0.1' } });
      expect(withToken.status, path).toBe(200);
      expect(await withToken.text(), path).toBe(await anonymous.text());
      expect(anonymous.headers.get('cache-control'), path).toMatch(/^public/);
    }
    const sensors = await (await fetch(`${origin}/pages/map/values.json?layer=sensors&date=${day}`)).json();
    for (const f of sensors.features) expect(Object.keys(f.properties).sort()).toEqual(['id', 'latest', 'licence', 'producerName', 'qualityFlags', 'qualityScore', 'sensorType', 'synthetic']);
    // The restricted values (a case count, IRIS-level health) are not in the health layer.
    const health = await (await fetch(`${origin}/pages/map/values.json?layer=health&indicator=${config.health.indicators[0].code}&period=${config.health.periods[0]}&level=COMMUNE`)).json();
    for (const v of Object.values(health.values) as Record<string, unknown>[]) {
      expect(Object.keys(v).sort()).toEqual(['label', 'precision', 'suppressed', 'suppressionReason', 'unit', 'value']);
      if (v.suppressed) expect(v.value).toBeNull();
    }
    // A conditional request with the body's own ETag is a 304; a forged one is not.
    const first = await fetch(`${origin}/pages/map/values.json?layer=groundwater`);
    const etag = first.headers.get('etag')!;
    expect((await rawGet('/pages/map/values.json?layer=groundwater', { 'if-none-match': etag })).status).toBe(304);
    expect((await rawGet('/pages/map/values.json?layer=groundwater', { 'if-none-match': '"forged"' })).status).toBe(200);
  });

  it('the map survives any view in its URL: an impossible position, a huge or malformed area, odd dates and choices', async () => {
    const ring: string[] = [];
    // 400 vertices around the cathedral: a long URL, an area the hub answers (or refuses) with a message.
    for (let i = 0; i < 400; i++) ring.push(`${(7.75 + 0.05 * Math.cos((i / 400) * 2 * Math.PI)).toFixed(5)},${(48.58 + 0.03 * Math.sin((i / 400) * 2 * Math.PI)).toFixed(5)}`);
    const evil = encodeURIComponent(payload('view'));
    const views = [
      '?at=11/9999/7.75',
      '?at=11/-91/7.75',
      '?at=1e308/48.58/7.75',
      '?at=-3/48.58/1e308',
      '?at=NaN/Infinity/-Infinity',
      '?area=c:7.75,48.58,1e12',
      '?area=c:7.75,95,1000',
      '?area=c:1e308,48.58,-5',
      '?area=p:7.7,48.5,7.8,48.5,7.8,48.6,7.7,48.6,7.7',
      '?area=p:0,0,0,0,0,0',
      '?area=p:-180,-85,180,-85,180,85,-180,85',
      `?area=p:${ring.join(',')}`,
      `?fill=health&hi=${evil}&hp=${evil}&hl=${evil}&sel=${evil}`,
      `?fill=urban&ui=${evil}&points=${evil}`,
      '?date=2025-02-30&points=stations,sensors',
      '?date=0000-01-01&points=stations,sensors',
    ];
    for (const view of views) {
      const watch = await open(origin, `/map${view}`);
      const { page } = watch;
      // Ready (drawn), or a message in the status line: either way the page answers.
      await page.waitForFunction(() => {
        const app = document.getElementById('map-app');
        return Boolean(app?.dataset.ready) || (document.getElementById('map-status')?.textContent ?? '').length > 0 && !/…|\.\.\./.test(document.getElementById('map-status')!.textContent!);
      }, { timeout: 30_000 }).catch(() => {});
      // A drawn area the page takes answers too (its list or a message); one it does not take is ignored: the page,
      // ready, has written its view to the URL without it (mapView.js), and there is nothing more to wait for.
      if (view.startsWith('?area=')) {
        await page
          .waitForFunction(() => {
            const app = document.getElementById('map-app')!;
            return app.dataset.area !== undefined || (Boolean(app.dataset.ready) && !new URLSearchParams(location.search).has('area'));
          }, { timeout: 15_000 })
          .catch(() => {});
      }
      const state = await page.evaluate(() => ({
        ready: document.getElementById('map-app')!.dataset.ready ?? null,
        status: document.getElementById('map-status')!.textContent,
        area: document.getElementById('area-body')!.textContent,
        canvas: Boolean(document.querySelector('#map canvas')),
        checked: (document.querySelector('input[name="fill"]:checked') as HTMLInputElement | null)?.value ?? null,
      }));
      expect(uncaught(watch), view).toEqual([]);
      expect(watch.outside, view).toEqual([]);
      expect(await injection(page), view).toEqual(NONE);
      expect(state.canvas, view).toBe(true);
      expect(state.checked, view).not.toBeNull();
      expect(Boolean(state.ready) || state.status.length > 0, `${view}: ${JSON.stringify(state)}`).toBe(true);
      if (state.status) expect(state.status, view).not.toMatch(INTERNALS);
      if (state.area) expect(state.area, view).not.toMatch(INTERNALS);
      await page.close();
      opened.splice(opened.indexOf(watch), 1);
    }
  }, 300_000);

  it("GraphiQL's #query= only fills the editor, as text: nothing runs, nothing is injected", async () => {
    const query = `mutation Evil { requestDataset(title: "from a link", description: "x") { id } }\n# ${payload('graphiql')} </textarea></script>`;
    const watch = await openPage(origin);
    opened.push(watch);
    const posted: string[] = [];
    watch.page.on('request', (request) => {
      if (request.method() === 'POST') posted.push(request.postData() ?? '');
    });
    await watch.page.goto(`${origin}/graphql#${new URLSearchParams({ query }).toString()}`, { waitUntil: 'load' });
    await watch.page.waitForSelector('.graphiql-query-editor .CodeMirror', { timeout: 20_000 });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const editor = await watch.page.evaluate(() => (document.querySelector('.graphiql-query-editor .CodeMirror') as any).CodeMirror.getValue());
    expect(editor).toBe(query);
    expect(await injection(watch.page)).toEqual({ ...NONE, inlineScripts: 0 });
    // Only the schema's introspection went out: the mutation waits for the reader to run it.
    expect(posted.length).toBeGreaterThan(0);
    for (const body of posted) expect(body).not.toContain('requestDataset');
    expect(watch.consoleErrors).toEqual([]);
    expect(watch.outside).toEqual([]);
  });
});

describe('attacks through the open contract: hostile text that contributors, requesters and files put in the data', () => {
  let pages: ClaimedServer;
  let base: string;
  const created = { contribution: '', requests: [] as string[] };
  let commune: { code: string; name: string; centre: { coordinates: [number, number] } };
  const SENSOR = 'sc-99999001';
  const T = {
    dataset: payload('dataset').slice(0, 190),
    datasetDescription: payload('dataset-description'),
    publisher: payload('publisher').slice(0, 120),
    contribution: payload('contribution').slice(0, 190),
    contributionDescription: payload('contribution-description'),
    request: payload('request').slice(0, 190),
    requestDescription: payload('request-description'),
    reason: payload('reason'),
    indicator: payload('indicator'),
    process: payload('process'),
    step: payload('step'),
    sensorType: payload('sensor').slice(0, 120),
    sensorProducer: payload('sensor-producer').slice(0, 120),
    territory: payload('territory').slice(0, 120),
  };

  beforeAll(async () => {
    const community = hub.subgraph('community').db.knex;
    const adeus = hub.subgraph('adeus').db.knex;
    const contributor = await bearer(['community:contribute'], 'attacker-contributor');
    const moderator = await bearer(['community:moderate'], 'attack-moderator');

    // A validated catalogue entry whose landing page is a script.
    await community('community.dataset').insert([
      { id: 'zz-attack-js', title: T.dataset, description: T.datasetDescription, theme: 'Santé', producer_kind: 'PARTNER', producer_name: T.publisher, licence: 'ODBL', updated_on: '2025-01-01', landing_page: "javascript:window.__pwned='landing'", format: 'CSV', status: 'VALIDATED', source: 'test/pages/attacks.test.ts', synthetic: true },
      { id: 'zz-attack-js2', title: 'zz-attack second', description: 'x', theme: 'constructor', producer_kind: 'PARTNER', producer_name: 'x', licence: 'ODBL', updated_on: '2025-01-01', landing_page: " \tJaVa\nScRiPt:window.__pwned='landing2'", format: 'CSV', status: 'VALIDATED', source: 'test/pages/attacks.test.ts', synthetic: true },
      { id: 'zz-attack-data', title: 'zz-attack third', description: 'x', theme: 'Santé', producer_kind: 'PARTNER', producer_name: 'x', licence: 'ODBL', updated_on: '2025-01-01', landing_page: 'data:text/html,<script>alert(1)</script>', format: 'CSV', status: 'VALIDATED', source: 'test/pages/attacks.test.ts', synthetic: true },
      { id: 'zz-attack-web', title: 'zz-attack fourth', description: 'x', theme: 'Santé', producer_kind: 'PARTNER', producer_name: 'x', licence: 'ODBL', updated_on: '2025-01-01', landing_page: 'https://data.example.org/zz-attack?a=1&b="2"', format: 'CSV', status: 'VALIDATED', source: 'test/pages/attacks.test.ts', synthetic: true },
    ]);

    // A contributor's dataset, validated by a moderator as contributors hope.
    const submitted = await gatewayQuery('mutation ($input: ContributionInput!) { submitContribution(input: $input) { id } }', { input: { title: T.contribution, description: T.contributionDescription, licence: 'ODBL', producerKind: 'CITIZEN', contact: 'attacker@example.org' } }, contributor);
    expect(submitted.errors).toBeUndefined();
    created.contribution = submitted.data.submitContribution.id;
    const features = { type: 'FeatureCollection', features: [{ type: 'Feature', geometry: { type: 'Point', coordinates: [7.75, 48.58] }, properties: { name: payload('feature') } }] };
    const added = await gatewayQuery('mutation ($id: ID!, $features: GeoJSON!) { addContributionFeatures(id: $id, features: $features) { version } }', { id: created.contribution, features }, contributor);
    expect(added.errors).toBeUndefined();
    const validated = await gatewayQuery('mutation ($id: ID!, $version: Int!) { moderateContribution(id: $id, version: $version, decision: VALIDATED) { status } }', { id: created.contribution, version: added.data.addContributionFeatures.version }, moderator);
    expect(validated.errors).toBeUndefined();

    // A dataset request: any authenticated caller, no moderation. And one a moderator declined with a reason.
    for (const [title, description] of [[T.request, T.requestDescription], ['zz-attack declined', 'x']]) {
      const asked = await gatewayQuery('mutation ($t: String!, $d: String!) { requestDataset(title: $t, description: $d) { id } }', { t: title, d: description }, contributor);
      expect(asked.errors).toBeUndefined();
      created.requests.push(asked.data.requestDataset.id);
    }
    const declined = await gatewayQuery('mutation ($id: ID!, $r: String) { setDatasetRequestStatus(id: $id, status: DECLINED, reason: $r) { status } }', { id: created.requests[1], r: T.reason }, moderator);
    expect(declined.errors).toBeUndefined();

    // Transparency text as the collectivity's files could carry it.
    await community('community.transparency_indicator').insert({ id: 'zz-attack', name: T.indicator, definition: T.indicator, method: T.indicator, unit: T.indicator, periodicity: 'MONTHLY', owner_service: T.indicator, source: T.indicator, synthetic: true });
    // A unit or a theme named like a property every object has: looked up in the pages' word lists, it must stay a word.
    await community('community.transparency_indicator').insert({ id: 'zz-attack-proto', name: 'zz-attack proto', definition: 'x', method: 'x', unit: 'constructor', periodicity: 'YEARLY', owner_service: 'x', source: 'x', synthetic: true });
    await community('community.transparency_value').insert([{ indicator_id: 'zz-attack', period_start: '2024-01-01', value: 1 }, { indicator_id: 'zz-attack', period_start: '2024-02-01', value: 2 }, { indicator_id: 'zz-attack-proto', period_start: '2024-01-01', value: 3 }]);
    await community('community.decision_process').insert({ id: 'zz-attack', title: T.process, summary: T.process, source: 'test', synthetic: true });
    await community('community.decision_step').insert({ process_id: 'zz-attack', step_no: 1, title: T.step, explanation: T.step, who: T.step, typical_duration: T.step });

    // A territory named by an ingested file, and a validated sensor in it.
    const communes = (await gatewayQuery('{ territories(kind: COMMUNE) { code name centre } }')).data.territories as typeof commune[];
    commune = communes.filter((c) => c.code !== '67482' && c.centre).sort((a, b) => a.code.localeCompare(b.code)).at(-1)!;
    await adeus('adeus.territory').where({ code: commune.code }).update({ name: T.territory });
    const [lon, lat] = commune.centre.coordinates;
    await community.raw(`insert into community.sensor (id, sensor_type, measures, geom, status, producer_kind, producer_name, licence, source, synthetic) values (?, ?, '{pm10,pm25}', ST_SetSRID(ST_MakePoint(?, ?), 4326), 'VALIDATED', 'CITIZEN', ?, 'ODBL', 'test/pages/attacks.test.ts', true)`, [SENSOR, T.sensorType, lon, lat, T.sensorProducer]);

    // The pages over the hub's open API, with caches of their own: the hub's pages never hold this text, so the
    // files that run after this one (and compare the hub's pages with its API) see none of it.
    const query: AnonymousQuery = async (text, variables) => {
      const answer = await gatewayQuery(text, variables);
      if (answer.errors?.length || !answer.data) throw new OpenDataError(answer.errors?.[0]?.message ?? 'no data', String(answer.errors?.[0]?.extensions?.code ?? 'INTERNAL_SERVER_ERROR'));
      return answer.data;
    };
    const supergraphSdl = readSupergraph();
    const app = express();
    app.use(securityHeaders());
    app.use(pagesRoute({ query, openData: openDataCache(query, { warn: () => {} }), titles: new Map(subgraphsOf(supergraphSdl).map(({ name, title }) => [name, title])), clientOf: () => 'attacks', supergraphSdl }));
    // The map's panel and area list ask /graphql on the page's origin: the hub's, forwarded as is.
    app.post('/graphql', express.json({ limit: '6mb' }), async (req, res) => {
      const answer = await fetch(hub.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(req.body) });
      res.status(answer.status).type('json').send(await answer.text());
    });
    pages = await serveApp(app);
    base = new URL(pages.url).origin;
  }, 180_000);

  afterAll(async () => {
    const community = hub.subgraph('community').db.knex;
    await community('community.dataset').where('id', 'like', 'zz-attack%').delete();
    if (created.contribution) await community('community.contribution').where({ id: created.contribution }).delete();
    if (created.requests.length) await community('community.dataset_request').whereIn('id', created.requests).delete();
    await community('community.transparency_indicator').whereIn('id', ['zz-attack', 'zz-attack-proto']).delete();
    await community('community.decision_process').where({ id: 'zz-attack' }).delete();
    await community('community.sensor').where({ id: SENSOR }).delete();
    if (commune) await hub.subgraph('adeus').db.knex('adeus.territory').where({ code: commune.code }).update({ name: commune.name });
    await pages?.close();
  });

  it('/data shows every hostile title, description, publisher and place name as text, and a script, data: or disguised landing page is no link', async () => {
    const html = await (await fetch(`${base}/data`)).text();
    for (const marker of ['<img src=x', '<script>window', '<svg onload']) expect(html).not.toContain(marker);
    expect(html).not.toMatch(/href="[^"]*(javascript|data:text)/i);
    for (const lang of ['fr', 'en']) {
      const watch = await open(base, `/data?lang=${lang}`);
      const page = watch.page;
      expect(await injection(page), lang).toEqual(NONE);
      expect(watch.consoleErrors, lang).toEqual([]);
      const seen = await page.evaluate(() => ({
        text: document.body.textContent ?? '',
        options: [...document.querySelectorAll('#filter-territory option')].map((o) => o.textContent),
        links: [...document.querySelectorAll('a[href]')].map((a) => (a as HTMLAnchorElement).protocol),
        landing: [...document.querySelectorAll('li.dataset[id^="dataset-dataset-zz-attack"]')].map((li) => ({ id: li.id, links: [...li.querySelectorAll('a[href]')].map((a) => a.getAttribute('href')) })),
      }));
      expect(new Set(seen.links), lang).toEqual(new Set(seen.links.filter((p) => p === 'http:' || p === 'https:')));
      expect(seen.options, lang).toContain(T.territory);
      if (lang === 'fr') {
        for (const text of [T.dataset, T.datasetDescription, T.contribution, T.contributionDescription]) expect(seen.text, text).toContain(text);
      }
      expect(seen.text, lang).toContain(T.publisher);
      expect(seen.text, lang).not.toMatch(/\[native code\]|\[object Object\]/);
      const landing = Object.fromEntries(seen.landing.map((d) => [d.id, d.links.filter((href) => !href!.startsWith('/') && !href!.startsWith('#') && !/creativecommons|opendatacommons|etalab/.test(href!))]));
      expect(landing, lang).toEqual({ 'dataset-dataset-zz-attack-js': [], 'dataset-dataset-zz-attack-js2': [], 'dataset-dataset-zz-attack-data': [], 'dataset-dataset-zz-attack-web': ['https://data.example.org/zz-attack?a=1&b="2"'] });
      // Filtering as one types reads the same text: still text.
      await page.type('#filter-q', 'attack');
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(await injection(page), lang).toEqual(NONE);
    }
  });

  it('/transparence shows hostile indicators, processes, a declined reason and an unmoderated dataset request as text, charts included', async () => {
    const html = await (await fetch(`${base}/transparence`)).text();
    for (const marker of ['<img src=x', '<script>window', '<svg onload']) expect(html).not.toContain(marker);
    const watch = await open(base, '/transparence');
    const page = watch.page;
    await page.waitForFunction(() => Boolean((window as any).Chart), { timeout: 10_000 });
    expect(await injection(page)).toEqual(NONE);
    expect(watch.consoleErrors).toEqual([]);
    const seen = await page.evaluate(() => ({
      text: document.body.textContent ?? '',
      chartLabel: (window as any).Chart.getChart(document.querySelector('article[data-indicator="zz-attack"] canvas'))?.data.datasets[0].label ?? null,
    }));
    for (const text of [T.indicator, T.process, T.step, T.request, T.requestDescription, T.reason]) expect(seen.text, text).toContain(text);
    expect(seen.chartLabel).toBe(T.indicator);
    expect(seen.text).not.toMatch(/\[native code\]|\[object Object\]/);
  });

  it('KNOWN GAP (community subgraph, not the page): a dataset request from any authenticated caller, of any scope, is public at once — shown as text only', async () => {
    const noScope = await bearer([], 'attack-no-scope');
    const asked = await gatewayQuery('mutation { requestDataset(title: "zz-attack unmoderated", description: "visible without review") { id status } }', {}, noScope);
    expect(asked.errors).toBeUndefined();
    created.requests.push(asked.data.requestDataset.id);
    const anonymous = await gatewayQuery('{ datasetRequests { id title } }');
    expect(anonymous.data.datasetRequests).toContainEqual({ id: asked.data.requestDataset.id, title: 'zz-attack unmoderated' });
  });

  it('a dataset request\'s description is bounded (4,000 characters), so no caller can bloat the public dashboard', async () => {
    const anyone = await bearer([], 'attack-bloat');
    const asked = await gatewayQuery('mutation ($d: String!) { requestDataset(title: "zz-attack bloat", description: $d) { id } }', { d: 'x'.repeat(200_000) }, anyone);
    if (asked.data?.requestDataset?.id) created.requests.push(asked.data.requestDataset.id);
    expect(asked.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('/map: the territory list, the labels, the side panel, the area list and a sensor\'s popup show hostile names as text', async () => {
    const [lon, lat] = commune.centre.coordinates;
    const watch = await open(base, `/map?points=sensors&sel=${commune.code}&at=12/${lat}/${lon}&area=c:${lon},${lat},300`);
    const page = watch.page;
    await page.waitForSelector(`#map-app[data-panel="${commune.code}"]`, { timeout: 30_000 });
    await page.waitForFunction(() => Boolean(document.getElementById('map-app')!.dataset.area), { timeout: 30_000 });
    await page.waitForFunction(() => Boolean(document.getElementById('map-app')!.dataset.ready), { timeout: 30_000 });
    // As text, not a function: the test runner would rewrite a dynamic import() in a function it serialises.
    const seen = (await page.evaluate(`(async (sensor) => {
      const config = JSON.parse(document.getElementById('map-app').dataset.config);
      const { pointPopup } = await import('/pages/assets/map/mapPanel.js');
      const values = await (await fetch('/pages/map/values.json?layer=sensors&date=' + config.dates.max)).json();
      const feature = values.features.find((f) => f.id === sensor);
      // MapLibre hands a point's properties to the click handler with nested values as JSON text.
      const properties = Object.fromEntries(Object.entries(feature.properties).map(([k, v]) => [k, v !== null && typeof v === 'object' ? JSON.stringify(v) : v]));
      const popup = pointPopup('sensors', properties, { config, format: String });
      document.body.append(popup);
      return {
        panel: document.getElementById('panel-body').textContent,
        area: document.getElementById('area-body').textContent,
        labels: [...document.querySelectorAll('.map-label')].map((l) => l.textContent),
        options: [...document.querySelectorAll('#territory-select option')].map((o) => o.textContent),
        popup: popup.textContent,
        popupElements: popup.querySelectorAll('img, svg, script').length,
      };
    })(${JSON.stringify(SENSOR)})`)) as { panel: string; area: string; labels: string[]; options: string[]; popup: string; popupElements: number };
    expect(await injection(page)).toEqual(NONE);
    expect(watch.consoleErrors).toEqual([]);
    expect(seen.panel).toContain(T.territory);
    expect(seen.panel).toContain(`${SENSOR} (${T.sensorType})`);
    expect(seen.area).toContain(T.territory);
    expect(seen.area).toContain(`${SENSOR} (${T.sensorType})`);
    expect(seen.labels).toContain(T.territory);
    expect(seen.options).toContain(`${T.territory} (${commune.code})`);
    expect(seen.popup).toContain(T.sensorType);
    expect(seen.popup).toContain(T.sensorProducer);
    expect(seen.popupElements).toBe(0);
  }, 120_000);

  it('the map\'s JSON endpoints carry the hostile text as JSON strings, served as JSON that no browser sniffs as HTML', async () => {
    const r = await fetch(`${base}/pages/map/territories.geojson?kind=COMMUNE&zoom=9`);
    expect(r.headers.get('content-type')).toMatch(/^application\/geo\+json/);
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    const body = await r.json();
    expect(body.features.find((f: any) => f.id === commune.code).properties.name).toBe(T.territory);
  });
});
