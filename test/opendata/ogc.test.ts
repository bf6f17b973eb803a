import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testHub, gatewayQuery } from '../support/hub.ts';
import { bearer, testVerifier } from '../support/auth.ts';
import { serveApp, type ClaimedServer } from '../support/subgraph.ts';
import { createGatewayApp, type GatewayOptions } from '../../gateway/gateway.ts';
import { readSupergraph, subgraphsOf } from '../../gateway/supergraph.ts';
import { readCatalogWords } from '../../gateway/catalog/catalogWords.ts';
import { OGC_COLLECTIONS } from '../../gateway/opendata/collections/index.ts';

const run = promisify(execFile);
const CRS84 = 'http://www.opengis.net/def/crs/OGC/1.3/CRS84';
const LAMBERT93 = 'http://www.opengis.net/def/crs/EPSG/0/2154';
const CC48 = 'http://www.opengis.net/def/crs/EPSG/0/3948';
const CONFORMANCE = [
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core',
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson',
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html',
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30',
  'http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs',
];
/** Central Strasbourg and its north: several ATMO stations, well under the contract's 2°. */
const STRASBOURG_BOX = [7.68, 48.55, 7.82, 48.65] as const;
const STRASBOURG = '67482';
const EUROMETROPOLE = '246700488';

let base: string;
const ogc = (url: string, headers: Record<string, string> = {}) => fetch(`${base}/ogc${url}`, { headers });
async function ok(url: string, headers: Record<string, string> = {}): Promise<any> {
  const response = await ogc(url, headers);
  const text = await response.text();
  expect(response.status, `${url}: ${text.slice(0, 300)}`).toBe(200);
  return JSON.parse(text);
}
const linkOf = (doc: { links: any[] }, rel: string, type?: string) => doc.links.find((l) => l.rel === rel && (!type || l.type === type));
const ids = (collection: { features: { id: string }[] }) => collection.features.map((f) => f.id).sort();
/** Every item behind a first page, following `next` as a client does; the pages' sizes too. */
async function everyPage(url: string): Promise<{ ids: string[]; pages: any[] }> {
  const pages = [await ok(url)];
  for (let next = linkOf(pages[0], 'next'); next; next = linkOf(pages.at(-1), 'next')) {
    const response = await fetch(next.href);
    expect(response.status).toBe(200);
    pages.push(await response.json());
  }
  return { ids: pages.flatMap((p) => p.features.map((f: any) => f.id)), pages };
}
/** The body without what changes on each request. */
const stable = (body: any) => ({ ...body, timeStamp: undefined });

describe('a GIS user reads the open data through OGC API – Features at /ogc', () => {
  beforeAll(async () => {
    const hub = await testHub();
    base = hub.gatewayUrl.replace(/\/graphql$/, '');
  });

  it('the landing page links the OpenAPI definition, its documentation, the conformance classes and the collections', async () => {
    const landing = await ok('');
    expect(landing.title).toMatch(/OGC API/);
    for (const rel of ['self', 'alternate', 'service-desc', 'service-doc', 'conformance', 'data']) expect(linkOf(landing, rel), rel).toBeDefined();
    expect(linkOf(landing, 'service-desc').type).toBe('application/vnd.oai.openapi+json;version=3.0');
    expect(linkOf(landing, 'service-doc').type).toBe('text/html');
    expect(linkOf(landing, 'data', 'application/json').href).toBe(`${base}/ogc/collections?f=json`);

    const api = await fetch(linkOf(landing, 'service-desc').href);
    expect(api.headers.get('content-type')).toMatch(/^application\/vnd\.oai\.openapi\+json; ?version=3\.0/);
    const openapi = await api.json();
    expect(openapi.openapi).toMatch(/^3\.0\./);
    expect(openapi.servers[0].url).toBe(`${base}/ogc`);
    expect(Object.keys(openapi.paths)).toEqual(expect.arrayContaining(['/', '/conformance', '/collections', '/collections/{collectionId}', '/collections/{collectionId}/items', '/collections/{collectionId}/items/{featureId}']));
    expect(openapi.components.parameters.limit.schema).toMatchObject({ minimum: 1, maximum: 10000, default: 100 });
    const doc = await fetch(linkOf(landing, 'service-doc').href);
    expect(doc.headers.get('content-type')).toMatch(/^text\/html/);

    const conformance = await ok('/conformance');
    expect(conformance.conformsTo).toEqual(expect.arrayContaining(CONFORMANCE));
  });

  it('the collections say, in French by default, what they hold: extent, CRSs, licence and attribution', async () => {
    const { collections } = await ok('/collections');
    const words = readCatalogWords();
    const titles = new Map(subgraphsOf(readSupergraph()).map(({ name, title }) => [name, title]));
    expect(collections.map((c: any) => c.id)).toEqual(OGC_COLLECTIONS.map((c) => c.id));
    expect(collections.map((c: any) => c.id)).not.toContain('air-measurements');
    for (const described of collections) {
      const collection = OGC_COLLECTIONS.find((c) => c.id === described.id)!;
      expect(described).toMatchObject({ title: collection.title.fr, description: collection.description.fr, itemType: 'feature', storageCrs: CRS84, attribution: titles.get(collection.producer) });
      expect(described.crs).toEqual([CRS84, LAMBERT93, CC48]);
      expect(described.extent.spatial.crs).toBe(CRS84);
      const [[west, south, east, north]] = described.extent.spatial.bbox;
      // Alsace, and the stations around it.
      expect([west, south, east, north].every((n: number) => Number.isFinite(n))).toBe(true);
      expect(west).toBeGreaterThan(6.5);
      expect(east).toBeLessThan(9);
      expect(south).toBeGreaterThan(47.5);
      expect(north).toBeLessThan(49.5);
      expect(linkOf(described, 'items', 'application/geo+json').href).toBe(`${base}/ogc/collections/${described.id}/items?f=json`);
      expect(linkOf(described, 'items', 'text/html')).toBeDefined();
      const licence = words.datasets[collection.dataset]?.licence;
      if (licence) expect(linkOf(described, 'license').href).toBe(words.licences[licence]);
      if (collection.temporal) expect(described.extent.temporal.interval[0]).toEqual([expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/), expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/)]);
    }
    const index = collections.find((c: any) => c.id === 'air-quality-index');
    expect(index.attribution).toBe('ATMO Grand Est');
    expect(linkOf(index, 'license').href).toBe('http://opendatacommons.org/licenses/odbl/1-0/');

    expect((await ok('/collections/air-quality-index?lang=en')).title).toBe('Daily ATMO index per commune and EPCI');
    expect((await ok('/collections/air-quality-index', { 'accept-language': 'en-GB,en;q=0.9' })).title).toBe('Daily ATMO index per commune and EPCI');
    expect((await ok('/collections/air-quality-index', { 'accept-language': 'de' })).title).toBe('Indice ATMO quotidien par commune et par EPCI');
  });

  it('a client pages through a collection: `next` until there is none, and numberMatched is what it gets in all', async () => {
    const { ids: all, pages } = await everyPage('/collections/territories/items?limit=100');
    expect(pages.length).toBeGreaterThanOrEqual(3);
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBe(pages[0].numberMatched);
    for (const page of pages) expect(page.numberReturned).toBe(page.features.length);
    expect(pages.slice(0, -1).every((p) => p.numberReturned === 100)).toBe(true);
    expect(linkOf(pages[0], 'prev')).toBeUndefined();
    expect(linkOf(pages[1], 'prev').href).toBe(`${base}/ogc/collections/territories/items?limit=100&f=json`);
    expect(linkOf(pages[1], 'self').href).toBe(`${base}/ogc/collections/territories/items?limit=100&offset=100&f=json`);

    // The default page is 100 items; the time series too is paged with its count known beforehand.
    const health = await ok('/collections/health-indicators/items');
    expect(health.numberReturned).toBe(100);
    const index = await ok('/collections/air-quality-index/items?limit=1000');
    expect(index.numberReturned).toBe(1000);
    expect(index.numberMatched).toBeGreaterThan(10_000);
    const last = await ok(`/collections/air-quality-index/items?limit=1000&offset=${index.numberMatched - 3}`);
    expect(last.numberReturned).toBe(3);
    expect(linkOf(last, 'next')).toBeUndefined();
  });

  it('every feature is GeoJSON with its id, geometry and properties, and the page names its licence and producer', async () => {
    const response = await ogc('/collections/air-stations/items?limit=3');
    expect(response.headers.get('content-type')).toMatch(/^application\/geo\+json/);
    expect(response.headers.get('content-crs')).toBe(`<${CRS84}>`);
    const page = await response.json();
    expect(page).toMatchObject({ type: 'FeatureCollection', numberMatched: 9, numberReturned: 3, attribution: 'ATMO Grand Est', license: 'http://opendatacommons.org/licenses/odbl/1-0/' });
    expect(Date.parse(page.timeStamp)).toBeGreaterThan(Date.now() - 60_000);
    for (const feature of page.features) {
      expect(feature).toMatchObject({ type: 'Feature', id: expect.any(String), geometry: { type: 'Point' }, properties: { id: feature.id, name: expect.any(String) } });
    }
    // Citizen sensors each carry their own licence.
    const sensors = await ok('/collections/citizen-sensors/items');
    expect(sensors.features.length).toBeGreaterThan(0);
    expect(sensors.features.every((f: any) => ['ODBL', 'LICENCE_OUVERTE_2', 'CC_BY_4'].includes(f.properties.licence))).toBe(true);
    expect(sensors.links.filter((l: any) => l.rel === 'license').length).toBeGreaterThan(0);
  });

  it('bbox selects the stations the anonymous GraphQL area join selects, and a whole map view selects them all', async () => {
    const expected = await gatewayQuery('query Box($select: AreaInput!) { area(select: $select) { airStations { id } } }', { select: { bbox: STRASBOURG_BOX } });
    const inBox = (expected.data.area.airStations as { id: string }[]).map((s) => s.id).sort();
    expect(inBox.length).toBeGreaterThan(1);
    expect(ids(await ok(`/collections/air-stations/items?bbox=${STRASBOURG_BOX.join(',')}`))).toEqual(inBox);
    // A map's view wider than the contract's 2° is reduced to where the data lies, not refused.
    expect((await ok('/collections/air-stations/items?bbox=0,40,20,55')).numberMatched).toBe(9);
    expect((await ok('/collections/air-stations/items?bbox=-10,30,-5,35')).numberMatched).toBe(0);

    const territories = await gatewayQuery('query Box($select: AreaInput!) { area(select: $select) { territories { code } } }', { select: { bbox: STRASBOURG_BOX } });
    const codes = (territories.data.area.territories as { code: string }[]).map((t) => t.code).sort();
    const { ids: found } = await everyPage(`/collections/territories/items?limit=1000&bbox=${STRASBOURG_BOX.join(',')}`);
    expect(found.sort()).toEqual(codes);
  });

  it('crs gives Lambert-93 coordinates, as the contract projects them, and bbox-crs takes a Lambert-93 box (Part 2)', async () => {
    const projected = await gatewayQuery('{ airStations { id location(crs: EPSG_2154) } }');
    const lambert = new Map((projected.data.airStations as { id: string; location: { coordinates: [number, number] } }[]).map((s) => [s.id, s.location.coordinates]));
    const response = await ogc(`/collections/air-stations/items?crs=${encodeURIComponent(LAMBERT93)}`);
    expect(response.headers.get('content-crs')).toBe(`<${LAMBERT93}>`);
    const page = await response.json();
    for (const feature of page.features) expect(feature.geometry.coordinates).toEqual(lambert.get(feature.id));

    // A Lambert-93 box drawn tightly around the stations of the CRS84 box gives those stations.
    const inBox = ids(await ok(`/collections/air-stations/items?bbox=${STRASBOURG_BOX.join(',')}`));
    const points = inBox.map((id) => lambert.get(id)!);
    const box = [Math.min(...points.map((p) => p[0])) - 50, Math.min(...points.map((p) => p[1])) - 50, Math.max(...points.map((p) => p[0])) + 50, Math.max(...points.map((p) => p[1])) + 50];
    const byLambert = await ok(`/collections/air-stations/items?bbox=${box.join(',')}&bbox-crs=${encodeURIComponent(LAMBERT93)}&crs=${encodeURIComponent(LAMBERT93)}`);
    expect(ids(byLambert)).toEqual(expect.arrayContaining(inBox));
    // What else it gives lies within a kilometre of the box (its CRS84 envelope is a little larger).
    for (const feature of byLambert.features) {
      const [x, y] = feature.geometry.coordinates;
      expect(x).toBeGreaterThan(box[0]! - 1000);
      expect(x).toBeLessThan(box[2]! + 1000);
      expect(y).toBeGreaterThan(box[1]! - 1000);
      expect(y).toBeLessThan(box[3]! + 1000);
    }
    const one = await ogc(`/collections/air-stations/items/${inBox[0]}?crs=${encodeURIComponent(CC48)}`);
    expect(one.headers.get('content-crs')).toBe(`<${CC48}>`);
  });

  it('datetime and territory give the indices the same anonymous GraphQL query gives', async () => {
    const week = await gatewayQuery(`{ territory(code: "${STRASBOURG}") { airQuality(from: "2024-03-01", to: "2024-03-07") { date index } } }`);
    const days = week.data.territory.airQuality as { date: string; index: number }[];
    expect(days.length).toBe(7);
    const page = await ok(`/collections/air-quality-index/items?territory=${STRASBOURG}&datetime=2024-03-01/2024-03-07`);
    expect(page.numberMatched).toBe(7);
    expect(page.features.map((f: any) => [f.id, f.properties.index])).toEqual(days.map((d) => [`${STRASBOURG}-${d.date}`, d.index]));
    // An instant falls on its day; an open start runs from the first index.
    expect(ids(await ok(`/collections/air-quality-index/items?territory=${STRASBOURG}&datetime=2024-03-02T12:00:00Z`))).toEqual([`${STRASBOURG}-2024-03-02`]);
    const [[start]] = (await ok('/collections/air-quality-index')).extent.temporal.interval;
    const firstDay = start.slice(0, 10);
    expect(firstDay <= '2024-01-03' && firstDay > '2023-01-03').toBe(true);
    const opening = await gatewayQuery(`{ territory(code: "${STRASBOURG}") { airQuality(from: "${firstDay}", to: "2024-01-03") { date } } }`);
    const expectedFirst = (opening.data.territory.airQuality as { date: string }[]).map((d) => `${STRASBOURG}-${d.date}`);
    expect(expectedFirst.length).toBeGreaterThan(0);
    expect(ids(await ok(`/collections/air-quality-index/items?territory=${STRASBOURG}&datetime=../2024-01-03`))).toEqual(expectedFirst.sort());
    expect(ids(await ok(`/collections/air-quality-index/items?territory=${STRASBOURG}&datetime=/2024-01-03`))).toEqual(expectedFirst.sort());
  });

  it('territory gives an EPCI’s health values and its communes’, as the contract gives them', async () => {
    const open = await gatewayQuery(`{ territory(code: "${EUROMETROPOLE}") { code health { indicator period value suppressed } children { code health { indicator period value suppressed } } } }`);
    const t = open.data.territory;
    const expected = [t, ...t.children].flatMap((place: any) => (place.health ?? []).map((v: any) => ({ id: `${place.code}-${v.indicator}-${v.period}`, value: v.value, suppressed: v.suppressed })));
    const { pages } = await everyPage(`/collections/health-indicators/items?territory=${EUROMETROPOLE}&limit=1000`);
    const features = pages.flatMap((p) => p.features);
    expect(features.map((f: any) => ({ id: f.id, value: f.properties.value, suppressed: f.properties.suppressed })).sort((a: any, b: any) => a.id.localeCompare(b.id))).toEqual(
      expected.sort((a: any, b: any) => a.id.localeCompare(b.id)),
    );
    expect(features.some((f: any) => f.properties.suppressed && f.properties.value === null)).toBe(true);
  });

  it('a single item is read by its id, with its links; an unknown one is 404 with the request id', async () => {
    const response = await ogc('/collections/air-stations/items/FR16029');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/geo\+json/);
    expect(response.headers.get('content-crs')).toBe(`<${CRS84}>`);
    const feature = await response.json();
    expect(feature).toMatchObject({ type: 'Feature', id: 'FR16029', geometry: { type: 'Point' }, properties: { name: expect.any(String) } });
    expect(linkOf(feature, 'self').href).toBe(`${base}/ogc/collections/air-stations/items/FR16029?f=json`);
    expect(linkOf(feature, 'collection').href).toBe(`${base}/ogc/collections/air-stations?f=json`);
    expect(linkOf(feature, 'alternate', 'text/html')).toBeDefined();
    const index = await ok(`/collections/air-quality-index/items/${STRASBOURG}-2024-03-01`);
    expect(index.properties).toMatchObject({ territoryCode: STRASBOURG, date: '2024-03-01' });

    for (const url of ['/collections/air-stations/items/NOPE', '/collections/air-quality-index/items/67482-1990-01-01', '/collections/no-such-collection', '/collections/air-measurements/items', '/collections/air-stations/items/FR16029/more']) {
      const missing = await ogc(url);
      expect(missing.status, url).toBe(404);
      const body = await missing.json();
      expect(body).toEqual({ code: 'NOT_FOUND', description: expect.any(String), requestId: missing.headers.get('x-request-id') });
    }
  });

  it('a malformed or unknown parameter is a 400 that says which, never a stack or a query', async () => {
    const bad = [
      'limit=0', 'limit=10001', 'limit=ten', 'offset=-1', 'limit=1&limit=2', 'bbox=1,2,3', 'bbox=a,b,c,d', 'bbox=7,49,8,48', 'bbox=7,48,190,49',
      `bbox-crs=${encodeURIComponent('http://www.opengis.net/def/crs/EPSG/0/9999')}&bbox=7,48,8,49`, `crs=${encodeURIComponent('http://www.opengis.net/def/crs/EPSG/0/4326')}`,
      'datetime=2024-13-01', 'datetime=2024-02-30', 'datetime=2024-03-02/2024-03-01', 'datetime=yesterday', 'datetime=2024/2025/2026', 'territory=%3Cscript%3E', 'f=xml', 'lang=de', 'sortby=date', 'filter=index%3D2',
    ];
    for (const query of bad) {
      const response = await ogc(`/collections/air-quality-index/items?${query}`);
      const text = await response.text();
      expect(response.status, query).toBe(400);
      expect(JSON.parse(text), query).toEqual({ code: 'BAD_USER_INPUT', description: expect.any(String), requestId: response.headers.get('x-request-id') });
      expect(text).not.toMatch(/\.ts\b|\bat [A-Za-z.]+ \(|select |query [A-Z]|127\.0\.0\.1:\d+\/graphql/);
    }
    expect((await ogc('/collections/air-stations/items/FR16029?limit=1')).status).toBe(400);
    expect((await ogc('/conformance?bbox=1,2,3,4')).status).toBe(400);
    // An unknown territory is the contract's NOT_FOUND.
    expect((await ogc('/collections/air-quality-index/items?territory=99999')).status).toBe(404);
    expect((await ogc('/collections', { accept: 'image/png' })).status).toBe(406);
    const post = await fetch(`${base}/ogc/collections`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('a browser gets accessible French HTML pages that load nothing from elsewhere; f=json forces JSON', async () => {
    const browser = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
    for (const url of ['', '/conformance', '/api', '/collections', '/collections/health-indicators', '/collections/air-stations/items?limit=4&offset=2', '/collections/air-stations/items/FR16029']) {
      const response = await ogc(url, browser);
      expect(response.status, url).toBe(200);
      expect(response.headers.get('content-type'), url).toBe('text/html; charset=utf-8');
      const page = await response.text();
      expect(page).toMatch(/^<!doctype html>\n<html lang="fr">/);
      expect(page).toMatch(/<h1>[^<]+<\/h1>/);
      expect(page).toMatch(/<nav aria-label="Fil d&#39;Ariane">/);
      expect(page, url).not.toMatch(/<script|<img|<iframe|rel="stylesheet"|@import|url\(/);
    }
    const items = await (await ogc('/collections/air-stations/items?limit=4&offset=2', browser)).text();
    expect(items.match(/<tr><th scope="row">/g)?.length).toBe(4);
    expect(items).toContain(`href="${base}/ogc/collections/air-stations/items?limit=4&amp;offset=6&amp;f=html" rel="next"`);
    expect(items).toContain(`href="${base}/ogc/collections/air-stations/items?limit=4&amp;f=html" rel="prev"`);
    expect(items).toContain('Objets 3 à 6 sur 9.');
    // What the request names is escaped, never markup.
    const error = await (await ogc('/collections/%3Cscript%3Ealert(1)%3C%2Fscript%3E', browser)).text();
    expect(error).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(error).not.toContain('<script>');
    // Clients that ask for nothing in particular, or for JSON, get JSON.
    expect((await ogc('/collections')).headers.get('content-type')).toMatch(/^application\/json/);
    expect((await ogc('/collections?f=json', browser)).headers.get('content-type')).toMatch(/^application\/json/);
    expect((await ogc('/collections?f=html')).headers.get('content-type')).toMatch(/^text\/html/);
  });

  it('answers carry an ETag and may be cached a minute; a revalidation with it is 304', async () => {
    for (const url of ['/collections', '/collections/air-stations/items?limit=5', '/collections/air-stations/items/FR16029']) {
      const first = await ogc(url);
      expect(first.headers.get('cache-control'), url).toBe('public, max-age=60');
      const etag = first.headers.get('etag')!;
      expect(etag, url).toMatch(/^(W\/)?"[\w-]+"$/);
      const again = await ogc(url, { 'if-none-match': etag, 'cache-control': 'max-age=0' });
      expect(again.status, url).toBe(304);
      const head = await fetch(`${base}/ogc${url}`, { method: 'HEAD' });
      expect([head.status, head.headers.get('etag')], url).toEqual([200, etag]);
    }
  });

  it('a researcher’s token changes nothing: the OGC API serves what an anonymous caller reads, restricted values stay out', async () => {
    const researcher = await bearer(['orsal:restricted'], 'researcher-ogc');
    // The token is good: GraphQL would give this researcher the case counts.
    const detailed = await gatewayQuery(`{ territory(code: "${STRASBOURG}") { health { indicator cases } } }`, undefined, researcher);
    expect(detailed.errors).toBeUndefined();
    expect(detailed.data.territory.health.some((v: { cases: number | null }) => typeof v.cases === 'number')).toBe(true);

    const url = `/collections/health-indicators/items?territory=${EUROMETROPOLE}&limit=1000`;
    const anonymous = await ogc(url);
    const withToken = await ogc(url, researcher);
    expect(withToken.status).toBe(200);
    const [a, b] = [await anonymous.json(), await withToken.json()];
    expect(stable(b)).toEqual(stable(a));
    expect(b.features.some((f: any) => f.properties.suppressed && f.properties.value === null)).toBe(true);
    expect(b.features.every((f: any) => !('cases' in f.properties))).toBe(true);
    // Its answer is for that caller alone: no shared cache keeps it.
    expect(withToken.headers.get('cache-control')).toBe('private, no-store');
    expect(anonymous.headers.get('cache-control')).toBe('public, max-age=60');
    expect(stable(await (await ogc('/collections/health-indicators/items?limit=50', researcher)).json())).toEqual(stable(await ok('/collections/health-indicators/items?limit=50')));
  });

  describe('GDAL, a real GIS client, reads the API with its OGC API – Features driver', () => {
    let dir: string;
    const gdal = (tool: string, args: string[]) =>
      run(tool, args, {
        timeout: 150_000,
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, GDAL_HTTP_TIMEOUT: '60', CPL_DEBUG: 'OFF', NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost' },
      });
    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tiga-ogc-'));
      return () => fs.rmSync(dir, { recursive: true, force: true });
    });

    it('ogrinfo lists every collection with its feature count', async () => {
      const { stdout } = await gdal('ogrinfo', ['-ro', '-al', '-so', `OAPIF:${base}/ogc`]);
      const layers = [...stdout.matchAll(/^Layer name: (.+)$/gm)].map((m) => m[1]);
      expect(layers).toEqual(OGC_COLLECTIONS.map((c) => c.id));
      const counted = Number(/Layer name: territories[\s\S]*?Feature Count: (\d+)/.exec(stdout)?.[1]);
      expect(counted).toBe((await ok('/collections/territories/items?limit=1')).numberMatched);
      expect(stdout).toMatch(/Layer name: air-quality-index[\s\S]*?TEMPORAL_INTERVAL_MIN=\d{4}-/);
    }, 180_000);

    it('ogr2ogr copies every territory, page after page, with their attributes', async () => {
      const { numberMatched } = await ok('/collections/territories/items?limit=1');
      const pageSize = 100;
      // At least three pages of the driver's size.
      expect(numberMatched).toBeGreaterThan(2 * pageSize);
      const file = path.join(dir, 'territories.geojson');
      await gdal('ogr2ogr', ['-f', 'GeoJSON', file, `OAPIF:${base}/ogc`, 'territories', '-oo', `PAGE_SIZE=${pageSize}`]);
      const copied = JSON.parse(fs.readFileSync(file, 'utf8'));
      expect(copied.features.length).toBe(numberMatched);
      expect(new Set(copied.features.map((f: any) => f.properties.code)).size).toBe(numberMatched);
      const strasbourg = copied.features.find((f: any) => f.properties.code === STRASBOURG);
      const served = await ok(`/collections/territories/items/${STRASBOURG}`);
      expect(strasbourg.geometry.type).toBe('MultiPolygon');
      for (const [name, value] of Object.entries(served.properties)) expect(strasbourg.properties[name], name).toEqual(value);
      expect(strasbourg.properties).toMatchObject({ name: 'Strasbourg', kind: 'COMMUNE' });
    }, 180_000);
  });
});

describe('the OGC API under pressure answers as OGC clients expect', () => {
  const gateways: { server: ClaimedServer; stop: () => Promise<void> }[] = [];
  /** A gateway of its own in front of the shared hub's subgraphs, with some options changed. */
  async function gateway(options: Partial<GatewayOptions>): Promise<string> {
    const hub = await testHub();
    const { app, server } = await createGatewayApp({
      subgraphUrls: Object.fromEntries(Object.entries(hub.subgraphs).map(([name, s]) => [name, s.url])),
      verifier: await testVerifier(),
      audit: async () => {},
      log: () => {},
      limits: { perSecond: 1000, burst: 10000, concurrent: 1000 },
      ...options,
    });
    const served = await serveApp(app);
    gateways.push({ server: served, stop: () => server.stop() });
    return served.url.replace(/\/graphql$/, '');
  }
  afterAll(async () => {
    for (const { server, stop } of gateways) {
      await server.close();
      await stop();
    }
  });

  it('a client over its request budget gets 429 with Retry-After, as an OGC exception', async () => {
    const url = await gateway({ limits: { perSecond: 1, burst: 3, concurrent: 100 } });
    const answers = await Promise.all(Array.from({ length: 8 }, () => fetch(`${url}/ogc/conformance`)));
    const refused = answers.filter((a) => a.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    expect(Number(refused[0]!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await refused[0]!.json()).toEqual({ code: 'RATE_LIMITED', description: expect.stringMatching(/too many requests/), requestId: refused[0]!.headers.get('x-request-id') });
  });

  it('a producer that does not answer makes its collections 503 with Retry-After, naming no internal address; the others still answer', async () => {
    const hub = await testHub();
    const down = 'http://127.0.0.1:1/graphql';
    const url = await gateway({ subgraphUrls: { ...Object.fromEntries(Object.entries(hub.subgraphs).map(([name, s]) => [name, s.url])), atmo: down }, subgraphTimeoutMs: 1000 });
    const response = await fetch(`${url}/ogc/collections/air-stations/items`);
    const text = await response.text();
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('30');
    expect(JSON.parse(text)).toEqual({ code: 'PRODUCER_UNAVAILABLE', description: expect.any(String), requestId: response.headers.get('x-request-id') });
    expect(text).not.toMatch(/127\.0\.0\.1|:1\/graphql|atmo/i);
    expect((await fetch(`${url}/ogc/collections/groundwater-points/items?limit=1`)).status).toBe(200);
    expect((await fetch(`${url}/ogc/collections`)).status).toBe(200);
  });
});
