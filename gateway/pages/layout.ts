import { html, raw, type Html } from '../../lib/http/html.ts';
import type { PageLang } from './pageLang.ts';

/** The explorer pages and the hub's other doors, in the order the header lists them. */
const NAV: { path: string; fr: string; en: string }[] = [
  { path: '/data', fr: 'Cartographie des données', en: 'Data inventory' },
  { path: '/map', fr: 'Carte', en: 'Map' },
  { path: '/transparence', fr: 'Transparence', en: 'Transparency' },
  { path: '/graphql', fr: 'GraphiQL', en: 'GraphiQL' },
  { path: '/ogc', fr: 'OGC API', en: 'OGC API' },
  { path: '/catalog', fr: 'Catalogue DCAT-AP', en: 'DCAT-AP catalogue' },
];

const WORDS = {
  fr: { skip: 'Aller au contenu', menu: 'Pages du hub', other: 'English', otherLang: 'en', footer: 'TIGA — la santé en mouvements. Données ouvertes du hub, lues par son API anonyme.' },
  en: { skip: 'Skip to content', menu: 'Hub pages', other: 'Français', otherLang: 'fr', footer: 'TIGA — la santé en mouvements. The hub\'s open data, read through its anonymous API.' },
};

export interface PageParts {
  lang: PageLang;
  /** The page's path (`/data`, `/map`…): its header link is marked current, and the language switch keeps it. */
  path: string;
  title: string;
  /** Extra elements of <head> (stylesheets, module scripts): the page's own constants, never data. */
  head?: Html;
  body: Html;
  /** The map takes the whole width. */
  wide?: boolean;
  /** The current query string (without `lang`) that the language switch keeps, so a shared view survives it. */
  query?: string;
}

/**
 * Every explorer page's shell: a skip link, the header with the hub's pages and the language switch, the
 * page's <main>, a footer. No inline script (the CSP is `script-src 'self'`): pages load their scripts as files.
 */
export function layout(parts: PageParts): string {
  const w = WORDS[parts.lang];
  const keep = parts.query ? `&${parts.query}` : '';
  return `<!doctype html>\n${html`<html lang="${parts.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${parts.title} — TIGA</title>
<link rel="stylesheet" href="/pages/site.css">
${parts.head ?? raw('')}
</head>
<body>
<a class="skip" href="#main">${w.skip}</a>
<header class="site-header">
<a class="brand" href="/data?lang=${parts.lang}">TIGA</a>
<nav aria-label="${w.menu}"><ul>
${NAV.map((item) => html`<li><a href="${item.path}${item.path.startsWith('/ogc') || item.path.startsWith('/data') || item.path.startsWith('/map') || item.path.startsWith('/transparence') ? `?lang=${parts.lang}` : ''}"${item.path === parts.path ? raw(' aria-current="page"') : raw('')}>${item[parts.lang]}</a></li>\n`)}</ul></nav>
<a class="lang" href="${parts.path}?lang=${w.otherLang}${keep}" hreflang="${w.otherLang}" lang="${w.otherLang}">${w.other}</a>
</header>
<main id="main"${parts.wide ? raw(' class="wide"') : raw('')}>
${parts.body}
</main>
<footer class="site-footer">${w.footer}</footer>
</body>
</html>`.text}\n`;
}
