import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { PROJECT_ROOT } from '../../lib/config.ts';

const require = createRequire(import.meta.url);

/** Debian's chromium (`.ci/run` installs it): no test tool ever downloads a browser of its own. */
export const CHROMIUM = process.env.TIGA_CHROMIUM ?? '/usr/bin/chromium';

/** ../shared/VERIFIED.md's flags: headless, nothing calling home, and WebGL through SwiftShader for MapLibre. */
const FLAGS = ['--headless', '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'];

/** Where each test's screenshots go (not committed); the README's copies are in docs/screenshots. */
export const SCREENSHOT_DIR = path.join(PROJECT_ROOT, 'test', 'artifacts', 'screenshots');
export const README_SCREENSHOT_DIR = path.join(PROJECT_ROOT, 'docs', 'screenshots');

let launched: Promise<Browser> | undefined;

/** One Chromium for the run, closed when the test process ends. */
export function browser(): Promise<Browser> {
  launched ??= (async () => {
    const b = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
    process.once('beforeExit', () => void b.close());
    return b;
  })();
  return launched;
}

export async function closeBrowser(): Promise<void> {
  if (!launched) return;
  const b = await launched;
  launched = undefined;
  await b.close();
}

/** What a page did while it was open: every console error, uncaught exception, failed request, and every URL outside the hub. */
export interface PageWatch {
  page: Page;
  consoleErrors: string[];
  /** Requests to anything but the hub's own origin (data: and blob: URLs are the page's own). */
  outside: string[];
  failed: string[];
  /** Every URL the page requested, in order. */
  requests: string[];
}

/**
 * A new tab watching its console and its requests. `width` 390 is a phone; the default is a laptop screen.
 * Every request outside `origin` is recorded and aborted: the page must work offline, so a test sees the failure.
 */
export async function openPage(origin: string, options: { width?: number; height?: number } = {}): Promise<PageWatch> {
  const page = await (await browser()).newPage();
  await page.setViewport({ width: options.width ?? 1280, height: options.height ?? 900 });
  const watch: PageWatch = { page, consoleErrors: [], outside: [], failed: [], requests: [] };
  page.on('console', (message) => {
    if (message.type() === 'error') watch.consoleErrors.push(`${message.text()} (${message.location()?.url ?? ''})`);
  });
  page.on('pageerror', (error) => watch.consoleErrors.push(`uncaught: ${error instanceof Error ? error.message : String(error)}`));
  page.on('requestfailed', (request) => {
    if (!request.url().startsWith('blob:') && !request.url().startsWith('data:')) watch.failed.push(`${request.url()} ${request.failure()?.errorText ?? ''}`);
  });
  await page.setRequestInterception(true);
  page.on('request', (request) => {
    const url = request.url();
    watch.requests.push(url);
    if (url.startsWith('data:') || url.startsWith('blob:') || new URL(url).origin === origin) return void request.continue();
    watch.outside.push(url);
    void request.abort('blockedbyclient');
  });
  return watch;
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/**
 * axe-core run in the page (through the DevTools protocol, so the page's CSP need not allow an injected
 * script): the serious and critical violations of WCAG 2.x A/AA and best practices.
 */
export async function seriousAccessibilityViolations(page: Page): Promise<AxeViolation[]> {
  const source = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(source);
  const violations = (await page.evaluate(async () => {
    const axe = (globalThis as any).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v: any) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n: any) => n.target.join(' ')) }));
  })) as AxeViolation[];
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/**
 * Keeps a screenshot as a test artefact (test/artifacts/screenshots, not committed); with
 * TIGA_UPDATE_SCREENSHOTS=1, also as the README's copy (docs/screenshots).
 */
export async function keepScreenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file as `${string}.png`, fullPage: false });
  if (process.env.TIGA_UPDATE_SCREENSHOTS === '1') {
    fs.mkdirSync(README_SCREENSHOT_DIR, { recursive: true });
    fs.copyFileSync(file, path.join(README_SCREENSHOT_DIR, `${name}.png`));
  }
  return file;
}
