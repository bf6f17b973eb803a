import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { gatewayQuery, testHub } from '../support/hub.ts';
import { bearer } from '../support/auth.ts';
import { serveApp } from '../support/subgraph.ts';
import { keepScreenshot, openPage, seriousAccessibilityViolations, type PageWatch } from '../support/browser.ts';
import { OpenDataError, type AnonymousQuery } from '../../gateway/catalog/anonymousQuery.ts';
import type { OpenRouteOptions } from '../../gateway/opendata/openRoute.ts';
import { transparencePage } from '../../gateway/pages/transparence/transparencePage.ts';

/** What an anonymous GraphQL client reads: the page must show exactly this. */
const OPEN = `{
  transparencyIndicators { id name definition method unit periodicity ownerService source values { period value } }
  decisionProcesses { id title summary steps { step title explanation who typicalDuration } }
  datasetRequests { id title description status statusReason votes createdAt }
}`;

interface Shown {
  indicators: {
    id: string;
    name: string;
    facts: Record<string, string>;
    rows: { period: string; dataValue: number; text: string }[];
    canvas: { visible: boolean; label: string; inked: number; chartData: number[] | null };
    tableFolded: boolean;
  }[];
  processes: { id: string; title: string; summary: string; steps: { value: number; text: string }[] }[];
  requests: { id: string; status: string; votes: number; text: string }[];
}

/** What the page shows, read from its DOM as a reader (and Chart.js) sees it. */
async function shown(page: Page): Promise<Shown> {
  return page.evaluate(() => {
    const text = (el: Element | null) => (el?.textContent ?? '').replace(/\s+/g, ' ').trim();
    const Chart = (window as any).Chart;
    return {
      indicators: [...document.querySelectorAll<HTMLElement>('article[data-indicator]')].map((article) => {
        const canvas = article.querySelector('canvas')!;
        const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        let inked = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) inked++;
        return {
          id: article.dataset.indicator!,
          name: text(article.querySelector('h3')),
          facts: Object.fromEntries([...article.querySelectorAll('.facts > div')].map((d) => [text(d.querySelector('dt')), text(d.querySelector('dd'))])),
          rows: [...article.querySelectorAll<HTMLElement>('tbody tr')].map((tr) => ({ period: tr.querySelector('time')!.getAttribute('datetime')!, dataValue: Number(tr.dataset.value), text: text(tr.querySelector('td')) })),
          canvas: { visible: canvas.getBoundingClientRect().height > 0, label: canvas.getAttribute('aria-label') ?? '', inked, chartData: Chart?.getChart(canvas)?.data.datasets[0].data ?? null },
          tableFolded: !(article.querySelector('details') as HTMLDetailsElement).open,
        };
      }),
      processes: [...document.querySelectorAll<HTMLElement>('article[data-process]')].map((article) => ({
        id: article.dataset.process!,
        title: text(article.querySelector('h3')),
        summary: text(article.querySelector('h3 + p')),
        steps: [...article.querySelectorAll<HTMLLIElement>('ol.steps > li')].map((li) => ({ value: li.value, text: text(li) })),
      })),
      requests: [...document.querySelectorAll<HTMLElement>('li[data-request]')].map((li) => ({ id: li.dataset.request!, status: li.dataset.status!, votes: Number(li.dataset.votes), text: text(li) })),
    };
  });
}

/** A number as printed in French ("1 234,5") or English ("1,234.5"). */
const parseShown = (printed: string, lang: 'fr' | 'en') => Number(lang === 'fr' ? printed.replace(/[\s\u00a0\u202f]/g, '').replace(',', '.') : printed.replace(/,/g, ''));

describe('a resident reads the collectivity\'s transparency dashboard at /transparence, offline and with any ability', () => {
  let origin: string;
  let open: any;
  let restricted: string[];
  let fr: PageWatch;
  let seen: Shown;

  beforeAll(async () => {
    const hub = await testHub();
    origin = new URL(hub.gatewayUrl).origin;
    const answer = await gatewayQuery(OPEN);
    expect(answer.errors).toBeUndefined();
    open = answer.data;
    // The requesters' identities, as only a moderator may read them: none may reach the public page.
    const moderated = await gatewayQuery('{ datasetRequests { id requestedBy } }', {}, await bearer(['community:moderate'], 'moderator-transparence'));
    restricted = moderated.data.datasetRequests.map((r: { requestedBy: string }) => r.requestedBy).filter(Boolean);
    expect(restricted.length).toBeGreaterThan(0);
    fr = await openPage(origin);
    // A French resident's browser asks for French (the test's Chromium would ask for English).
    await fr.page.setExtraHTTPHeaders({ 'Accept-Language': 'fr-FR,fr;q=0.9' });
    const response = await fr.page.goto(`${origin}/transparence`, { waitUntil: 'networkidle0' });
    expect(response?.status()).toBe(200);
    seen = await shown(fr.page);
  });

  afterAll(async () => {
    await fr?.page.close();
  });

  it('the page loads in French from the hub alone, with no console error and nothing fetched elsewhere', async () => {
    expect(await fr.page.$eval('html', (h) => h.lang)).toBe('fr');
    expect(await fr.page.$eval('h1', (h) => h.textContent)).toBe('Transparence');
    expect(fr.consoleErrors).toEqual([]);
    expect(fr.outside).toEqual([]);
    expect(fr.failed).toEqual([]);
    expect(fr.requests).toContain(`${origin}/pages/vendor/chart.umd.min.js`);
    expect(fr.requests).toContain(`${origin}/pages/assets/transparence/transparence.js`);
  });

  it('every transparency indicator appears with its definition, method and owner service, a chart drawn, and its table holding the GraphQL values', () => {
    const indicators = open.transparencyIndicators;
    expect(indicators.length).toBeGreaterThanOrEqual(5);
    expect(seen.indicators.map((i) => i.id)).toEqual(indicators.map((i: { id: string }) => i.id));
    for (const [n, indicator] of indicators.entries()) {
      const on = seen.indicators[n]!;
      expect(on.name).toBe(indicator.name);
      expect(on.facts).toMatchObject({ Définition: indicator.definition, 'Méthode de calcul': indicator.method, 'Service responsable': indicator.ownerService, Source: indicator.source });
      expect(on.rows.map((r) => r.period)).toEqual(indicator.values.map((v: { period: string }) => v.period));
      expect(on.rows.map((r) => r.dataValue)).toEqual(indicator.values.map((v: { value: number }) => v.value));
      on.rows.forEach((row, i) => expect(parseShown(row.text, 'fr')).toBeCloseTo(indicator.values[i].value, 2));
      // The chart: drawn (ink on the canvas) from the same values, and named for those who cannot see it.
      expect(on.canvas.visible).toBe(true);
      expect(on.canvas.inked).toBeGreaterThan(1000);
      expect(on.canvas.chartData).toEqual(indicator.values.map((v: { value: number }) => v.value));
      expect(on.canvas.label).toContain(indicator.name);
      expect(on.tableFolded).toBe(true);
    }
  });

  it('every decision process is explained with its steps in order, each saying who acts and how long it takes', () => {
    const processes = open.decisionProcesses;
    expect(processes.length).toBeGreaterThanOrEqual(1);
    expect(seen.processes.map((p) => p.id)).toEqual(processes.map((p: { id: string }) => p.id));
    for (const [n, process] of processes.entries()) {
      const on = seen.processes[n]!;
      expect(on).toMatchObject({ title: process.title, summary: process.summary });
      const steps = [...process.steps].sort((a: { step: number }, b: { step: number }) => a.step - b.step);
      expect(on.steps.map((s) => s.value)).toEqual(steps.map((s: { step: number }) => s.step));
      steps.forEach((step: any, i: number) => {
        expect(on.steps[i]!.text).toContain(`Étape ${step.step} ${step.title}`);
        expect(on.steps[i]!.text).toContain(step.explanation);
        expect(on.steps[i]!.text).toContain(step.who);
        expect(on.steps[i]!.text).toContain(step.typicalDuration ?? 'variable');
      });
    }
  });

  it('every dataset request of the users\' committee shows its votes and status, most voted first, and never who asked', async () => {
    const requests = open.datasetRequests;
    expect(seen.requests.map((r) => r.id)).toEqual(requests.map((r: { id: string }) => r.id));
    const label: Record<string, string> = { RECEIVED: 'Reçue, pas encore examinée', PLANNED: 'Publication prévue', PUBLISHED: 'Publiée', DECLINED: 'Refusée' };
    for (const [n, request] of requests.entries()) {
      const on = seen.requests[n]!;
      expect(on).toMatchObject({ status: request.status, votes: request.votes });
      expect(on.text).toContain(request.title);
      expect(on.text).toContain(request.description);
      expect(on.text).toContain(`${request.votes} vote`);
      expect(on.text).toContain(`Statut : ${label[request.status]}`);
      if (request.statusReason) expect(on.text).toContain(request.statusReason);
    }
    // Server-rendered and whole without JavaScript: the tables are open, and no requester is named.
    const response = await fetch(`${origin}/transparence`);
    expect(response.headers.get('cache-control')).toBe('public, max-age=30');
    const page = await response.text();
    expect(page.match(/<details class="values" open>/g)?.length).toBe(open.transparencyIndicators.length);
    for (const who of restricted) expect(page).not.toContain(who);
    expect(page).not.toMatch(/requestedBy|requested_by/);
  });

  it('the English version is the same dashboard with English words, and the data marked as French', async () => {
    const en = await openPage(origin);
    try {
      await en.page.goto(`${origin}/transparence?lang=en`, { waitUntil: 'networkidle0' });
      expect(en.consoleErrors).toEqual([]);
      expect(en.outside).toEqual([]);
      expect(await en.page.$eval('html', (h) => h.lang)).toBe('en');
      expect(await en.page.$eval('h1', (h) => h.textContent)).toBe('Transparency');
      const english = await shown(en.page);
      expect(english.indicators.map((i) => i.id)).toEqual(seen.indicators.map((i) => i.id));
      expect(english.indicators[0]!.facts).toMatchObject({ Definition: open.transparencyIndicators[0].definition, 'Owner service': open.transparencyIndicators[0].ownerService });
      english.indicators.forEach((on, n) => on.rows.forEach((row, i) => expect(parseShown(row.text, 'en')).toBeCloseTo(open.transparencyIndicators[n].values[i].value, 2)));
      expect(english.indicators.every((i) => i.canvas.inked > 1000)).toBe(true);
      expect(english.requests.map((r) => r.votes)).toEqual(open.datasetRequests.map((r: { votes: number }) => r.votes));
      expect(english.requests.find((r) => r.status === 'DECLINED')?.text).toContain('Status: Declined');
      expect(await en.page.$eval('article[data-indicator] h3', (h) => h.lang)).toBe('fr');
      expect(await en.page.$eval('a.lang', (a) => a.getAttribute('href'))).toBe('/transparence?lang=fr');
    } finally {
      await en.page.close();
    }
  });

  it('axe-core finds no serious or critical violation on a laptop nor on a phone (390 px), where nothing overflows sideways', async () => {
    expect(await seriousAccessibilityViolations(fr.page)).toEqual([]);
    const phone = await openPage(origin, { width: 390, height: 844 });
    try {
      await phone.page.goto(`${origin}/transparence?lang=fr`, { waitUntil: 'networkidle0' });
      expect(phone.consoleErrors).toEqual([]);
      expect(await seriousAccessibilityViolations(phone.page)).toEqual([]);
      expect(await phone.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      const widths = await phone.page.$$eval('canvas', (all) => all.map((c) => c.getBoundingClientRect().width));
      expect(widths.every((w) => w > 200 && w <= 390)).toBe(true);
    } finally {
      await phone.page.close();
    }
  });

  it('with the keyboard alone, a reader skips to the content, reaches every section and opens any chart\'s table', async () => {
    const { page } = fr;
    await page.goto(`${origin}/transparence`, { waitUntil: 'networkidle0' });
    const stops: { tag: string; text: string; outline: string }[] = [];
    // Tab through the whole page, until the focus leaves it.
    for (let i = 0; i < 100; i++) {
      await page.keyboard.press('Tab');
      const stop = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        return !el || el === document.body ? undefined : { tag: el.tagName.toLowerCase(), text: (el.textContent ?? '').trim(), outline: getComputedStyle(el).outlineStyle };
      });
      if (!stop) break;
      stops.push(stop);
    }
    expect(stops[0]).toMatchObject({ tag: 'a', text: 'Aller au contenu' });
    for (const section of ['Indicateurs de transparence', 'Processus de décision', 'Demandes de jeux de données du comité des usagers']) expect(stops.some((s) => s.tag === 'a' && s.text === section)).toBe(true);
    const summaries = stops.filter((s) => s.tag === 'summary');
    expect(summaries.length).toBe(open.transparencyIndicators.length);
    expect(stops.every((s) => s.outline !== 'none')).toBe(true);
    // The screenshot shows the charts, where the dashboard starts.
    await page.evaluate(() => {
      (document.activeElement as HTMLElement | null)?.blur();
      document.getElementById('indicateurs')!.scrollIntoView();
    });
    await keepScreenshot(page, 'transparence');
    // Enter on the first summary unfolds its table.
    await page.focus('article[data-indicator] summary');
    await page.keyboard.press('Enter');
    expect(await page.$eval('article[data-indicator] details', (d) => (d as HTMLDetailsElement).open)).toBe(true);
  });

  it('when the data cannot be read, the page says so in plain words with a request id (503, no stack, nothing cached), and a read serves 30 s', async () => {
    let calls = 0;
    let fail = true;
    const query: AnonymousQuery = async () => {
      calls++;
      if (fail) throw new OpenDataError('select * from community.transparency_indicator: connection refused', 'PRODUCER_UNAVAILABLE');
      return { transparencyIndicators: [], decisionProcesses: [], datasetRequests: [] };
    };
    const options: OpenRouteOptions = { query, clientOf: () => 'test', titles: new Map(), openData: async () => { throw new Error('unused'); }, log: () => {} };
    const server = await serveApp(express().use(transparencePage(options)));
    const base = new URL(server.url).origin;
    try {
      const failed = await fetch(`${base}/transparence?lang=en`);
      const body = await failed.text();
      expect(failed.status).toBe(503);
      expect(failed.headers.get('retry-after')).toBe('30');
      expect(failed.headers.get('cache-control')).toBe('no-store');
      expect(body).toContain('Dashboard unavailable');
      expect(body).not.toMatch(/select|community\.|connection refused|at .*\.ts/);
      fail = false;
      expect((await fetch(`${base}/transparence`)).status).toBe(200);
      expect((await fetch(`${base}/transparence`)).status).toBe(200);
      expect(calls).toBe(2);
    } finally {
      await server.close();
    }
  });
});
