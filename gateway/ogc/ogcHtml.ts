import { escapeHtml, html, Html } from '../../lib/http/html.ts';
import type { OpenCollection, OpenFeature, PropertyValue } from '../opendata/openCollection.ts';
import { CONFORMANCE, href, type CollectionDocument, type DocumentContext, type Link } from './ogcDocuments.ts';
import { TEXTS } from './ogcTexts.ts';

export { escapeHtml };

/** One stylesheet, inline: the pages load nothing from anywhere (no CDN, no font, no script). */
const STYLE = `body{font-family:system-ui,sans-serif;line-height:1.5;margin:0 auto;max-width:72rem;padding:1rem;color:#1a1a1a;background:#fff}
a{color:#0b4f9c}a:focus{outline:3px solid #f1b500;outline-offset:2px}
nav ol{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.25rem}nav ol li+li::before{content:"›";padding-right:.25rem}
table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{border:1px solid #999;padding:.25rem .5rem;text-align:left;vertical-align:top}
thead th{background:#e8eef5}caption{text-align:left;font-weight:bold;padding:.5rem 0}.scroll{overflow-x:auto}
dt{font-weight:bold}dd{margin:0 0 .5rem 1rem}.pages{display:flex;gap:1rem;margin:1rem 0}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}`;

interface Crumb {
  label: string;
  href?: string;
}

function page(ctx: DocumentContext, title: string, crumbs: Crumb[], alternates: Link[], body: Html): string {
  const t = TEXTS[ctx.lang];
  return html`<!doctype html>
<html lang="${ctx.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} — TIGA</title>
${alternates.map((l) => html`<link rel="alternate" type="${l.type}" href="${l.href}">\n`)}<style>${new Html(STYLE)}</style>
</head>
<body>
<header>
<nav aria-label="${t.breadcrumb}"><ol>
${[{ label: t.home, href: ctx.link('', { f: 'html' }) }, ...crumbs].map((c, i, all) =>
  i === all.length - 1 ? html`<li><span aria-current="page">${c.label}</span></li>\n` : html`<li><a href="${c.href}">${c.label}</a></li>\n`,
)}</ol></nav>
</header>
<main>
<h1>${title}</h1>
${body}
</main>
</body>
</html>
`.text;
}

const linkList = (links: { href: string; label: string; type?: string }[]) =>
  html`<ul>${links.map((l) => html`<li><a href="${l.href}"${l.type ? html` type="${l.type}"` : ''}>${l.label}</a></li>`)}</ul>`;

export function landingPage(ctx: DocumentContext, catalogueUrl: string): string {
  const t = TEXTS[ctx.lang];
  return page(ctx, t.title, [], [{ rel: 'alternate', type: 'application/json', href: ctx.link('', { f: 'json' }) }], html`<p>${t.description}</p>
${linkList([
  { href: ctx.link('/collections', { f: 'html' }), label: t.collectionsList },
  { href: ctx.link('/conformance', { f: 'html' }), label: t.conformanceClasses },
  { href: ctx.link('/api', { f: 'html' }), label: t.apiDocumentation },
  { href: ctx.link('/api', { f: 'json' }), label: t.apiDefinition, type: 'application/vnd.oai.openapi+json;version=3.0' },
  { href: catalogueUrl, label: t.catalogue, type: 'application/ld+json' },
])}`);
}

export function conformancePage(ctx: DocumentContext): string {
  const t = TEXTS[ctx.lang];
  return page(ctx, t.conformanceClasses, [{ label: t.conformance }], [{ rel: 'alternate', type: 'application/json', href: ctx.link('/conformance', { f: 'json' }) }], html`<ul>
${CONFORMANCE.map((uri) => html`<li><a href="${uri}">${uri}</a></li>\n`)}</ul>`);
}

/** What a collection document says, as a definition list (its extent, licences, attribution, CRSs). */
function collectionFacts(ctx: DocumentContext, doc: CollectionDocument, collection: OpenCollection): Html {
  const t = TEXTS[ctx.lang];
  const licences = doc.links.filter((l) => l.rel === 'license');
  const extent = 'extent' in doc ? doc.extent : undefined;
  const box = extent?.spatial.bbox[0];
  const interval = extent && 'temporal' in extent ? extent.temporal?.interval[0] : undefined;
  return html`<dl>
<dt>${t.attribution}</dt><dd>${doc.attribution}</dd>
<dt>${t.licence}</dt><dd>${licences.length ? licences.map((l, i) => html`${i ? ', ' : ''}<a href="${l.href}" rel="license">${l.title}</a>`) : t.perFeatureLicence}${licences.length && collection.licenceProperty ? html` — ${t.perFeatureLicence}` : ''}</dd>
${box ? html`<dt>${t.spatialExtent}</dt><dd>${box.map((n) => n.toFixed(4)).join(', ')}</dd>` : ''}
${interval ? html`<dt>${t.temporalExtent}</dt><dd>${interval[0]} — ${interval[1]}</dd>` : ''}
<dt>${t.crs}</dt><dd><ul>${doc.crs.map((uri) => html`<li>${uri}</li>`)}</ul></dd>
</dl>`;
}

export function collectionsPage(ctx: DocumentContext, docs: { doc: CollectionDocument; collection: OpenCollection }[]): string {
  const t = TEXTS[ctx.lang];
  return page(ctx, t.collectionsList, [{ label: t.collections }], [{ rel: 'alternate', type: 'application/json', href: ctx.link('/collections', { f: 'json' }) }], html`${docs.map(
    ({ doc }) => html`<section aria-labelledby="c-${doc.id}">
<h2 id="c-${doc.id}"><a href="${ctx.link(`/collections/${encodeURIComponent(doc.id)}`, { f: 'html' })}">${doc.title}</a></h2>
<p>${doc.description}</p>
<p><a href="${ctx.link(`/collections/${encodeURIComponent(doc.id)}/items`, { f: 'html' })}">${t.itemsAsHtml}</a> · <a href="${ctx.link(`/collections/${encodeURIComponent(doc.id)}/items`, { f: 'json' })}" type="application/geo+json">${t.itemsAsGeoJson}</a> · ${t.attribution} : ${doc.attribution}</p>
</section>
`,
  )}`);
}

export function collectionPage(ctx: DocumentContext, doc: CollectionDocument, collection: OpenCollection): string {
  const t = TEXTS[ctx.lang];
  const path = `/collections/${encodeURIComponent(collection.id)}`;
  return page(
    ctx,
    doc.title,
    [{ label: t.collections, href: ctx.link('/collections', { f: 'html' }) }, { label: doc.title }],
    [{ rel: 'alternate', type: 'application/json', href: ctx.link(path, { f: 'json' }) }],
    html`<p>${doc.description}</p>
<p><a href="${ctx.link(`${path}/items`, { f: 'html' })}">${t.itemsAsHtml}</a> · <a href="${ctx.link(`${path}/items`, { f: 'json' })}" type="application/geo+json">${t.itemsAsGeoJson}</a></p>
${collectionFacts(ctx, doc, collection)}
<div class="scroll"><table>
<caption>${t.properties}</caption>
<thead><tr><th scope="col">${t.name}</th><th scope="col">${t.type}</th><th scope="col">${t.meaning}</th></tr></thead>
<tbody>
${collection.properties.map((p) => html`<tr><th scope="row">${p.name}</th><td>${p.type}</td><td>${p.description}</td></tr>\n`)}</tbody>
</table></div>`,
  );
}

/** A property's value in a cell: an empty one is a dash the screen reader reads as "not given"; a boolean in words. */
function cell(value: PropertyValue | undefined, t: { none: string; yes: string; no: string }): Html {
  if (value === null || value === undefined || value === '') return html`<span aria-hidden="true">—</span><span class="sr">${t.none}</span>`;
  if (typeof value === 'boolean') return html`${value ? t.yes : t.no}`;
  return html`${value}`;
}

/** A geometry in a few words: its type, and a point's coordinates. */
function geometrySummary(geometry: unknown): string {
  const g = geometry as { type?: string; coordinates?: unknown } | null;
  if (!g?.type) return '';
  if (g.type === 'Point' && Array.isArray(g.coordinates)) return `Point (${(g.coordinates as number[]).join(', ')})`;
  return g.type;
}

export interface ItemsView {
  features: OpenFeature[];
  numberMatched?: number;
  offset: number;
  links: Link[];
}

export function itemsPage(ctx: DocumentContext, collection: OpenCollection, view: ItemsView): string {
  const t = TEXTS[ctx.lang];
  const path = `/collections/${encodeURIComponent(collection.id)}`;
  const title = `${collection.title[ctx.lang]} — ${t.items}`;
  const next = view.links.find((l) => l.rel === 'next');
  const prev = view.links.find((l) => l.rel === 'prev');
  const pager = html`<nav class="pages" aria-label="${t.pages}">${prev ? html`<a href="${prev.href}" rel="prev">← ${t.prev}</a>` : ''}${next ? html`<a href="${next.href}" rel="next">${t.next} →</a>` : ''}</nav>`;
  const names = collection.properties.map((p) => p.name);
  return page(
    ctx,
    title,
    [
      { label: t.collections, href: ctx.link('/collections', { f: 'html' }) },
      { label: collection.title[ctx.lang], href: ctx.link(path, { f: 'html' }) },
      { label: t.items },
    ],
    view.links.filter((l) => l.rel === 'alternate'),
    html`<p>${t.matched(view.features.length, view.numberMatched, view.offset)}</p>
${pager}
<div class="scroll"><table>
<caption>${title}</caption>
<thead><tr><th scope="col">${t.id}</th>${names.map((n) => html`<th scope="col">${n}</th>`)}<th scope="col">${t.geometry}</th></tr></thead>
<tbody>
${view.features.map(
  (f) => html`<tr><th scope="row"><a href="${ctx.link(`${path}/items/${encodeURIComponent(f.id)}`, { f: 'html' })}">${f.id}</a></th>${names.map((n) => html`<td>${cell(f.properties[n], t)}</td>`)}<td>${geometrySummary(f.geometry)}</td></tr>\n`,
)}</tbody>
</table></div>
${pager}`,
  );
}

export function featurePage(ctx: DocumentContext, collection: OpenCollection, feature: OpenFeature, links: Link[]): string {
  const t = TEXTS[ctx.lang];
  const path = `/collections/${encodeURIComponent(collection.id)}`;
  const descriptions = new Map(collection.properties.map((p) => [p.name, p.description]));
  return page(
    ctx,
    feature.id,
    [
      { label: t.collections, href: ctx.link('/collections', { f: 'html' }) },
      { label: collection.title[ctx.lang], href: ctx.link(path, { f: 'html' }) },
      { label: t.items, href: ctx.link(`${path}/items`, { f: 'html' }) },
      { label: feature.id },
    ],
    links.filter((l) => l.rel === 'alternate'),
    html`<div class="scroll"><table>
<caption>${collection.title[ctx.lang]} — ${feature.id}</caption>
<thead><tr><th scope="col">${t.name}</th><th scope="col">${t.value}</th><th scope="col">${t.meaning}</th></tr></thead>
<tbody>
${Object.entries(feature.properties).map(([name, value]) => html`<tr><th scope="row">${name}</th><td>${cell(value, t)}</td><td>${descriptions.get(name) ?? ''}</td></tr>\n`)}<tr><th scope="row">${t.geometry}</th><td>${geometrySummary(feature.geometry)}</td><td></td></tr>
</tbody>
</table></div>`,
  );
}

/** The service documentation (`service-doc`): the OpenAPI document's paths and parameters, readable. */
export function apiPage(ctx: DocumentContext, openapi: { paths: Record<string, { get: { summary: string; parameters?: { name?: string; description?: string; $ref?: string }[] } }>; components: { parameters: Record<string, { name: string; description: string }> } }): string {
  const t = TEXTS[ctx.lang];
  const parameter = (p: { name?: string; description?: string; $ref?: string }) => (p.$ref ? openapi.components.parameters[p.$ref.split('/').at(-1)!]! : (p as { name: string; description: string }));
  return page(ctx, t.api, [{ label: t.api }], [{ rel: 'alternate', type: 'application/vnd.oai.openapi+json;version=3.0', href: ctx.link('/api', { f: 'json' }) }], html`<p>${t.apiIntro} <a href="${ctx.link('/api', { f: 'json' })}" type="application/vnd.oai.openapi+json;version=3.0">${ctx.link('/api', { f: 'json' })}</a></p>
${Object.entries(openapi.paths).map(
  ([path, item]) => html`<section>
<h2><code>GET ${ctx.root}${path === '/' ? '' : path}</code></h2>
<p>${item.get.summary}</p>
${item.get.parameters?.length ? html`<dl>${item.get.parameters.map(parameter).map((p) => html`<dt><code>${p.name}</code></dt><dd>${p.description}</dd>`)}</dl>` : ''}
</section>
`,
)}`);
}

export function errorPage(ctx: DocumentContext, status: number, description: string, requestId: string): string {
  const t = TEXTS[ctx.lang];
  return page(ctx, `${t.error} ${status}`, [{ label: `${t.error} ${status}` }], [], html`<p>${description}</p>
<p>${t.requestId} : <code>${requestId}</code></p>`);
}
