import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { closeBrowser, keepScreenshot, openPage, seriousAccessibilityViolations, type PageWatch } from '../support/browser.ts';
import { gatewayQuery, testHub } from '../support/hub.ts';

const STRASBOURG = '67482';
/** The cathedral: at zoom 11 the map's centre is well inside Strasbourg. */
const CATHEDRAL = { lon: 7.7521, lat: 48.5734 };
const OFFICIAL = ['#50F0E6', '#50CCAA', '#F0E641', '#FF5050', '#960032', '#872181', '#DDDDDD', '#888888'];
/** The hatching of a withheld value (browser/mapStyle.js): its ink is this grey. */
const HATCH_INK = '#3C3C3C';

let origin: string;
let date: string;
let dayAnswer: { code: string; airQuality: { index: number; color: string }[] }[];
const opened: PageWatch[] = [];

async function open(path: string, width?: number): Promise<PageWatch> {
  const watch = await openPage(origin, { width });
  opened.push(watch);
  await watch.page.goto(`${origin}${path}`, { waitUntil: 'load' });
  return watch;
}
const ready = (page: Page, key: string) => page.waitForSelector(`#map-app[data-ready="${key}"]`, { timeout: 20_000 });
const clean = (watch: PageWatch) => expect({ errors: watch.consoleErrors, outside: watch.outside, failed: watch.failed }).toEqual({ errors: [], outside: [], failed: [] });

/** How many pixels of the rendered page (or of a box of it) have each colour, within ±2 per channel. */
async function countColours(page: Page, colours: string[], clip?: { x: number; y: number; width: number; height: number }): Promise<Record<string, number>> {
  const png = await page.screenshot({ encoding: 'base64', clip });
  return page.evaluate(
    async (src, wanted) => {
      const img = new Image();
      img.src = `data:image/png;base64,${src}`;
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.width;
      canvas.height = img.height;
      const g = canvas.getContext('2d')!;
      g.drawImage(img, 0, 0);
      const { data } = g.getImageData(0, 0, img.width, img.height);
      const rgb = wanted.map((hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)));
      const counts = wanted.map(() => 0);
      for (let p = 0; p < data.length; p += 4) rgb.forEach((c, i) => Math.abs(data[p]! - c[0]!) <= 2 && Math.abs(data[p + 1]! - c[1]!) <= 2 && Math.abs(data[p + 2]! - c[2]!) <= 2 && counts[i]!++);
      return Object.fromEntries(wanted.map((hex, i) => [hex, counts[i]!]));
    },
    png,
    colours,
  );
}

async function mapBox(page: Page) {
  const box = (await (await page.$('#map'))!.boundingBox())!;
  return { ...box, centre: { x: box.x + box.width / 2, y: box.y + box.height / 2 } };
}


/** The page writes its view into the URL a moment after it changed (debounced): wait for it, as a reader would. */
async function urlContains(page: Page, text: string): Promise<void> {
  await page.waitForFunction((wanted: string) => location.href.includes(wanted), { timeout: 5000 }, text);
  expect(page.url()).toContain(text);
}

describe('a resident explores the open data on the map at /map', () => {
  beforeAll(async () => {
    const hub = await testHub();
    origin = new URL(hub.gatewayUrl).origin;
    // A day with data and several classes, as the open API gives it: the map must draw exactly these colours.
    const month = await gatewayQuery(`{ territories(kind: COMMUNE) { code airQuality(from: "2025-03-01", to: "2025-03-31") { date index color } } }`);
    const byDay = new Map<string, Set<string>>();
    for (const t of month.data.territories) for (const q of t.airQuality) byDay.set(q.date, (byDay.get(q.date) ?? new Set()).add(q.color));
    date = [...byDay.entries()].sort((a, b) => b[1].size - a[1].size || a[0].localeCompare(b[0]))[0]![0];
    dayAnswer = (await gatewayQuery(`query($d: String!) { territories(kind: COMMUNE) { code airQuality(from: $d, to: $d) { index color } } }`, { d: date })).data.territories;
  }, 120_000);

  afterAll(async () => {
    for (const watch of opened) await watch.page.close().catch(() => {});
    await closeBrowser();
  });

  it('the indice ATMO of a day is drawn in the official colours, with its legend, from the hub alone and without an error', async () => {
    const watch = await open(`/map?lang=fr&fill=atmo&points=&date=${date}`);
    const { page } = watch;
    await ready(page, `atmo:${date}`);
    const expected = [...new Set(dayAnswer.flatMap((t) => t.airQuality.map((q) => q.color.toUpperCase())))];
    expect(expected.every((c) => OFFICIAL.includes(c))).toBe(true);
    const box = await mapBox(page);
    const counts = await countColours(page, OFFICIAL, { x: box.x, y: box.y, width: box.width, height: box.height });
    // On a failure, every colour's count and the view say whether the page drew nothing, drew it elsewhere or drew other data.
    const seen = `${date}: pixels per colour ${JSON.stringify(counts)}, view ${page.url().split('?')[1]}`;
    for (const colour of expected) expect(counts[colour], `${colour} on ${seen}`).toBeGreaterThan(30);
    for (const colour of OFFICIAL.filter((c) => !expected.includes(c) && c !== '#DDDDDD' && c !== '#888888')) expect(counts[colour], `${colour} is not a class of ${date}`).toBeLessThan(5);
    // The legend lists every class, "indisponible" and "événement" included, in the official colours.
    const legend = await page.$eval('#legend-body', (e) => ({ text: e.textContent, colours: [...e.querySelectorAll('.swatch')].map((s) => getComputedStyle(s).backgroundColor) }));
    for (const word of ['Bon', 'Moyen', 'Dégradé', 'Mauvais', 'Très mauvais', 'Extrêmement mauvais', 'Indisponible', 'Événement']) expect(legend.text).toContain(word);
    expect(legend.colours).toEqual(expect.arrayContaining(['rgb(80, 240, 230)', 'rgb(221, 221, 221)', 'rgb(136, 136, 136)']));
    // Every visible layer's producer and licence.
    const attribution = await page.$eval('.map-attribution', (e) => e.textContent);
    expect(attribution).toMatch(/ADEUS/);
    expect(attribution).toMatch(/ATMO Grand Est \(ODbL/);
    const csp = (await fetch(`${origin}/map`)).headers.get('content-security-policy')!;
    expect(csp).toContain("worker-src 'self' blob:");
    expect(csp).toContain("script-src 'self';");
    expect(csp).not.toMatch(/unsafe-eval|https?:/);
    clean(watch);
    await keepScreenshot(page, 'map');
  });

  it('clicking Strasbourg shows in the side panel every producer’s values, the same as the open GraphQL API gives', async () => {
    const watch = await open(`/map?lang=fr&fill=atmo&points=stations&date=${date}&at=11/${CATHEDRAL.lat}/${CATHEDRAL.lon}`);
    const { page } = watch;
    await ready(page, `atmo:${date}`);
    const box = await mapBox(page);
    // At the cathedral, the map shows Strasbourg's class colour.
    const own = dayAnswer.find((t) => t.code === STRASBOURG)!.airQuality[0]!.color.toUpperCase();
    const around = await countColours(page, [own], { x: box.centre.x - 60, y: box.centre.y + 30, width: 120, height: 60 });
    expect(around[own]).toBeGreaterThan(2000);
    await page.mouse.click(box.centre.x + 5, box.centre.y + 40);
    await page.waitForSelector(`#map-app[data-panel="${STRASBOURG}"]`, { timeout: 15_000 });
    await urlContains(page, `sel=${STRASBOURG}`);

    const answer = (
      await gatewayQuery(
        `query($c: ID!, $d: String!) { territory(code: $c) { name population airQuality(from: $d, to: $d) { date index } health { indicator period value suppressed } urban { greenSpaceShare populationDensity } } area(select: { territory: $c }) { airStations { id name } sensors { id } } }`,
        { c: STRASBOURG, d: date },
      )
    ).data;
    const panel = await page.$eval('#panel-body', (body) => ({
      name: body.querySelector('.panel-name')?.textContent,
      population: body.querySelector('[data-field="population"]')?.textContent,
      atmo: [...body.querySelectorAll('[data-date]')].map((e) => ({ date: e.getAttribute('data-date'), index: Number(e.getAttribute('data-index')) })),
      health: [...body.querySelectorAll('tr[data-indicator] td[data-period]')].map((td) => ({ indicator: td.closest('tr')!.getAttribute('data-indicator'), period: td.getAttribute('data-period'), value: td.getAttribute('data-value'), suppressed: td.getAttribute('data-suppressed') === 'true' })),
      urban: Object.fromEntries([...body.querySelectorAll('dd[data-field]')].map((d) => [d.getAttribute('data-field'), d.getAttribute('data-value')])),
      text: body.textContent,
      exports: [...body.querySelectorAll('a[href^="/exports"]')].map((a) => a.getAttribute('href')),
    }));
    expect(panel.name).toContain(answer.territory.name);
    expect(panel.population?.replace(/\D/g, '')).toBe(String(answer.territory.population));
    expect(panel.atmo).toContainEqual(answer.territory.airQuality[0]);
    const shownHealth = panel.health.filter((c) => c.value !== null || c.suppressed);
    expect(shownHealth).toHaveLength(answer.territory.health.length);
    for (const v of answer.territory.health) expect(shownHealth).toContainEqual({ indicator: v.indicator, period: v.period, value: v.suppressed ? null : String(v.value), suppressed: v.suppressed });
    expect(Number(panel.urban.greenSpaceShare)).toBe(answer.territory.urban.greenSpaceShare);
    expect(Number(panel.urban.populationDensity)).toBe(answer.territory.urban.populationDensity);
    for (const s of answer.area.airStations) expect(panel.text).toContain(s.name);
    for (const s of answer.area.sensors) expect(panel.text).toContain(s.id);
    expect(panel.exports).toContain(`/exports/air-quality-index.csv?territory=${STRASBOURG}`);
    expect(panel.exports).toContain('/exports');
    // One federated operation for the panel: the page posted exactly one GraphQL request.
    expect(watch.requests.filter((u) => u.endsWith('/graphql'))).toHaveLength(1);
    clean(watch);
  });

  it('a value withheld by statistical secrecy is drawn hatched and read "secret statistique", never as 0 or as a gap', async () => {
    const health = await gatewayQuery(`{ territories(kind: COMMUNE) { code health(indicator: "ASTHMA_PREVALENCE") { period value suppressed } } }`);
    const withheld = health.data.territories.flatMap((t: any) => t.health.filter((v: any) => v.suppressed).map((v: any) => ({ code: t.code, period: v.period })))[0];
    expect(withheld).toBeDefined();
    const watch = await open(`/map?lang=fr&fill=health&hi=ASTHMA_PREVALENCE&hp=${withheld.period}&hl=COMMUNE&points=&sel=${withheld.code}`);
    const { page } = watch;
    await page.waitForSelector('#map-app[data-ready^="health:"]', { timeout: 20_000 });
    await page.waitForSelector(`#map-app[data-panel="${withheld.code}"]`, { timeout: 15_000 });
    const cell = await page.$eval(`tr[data-indicator="ASTHMA_PREVALENCE"] td[data-period="${withheld.period}"]`, (td) => ({ text: td.textContent, value: td.getAttribute('data-value'), suppressed: td.getAttribute('data-suppressed') }));
    expect(cell).toEqual({ text: 'secret statistique', value: null, suppressed: 'true' });
    expect(await page.$eval('#legend-body', (e) => e.textContent)).toContain('secret statistique');
    const box = await mapBox(page);
    const counts = await countColours(page, [HATCH_INK], { x: box.x, y: box.y, width: box.width, height: box.height });
    expect(counts[HATCH_INK]).toBeGreaterThan(30);
    clean(watch);
  });

  it('a drawn circle lists what lies inside it, as `area` answers, and the view (layers, date, position, selection, area) survives a reload from its URL', async () => {
    const watch = await open(`/map?lang=fr&fill=atmo&points=sensors,groundwater&date=${date}&at=12/${CATHEDRAL.lat}/${CATHEDRAL.lon}&sel=${STRASBOURG}`);
    const { page } = watch;
    await ready(page, `atmo:${date}`);
    const box = await mapBox(page);
    await page.click('#draw-circle');
    await page.mouse.click(box.centre.x, box.centre.y);
    await page.mouse.click(box.centre.x + 120, box.centre.y);
    await page.waitForSelector('#map-app[data-area]:not([data-area=""])', { timeout: 15_000 });
    await urlContains(page, 'area=');
    const url = page.url();
    const area = new URL(url).searchParams.get('area')!;
    expect(area).toMatch(/^c:7\.\d+,48\.\d+,\d+$/);
    const [lon, lat, radius] = area.slice(2).split(',').map(Number);
    const expected = (await gatewayQuery(`query($s: AreaInput!) { area(select: $s) { territories { code } sensors { id } airStations { id } } }`, { s: { point: { lon, lat }, radiusMeters: radius } })).data.area;
    const listed = await page.$eval('#area-body', (e) => e.textContent!);
    expect(await page.$eval('#map-app', (e) => e.getAttribute('data-area'))).toBe(String(expected.territories.length));
    for (const t of expected.territories) expect(listed).toContain(t.code);
    for (const s of expected.sensors) expect(listed).toContain(s.id);

    const again = await open(new URL(url).pathname + new URL(url).search);
    await ready(again.page, `atmo:${date}`);
    await again.page.waitForSelector(`#map-app[data-panel="${STRASBOURG}"]`, { timeout: 15_000 });
    await again.page.waitForSelector('#map-app[data-area]:not([data-area=""])', { timeout: 15_000 });
    const state = (p: Page) => p.evaluate(() => ({
      fill: (document.querySelector('input[name="fill"]:checked') as HTMLInputElement).value,
      points: [...document.querySelectorAll('input[name="points"]:checked')].map((i) => (i as HTMLInputElement).value),
      date: (document.getElementById('map-date') as HTMLInputElement).value,
      selected: (document.getElementById('territory-select') as HTMLSelectElement).value,
      area: document.getElementById('map-app')!.getAttribute('data-area'),
    }));
    expect(await state(again.page)).toEqual(await state(page));
    expect(await state(again.page)).toMatchObject({ fill: 'atmo', points: ['sensors', 'groundwater'], date, selected: STRASBOURG });
    const at = (u: string) => new URL(u).searchParams.get('at')!.split('/').map(Number);
    at(again.page.url()).forEach((n, i) => expect(n).toBeCloseTo(at(url)[i]!, 2));
    clean(watch);
    clean(again);
  });

  it('the layer toggles and the date control are reached and operated with the keyboard', async () => {
    const watch = await open(`/map?lang=en&fill=atmo&points=&date=${date}`);
    const { page } = watch;
    await ready(page, `atmo:${date}`);
    const reached = new Set<string>();
    await page.focus('a.skip');
    for (let i = 0; i < 40 && !reached.has('date-next'); i++) {
      await page.keyboard.press('Tab');
      reached.add(await page.evaluate(() => document.activeElement?.id ?? ''));
    }
    for (const id of ['fill-atmo', 'points-stations', 'points-sensors', 'points-groundwater', 'date-prev', 'map-date', 'date-next']) expect(reached, id).toContain(id);
    await page.focus('#points-stations');
    await page.keyboard.press('Space');
    expect(await page.$eval('#points-stations', (i) => (i as HTMLInputElement).checked)).toBe(true);
    await page.focus('#date-prev');
    await page.keyboard.press('Enter');
    const previous = new Date(Date.parse(`${date}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    await ready(page, `atmo:${previous}`);
    await urlContains(page, `date=${previous}`);
    await urlContains(page, 'points=stations');
    await page.focus('#fill-atmo');
    await page.keyboard.press('ArrowDown');
    await ready(page, `health:${previous}`);
    await urlContains(page, 'fill=health');
    clean(watch);
  });

  it('has no serious or critical accessibility violation, on a laptop and at phone width (390 px), in French and in English', async () => {
    for (const [width, lang] of [[1280, 'fr'], [390, 'en']] as const) {
      const watch = await open(`/map?lang=${lang}&fill=health&points=stations,sensors&date=${date}&sel=${STRASBOURG}`, width);
      await ready(watch.page, `health:${date}`);
      await watch.page.waitForSelector(`#map-app[data-panel="${STRASBOURG}"]`, { timeout: 15_000 });
      expect(await seriousAccessibilityViolations(watch.page), `${width} px`).toEqual([]);
      if (width === 390) expect(await watch.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      expect(await watch.page.$eval('h1', (e) => e.textContent)).toBe(lang === 'fr' ? 'Carte des données' : 'Data map');
      clean(watch);
    }
  });

  it('serves the referential simplified per zoom: fewer vertices far out, clear 400s for bad parameters, cached with an ETag', async () => {
    const vertices = async (zoom: number) => {
      const response = await fetch(`${origin}/pages/map/territories.geojson?kind=COMMUNE&zoom=${zoom}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toMatch(/^public, max-age=\d+/);
      const body = await response.json();
      expect(body.features).toHaveLength(68);
      return { count: JSON.stringify(body.features.map((f: any) => f.geometry.coordinates)).split('],[').length, etag: response.headers.get('etag')! };
    };
    const far = await vertices(8);
    const mid = await vertices(10);
    const near = await vertices(13);
    expect(far.count).toBeLessThan(mid.count);
    expect(mid.count).toBeLessThan(near.count);
    // node:http, not fetch: fetch adds `Cache-Control: no-cache` to a conditional request, which forbids a 304.
    const revalidated = await new Promise<number>((resolve, reject) => http.get(`${origin}/pages/map/territories.geojson?kind=COMMUNE&zoom=13`, { headers: { 'if-none-match': near.etag } }, (res) => (res.resume(), resolve(res.statusCode!))).on('error', reject));
    expect(revalidated).toBe(304);
    for (const query of ['kind=REGION&zoom=10', 'kind=COMMUNE&zoom=abc', 'kind=COMMUNE&zoom=40', 'kind=COMMUNE', 'kind=COMMUNE&zoom=10&crs=x']) {
      const response = await fetch(`${origin}/pages/map/territories.geojson?${query}`);
      const body = await response.json();
      expect(response.status, query).toBe(400);
      expect(body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
      expect(JSON.stringify(body)).not.toMatch(/select |\.ts:|at /i);
    }
    const bad = await fetch(`${origin}/pages/map/values.json?layer=atmo&date=tomorrow`);
    expect(bad.status).toBe(400);
  });
});
