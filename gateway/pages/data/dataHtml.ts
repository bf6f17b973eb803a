import { html, raw, type Html } from '../../../lib/http/html.ts';
import { LEGAL_BASES } from '../../../lib/auth/legalBasis.ts';
import { fill } from '../../catalog/catalogWords.ts';
import type { OpenDataset } from '../../catalog/readOpenData.ts';
import type { Download } from '../../catalog/catalogGraph.ts';
import { layout } from '../layout.ts';
import type { PageLang } from '../pageLang.ts';
import { coversTerritory, filterQuery, matchesWords, type DataFilter } from './dataFilters.ts';
import { fieldThemes, type DataModel } from './dataModel.ts';
import type { FieldAccess, InventoryField, InventoryType } from './inventory.ts';
import type { LiveMetadata } from './readLiveMetadata.ts';
import { windowOf } from './readLiveMetadata.ts';
import { renderQuery } from './sampleQuery.ts';
import { WORDS, type DataWords } from './dataWords.ts';

const PATH = '/data';
const TIME_ZONE = 'Europe/Paris';
const HEAD = raw(`<link rel="icon" href="data:,">
<link rel="stylesheet" href="/pages/assets/data/data.css">
<script src="/pages/assets/data/data.js" defer></script>`);
/** Places named on a dataset before "and N more". */
const PLACES_SHOWN = 6;

export interface DataPageInput {
  lang: PageLang;
  model: DataModel;
  live: LiveMetadata;
  filter: DataFilter;
  /** Producer name → public title (the supergraph's). */
  titles: Map<string, string>;
  downloads: Download[];
}

/** A link that opens GraphiQL with the query in its editor: in the fragment, which no server sees (GET ?query= would run it). */
export const graphiqlLink = (query: string) => `/graphql#${new URLSearchParams({ query }).toString()}`;

/**
 * A link's target from the data (a catalogue entry's landing page) only when it is an absolute http(s) URL:
 * escaping keeps it inside its attribute, but `javascript:`, `data:` or `vbscript:` would still be a link that
 * runs or shows the attacker's content (the CSP is a second line, not the first).
 */
export function webUrl(value: string | undefined | null): string | undefined {
  if (!value) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? value : undefined;
  } catch {
    return undefined;
  }
}

const pascal = (id: string) => id.replace(/(^|[^a-zA-Z0-9])([a-zA-Z0-9])/g, (_, __, c: string) => c.toUpperCase()).replace(/^[^a-zA-Z_]/, '_');
const schemaLang = (lang: PageLang) => (lang === 'fr' ? raw(' lang="en"') : raw(''));

function day(value: string | undefined, w: DataWords): string {
  if (!value) return '—';
  const date = new Date(value.length === 10 ? `${value}T12:00:00Z` : value);
  return Number.isNaN(date.getTime()) ? value : new Intl.DateTimeFormat(w.locale, { dateStyle: 'medium', timeZone: TIME_ZONE }).format(date);
}
const number = (value: number, w: DataWords, digits = 0) => new Intl.NumberFormat(w.locale, { maximumFractionDigits: digits }).format(value);

/** The licence's name as the contract's `Licence` enum describes it ("Open Database License 1.0 (ODC-ODbL)"). */
function licenceName(model: DataModel, code: string): string {
  const value = model.inventory.types.find((t) => t.name === 'Licence')?.fields.find((f) => f.name === code);
  return value?.description.split(/[:.]\s/)[0]?.trim() || code;
}

function accessBadge(access: FieldAccess['level'] | 'partly', w: DataWords): Html {
  return html`<span class="badge badge-${access}">${access === 'partly' ? w.partly : w.levels[access]}</span>`;
}

function scopeText(access: FieldAccess, w: DataWords): string {
  if (!access.scopes) return w.anyToken;
  return access.scopes.map((all) => all.join(' + ')).join(' | ');
}

function accessFacts(field: InventoryField, w: DataWords, lang: PageLang): Html {
  const a = field.access;
  if (a.level === 'open') return raw('');
  const write = field.coordinate.startsWith('Mutation.');
  return html`<dl class="facts">
<dt>${w.scope}</dt><dd><code>${scopeText(a, w)}</code></dd>
<dt>${w.legalBasis}</dt><dd>${a.legalBasis ? html`<strong>${LEGAL_BASES[a.legalBasis.basis][lang]}</strong> — <span lang="fr">${a.legalBasis.reference}</span>` : write ? w.write : '—'}</dd>
${a.reachedThrough?.length ? html`<dt>${w.reachedThrough}</dt><dd>${a.reachedThrough.map((c, i) => html`${i ? ', ' : ''}<code>${c}</code>`)}</dd>` : raw('')}
</dl>`;
}

function unitText(field: InventoryField, w: DataWords): Html | undefined {
  const unit = field.unit;
  if (!unit) return undefined;
  if ('symbol' in unit) return html`${unit.symbol}`;
  if ('stated' in unit) return html`<span lang="en">${unit.stated}</span>`;
  return html`<code>${unit.field}</code> (${w.perRecord}${unit.values.length ? raw('') : raw(')')}${unit.values.length ? html`; ${w.unitValues}${w.colon} ${unit.values.map((v, i) => html`${i ? ', ' : ''}<q>${v}</q>`)})` : raw('')}`;
}

/** Which items the filter keeps. Datasets, types and fields are all rendered; those it drops are `hidden`, so the script can show them again. */
interface Visibility {
  datasets: Set<string>;
  fields: Set<string>;
  types: Set<string>;
}

function datasetText(dataset: OpenDataset, title: string, description: string, producerTitle: string, model: DataModel): string[] {
  const w = model.words.datasets[dataset.kind];
  return [title, description, dataset.own?.title ?? '', dataset.own?.description ?? '', producerTitle, ...(w?.keywords.fr ?? []), ...(w?.keywords.en ?? []), dataset.id];
}

function themesOfDataset(dataset: OpenDataset, model: DataModel): string[] {
  // The portal's theme is the data's text: only an own entry of the table maps it (not `constructor`, `__proto__`).
  return dataset.portalTheme ? [Object.hasOwn(model.words.portalThemes, dataset.portalTheme) ? model.words.portalThemes[dataset.portalTheme]! : 'GOVE'] : (model.words.datasets[dataset.kind]?.themes ?? []);
}

function visibility(input: DataPageInput): Visibility {
  const { model, live, filter, titles } = input;
  const datasets = new Set<string>();
  for (const dataset of live.openData.datasets) {
    const w = model.words.datasets[dataset.kind];
    const producer = w?.producer ?? '';
    const { title, description } = datasetTexts(dataset, model, input.lang);
    if (filter.producer && producer !== filter.producer) continue;
    if (filter.theme && !themesOfDataset(dataset, model).includes(filter.theme)) continue;
    if (filter.access === 'restricted') continue;
    if (filter.territory && !coversTerritory(dataset.places, filter.territory, live.parents)) continue;
    if (!matchesWords(filter.q, ...datasetText(dataset, title, description, titles.get(producer) ?? producer, model))) continue;
    datasets.add(dataset.id);
  }
  const fields = new Set<string>();
  const types = new Set<string>();
  for (const type of model.inventory.types) {
    const typeMatches = matchesWords(filter.q, type.name, type.description);
    for (const field of type.fields) {
      if (filter.producer && !field.producers.includes(filter.producer)) continue;
      if (filter.theme && !fieldThemes(model, type, field.namedType).includes(filter.theme)) continue;
      if (filter.access && field.access.level !== filter.access) continue;
      if (!typeMatches && !matchesWords(filter.q, field.name, field.description, field.type)) continue;
      fields.add(field.coordinate);
      types.add(type.name);
    }
    if (!type.fields.length && typeMatches && (!filter.producer || type.producers.includes(filter.producer)) && (!filter.theme || (model.themesOf.get(type.name) ?? []).includes(filter.theme)) && (!filter.access || filter.access === type.access)) {
      types.add(type.name);
    }
  }
  return { datasets, fields, types };
}

function datasetTexts(dataset: OpenDataset, model: DataModel, lang: PageLang): { title: string; description: string; ownLang?: 'fr' } {
  const w = model.words.datasets[dataset.kind];
  const wordsTitle = w?.title[lang] ?? w?.title.fr;
  const wordsDescription = w?.description[lang] ?? w?.description.fr;
  // An entry's or a contribution's own title and description are French: the French page shows them, the English one the words' frame.
  if (lang === 'fr' && dataset.own) return { title: dataset.own.title, description: dataset.own.description };
  return { title: fill(wordsTitle ?? dataset.id, dataset.vars), description: fill(wordsDescription ?? '', dataset.vars).trim() };
}

function renderDataset(dataset: OpenDataset, input: DataPageInput, shown: boolean, w: DataWords): Html {
  const { model, live, lang, titles } = input;
  const words = model.words.datasets[dataset.kind];
  const producer = words?.producer ?? '';
  const { title, description } = datasetTexts(dataset, model, lang);
  const themes = themesOfDataset(dataset, model);
  const licences = dataset.licences.length ? dataset.licences : words?.licence ? [words.licence] : [];
  const frequency = (dataset.periodicity && model.words.periodicities[dataset.periodicity]) || words?.frequency;
  const names = dataset.places.map((code) => live.openData.names.get(code) ?? code);
  const collections = input.downloads.filter((d) => d.dataset === dataset.kind && dataset.graphql);
  const typeNames = model.typesOf.get(dataset.kind) ?? [];
  const recordType = model.inventory.types.find((t) => t.name === typeNames[0]);
  const query = recordType?.path && renderQuery(pascal(dataset.id), recordType.path, { keys: live.keys, window: windowOf(live.openData.datasets.filter((d) => d.kind === dataset.kind), live.openData.datasets) });
  const counts = collections.map((c) => ({ title: c.title[lang], count: live.counts.get(c.collection) }));
  const volume: Html[] = [];
  if (!dataset.graphql) volume.push(html`${w.metadataOnly}`);
  for (const c of counts) volume.push(html`${c.title}${w.colon} ${c.count === undefined ? w.notCounted : w.records(number(c.count, w))}`);
  if (live.indicatorValues.has(dataset.id)) volume.push(html`${w.records(number(live.indicatorValues.get(dataset.id)!, w))}`);
  if (typeof dataset.vars.featureCount === 'number') volume.push(html`${w.records(number(dataset.vars.featureCount, w))}`);
  const quality: Html[] = [];
  if (dataset.kind === 'citizen-sensors' && live.sensorQuality) {
    const q = live.sensorQuality;
    const f = (v: number | undefined) => (v === undefined ? '—' : number(v, w, 2));
    quality.push(html`${w.sensorQuality({ sensors: number(q.sensors, w), scored: number(q.scored, w), min: f(q.min), median: f(q.median), max: f(q.max) })}${q.flags.length ? html`; ${w.flags}${w.colon} ${q.flags.map(([code, n], i) => html`${i ? ', ' : ''}<code>${code}</code> ${number(n, w)}`)}` : raw('')}${q.lastComputedAt ? html`; ${w.qcComputed} ${day(q.lastComputedAt, w)}` : raw('')}`);
  }
  if (dataset.kind === 'health-indicators' && live.healthSecrecy) quality.push(html`${w.secrecy(number(live.healthSecrecy.values, w), number(live.healthSecrecy.suppressed, w))}`);
  if (dataset.kind === 'air-measurements') quality.push(html`${w.validatedOnly}`);
  if (dataset.kind === 'contribution') quality.push(html`${w.moderation}`);
  const producerTitle = dataset.publisherName ?? titles.get(producer) ?? producer;
  const producerTitle0 = titles.get(producer) ?? producer;
  return html`<li class="dataset" id="dataset-${dataset.id}" data-producers="${producer}" data-themes="${themes.join(' ')}" data-access="open" data-places="${dataset.places.join(' ')}" data-search="${datasetText(dataset, title, description, producerTitle0, model).join(' ')}"${shown ? raw('') : raw(' hidden')}>
<article aria-labelledby="dataset-${dataset.id}-title">
<h3 id="dataset-${dataset.id}-title">${title}</h3>
<p class="search-text">${description}</p>
<dl class="facts">
<dt>${w.producer}</dt><dd>${producerTitle}${dataset.publisherName ? html` (${titles.get(producer) ?? producer})` : raw('')}</dd>
<dt>${w.access}</dt><dd>${accessBadge('open', w)}</dd>
<dt>${w.theme}</dt><dd>${themes.map((code, i) => html`${i ? ', ' : ''}${model.words.themeLabels[code]?.[lang] ?? code}`)}</dd>
<dt>${w.licence}</dt><dd>${licences.length ? licences.map((code, i) => html`${i ? ', ' : ''}<a href="${model.words.licences[code]}"${schemaLang(lang)}>${licenceName(model, code)}</a>`) : '—'}</dd>
<dt>${w.provenance}</dt><dd>${dataset.provenance.synthetic ? w.synthetic : w.real}${dataset.provenance.approximate ? html` (${w.approximate})` : raw('')}${dataset.provenance.sources.length ? html`. ${w.sources}${w.colon} <span lang="fr">${dataset.provenance.sources.join(' ; ')}</span>` : raw('')}</dd>
<dt>${w.spatial}</dt><dd>${dataset.places.length ? html`${w.places(dataset.places.length)}${w.colon} <span lang="fr">${names.slice(0, PLACES_SHOWN).join(', ')}${names.length > PLACES_SHOWN ? '…' : ''}</span>` : raw('')}${dataset.bbox ? html`${dataset.places.length ? '; ' : ''}${w.bbox} <code>${dataset.bbox.map((v) => v.toFixed(3)).join(', ')}</code>` : raw('')}</dd>
<dt>${w.temporal}</dt><dd>${dataset.temporal ? `${day(dataset.temporal.start, w)} – ${day(dataset.temporal.end, w)}` : '—'}</dd>
<dt>${w.frequency}</dt><dd>${frequency ? (w.frequencies[frequency] ?? frequency) : '—'}</dd>
<dt>${w.modified}</dt><dd>${day(dataset.modified, w)}</dd>
<dt>${w.rows}</dt><dd>${volume.length ? volume.map((v, i) => html`${i ? raw('<br>') : ''}${v}`) : '—'}</dd>
<dt>${w.quality}</dt><dd>${quality.length ? quality.map((v, i) => html`${i ? raw('<br>') : ''}${v}`) : '—'}</dd>
<dt>${w.readThrough}</dt><dd>${typeNames.length ? typeNames.map((name, i) => html`${i ? ', ' : ''}<a href="#type-${name}"><code>${name}</code></a>`) : '—'}</dd>
</dl>
<div class="get"><h4>${w.howToGet}</h4>
<ul class="links">
${query ? html`<li><a class="graphiql" href="${graphiqlLink(query)}">${w.openInGraphiql}<span class="sr"> (${title})</span></a></li>` : raw('')}
${collections.map((c) => html`<li>${w.exports} <span lang="fr">${c.collection}</span>${w.colon} ${c.formats.map((f, i) => html`${i ? ', ' : ''}<a href="/exports/${c.collection}.${f.extension}" download>${f.label}<span class="sr"> (${c.title[lang]})</span></a>`)}${c.ogc ? html` · <a href="/ogc/collections/${c.collection}?lang=${lang}">${w.ogc}<span class="sr"> (${c.title[lang]})</span></a>` : raw('')}</li>`)}
${webUrl(dataset.landingPage) ? html`<li><a href="${webUrl(dataset.landingPage)}">${w.landingPage}<span class="sr"> (${title})</span></a></li>` : raw('')}
</ul>
${query ? html`<details><summary>${w.showQuery}<span class="sr"> (${title})</span></summary><pre><code>${query}</code></pre></details>` : raw('')}
</div>
</article>
</li>`;
}

function renderField(type: InventoryType, field: InventoryField, input: DataPageInput, shown: boolean, w: DataWords): Html {
  const { model, lang, titles } = input;
  const unit = unitText(field, w);
  const linkType = model.inventory.types.some((t) => t.name === field.namedType) && field.namedType !== type.name;
  return html`<li class="field" id="field-${field.coordinate}" data-producers="${field.producers.join(' ')}" data-themes="${fieldThemes(model, type, field.namedType).join(' ')}" data-access="${field.access.level}"${shown ? raw('') : raw(' hidden')}>
<p class="field-head"><code class="field-name">${field.name}</code>${field.type ? html`${w.colon} ${linkType ? html`<a href="#type-${field.namedType}"><code class="field-type">${field.type}</code></a>` : html`<code class="field-type">${field.type}</code>`}` : raw('')} ${accessBadge(field.access.level, w)}${field.deprecated ? html` <span class="badge">${w.deprecated}</span>` : raw('')}</p>
${field.description ? html`<p class="field-description"${schemaLang(lang)}>${field.description}</p>` : raw('')}
<p class="field-meta">${w.producers}${w.colon} ${field.producers.map((p) => titles.get(p) ?? p).join(', ') || '—'}${unit ? html` · ${w.unit}${w.colon} ${unit}` : raw('')}</p>
${field.args.length ? html`<details class="args"><summary>${w.arguments} (${field.args.length})<span class="sr"> ${field.coordinate}</span></summary><ul>${field.args.map((a) => html`<li><code>${a.name}: ${a.type}${a.defaultValue ? ` = ${a.defaultValue}` : ''}</code>${a.description ? html` — <span${schemaLang(lang)}>${a.description}</span>` : raw('')}</li>`)}</ul></details>` : raw('')}
${accessFacts(field, w, lang)}
</li>`;
}

function renderType(type: InventoryType, input: DataPageInput, visible: Visibility, w: DataWords): Html {
  const { model, live, lang, titles } = input;
  const kinds = model.datasetsOf.get(type.name) ?? [];
  const query = type.path && renderQuery(`${type.name}Sample`, type.path, { keys: live.keys, window: windowOf(live.openData.datasets.filter((d) => kinds.includes(d.kind)), live.openData.datasets) });
  return html`<section class="type" id="type-${type.name}" aria-labelledby="type-${type.name}-title" data-producers="${type.producers.join(' ')}" data-themes="${(model.themesOf.get(type.name) ?? []).join(' ')}" data-access="${type.access}"${visible.types.has(type.name) ? raw('') : raw(' hidden')}>
<div class="type-head">
<h3 id="type-${type.name}-title"><code class="type-name">${type.name}</code> <span class="kind">${w.kind[type.kind]}</span> ${accessBadge(type.access, w)}</h3>
${type.description ? html`<p class="type-description"${schemaLang(lang)}>${type.description}</p>` : raw('')}
<p class="field-meta">${w.producers}${w.colon} ${type.producers.map((p) => titles.get(p) ?? p).join(', ') || '—'}${kinds.length ? html` · ${w.datasets}${w.colon} ${kinds.map((k, i) => html`${i ? ', ' : ''}${model.words.datasets[k]?.title[lang] ?? k}`)}` : raw('')}</p>
${query ? html`<p><a class="graphiql" href="${graphiqlLink(query)}">${w.openInGraphiqlOf(type.name)}</a></p><details><summary>${w.showQuery}<span class="sr"> (${type.name})</span></summary><pre><code>${query}</code></pre></details>` : type.kind === 'object' && !type.inOpenContract ? html`<p>${w.noQuery}</p>` : raw('')}
</div>
${type.fields.length ? html`<ul class="fields" aria-label="${type.kind === 'enum' ? w.values : w.field} — ${type.name}">${type.fields.map((f) => renderField(type, f, input, visible.fields.has(f.coordinate), w))}</ul>` : raw('')}
</section>`;
}

function renderRestricted(input: DataPageInput, visible: Visibility, w: DataWords): Html {
  const { model, lang, titles } = input;
  return html`<div class="scroll" tabindex="0" role="region" aria-labelledby="restricted-title"><table class="restricted">
<thead><tr><th scope="col">${w.field}</th><th scope="col">${w.producer}</th><th scope="col">${w.scope}</th><th scope="col">${w.legalBasis}</th><th scope="col">${w.reference}</th></tr></thead>
<tbody>
${model.inventory.restricted.map((f) => html`<tr id="restricted-${f.coordinate}" data-producers="${f.producers.join(' ')}" data-access="restricted" data-field="${f.coordinate}"${visible.fields.has(f.coordinate) ? raw('') : raw(' hidden')}>
<th scope="row"><a href="#field-${f.coordinate}"><code>${f.coordinate}</code></a></th>
<td>${f.producers.map((p) => titles.get(p) ?? p).join(', ')}</td>
<td><code>${scopeText(f.access, w)}</code></td>
<td>${f.access.legalBasis ? LEGAL_BASES[f.access.legalBasis.basis][lang] : f.coordinate.startsWith('Mutation.') ? w.write : '—'}${f.access.reachedThrough?.length && !f.access.legalBasis ? html` (${w.reachedThrough} ${f.access.reachedThrough.slice(0, 3).join(', ')}${f.access.reachedThrough.length > 3 ? '…' : ''})` : raw('')}</td>
<td lang="fr">${f.access.legalBasis?.reference ?? ''}</td>
</tr>`)}
</tbody></table></div>`;
}

function select(name: string, label: string, options: Html, w: DataWords): Html {
  return html`<p class="control"><label for="filter-${name}">${label}</label>
<select id="filter-${name}" name="${name}"><option value="">${w.all}</option>${options}</select></p>`;
}
const option = (value: string, label: string, current: string | undefined, extra: Html = raw('')) => html`<option value="${value}"${value === current ? raw(' selected') : raw('')}${extra}>${label}</option>`;

/** The page: filters (a GET form, enhanced by data.js), datasets, types and fields, restricted fields. */
export function dataHtml(input: DataPageInput): string {
  const { lang, model, live, filter, titles } = input;
  const w = WORDS[lang];
  const visible = visibility(input);
  const { inventory } = model;
  const themes = [...new Set([...live.openData.datasets.flatMap((d) => themesOfDataset(d, model)), ...[...model.themesOf.values()].flat()])].sort();
  const epcis = [...live.openData.kinds].filter(([, kind]) => kind === 'EPCI').map(([code]) => code);
  const communes = [...live.openData.kinds].filter(([, kind]) => kind === 'COMMUNE').map(([code]) => code);
  const byName = (a: string, b: string) => (live.openData.names.get(a) ?? a).localeCompare(live.openData.names.get(b) ?? b, 'fr');
  const fieldCount = inventory.types.reduce((n, t) => n + t.fields.length, 0);
  const readAt = new Intl.DateTimeFormat(w.locale, { dateStyle: 'long', timeStyle: 'short', timeZone: TIME_ZONE }).format(live.readAt);
  const body = html`<h1>${w.title}</h1>
<p>${w.intro}</p>
<p>${w.summary(live.openData.datasets.length, inventory.types.length, fieldCount, inventory.restricted.length)} ${w.readAt(readAt)}${w.schemaLanguage ? ` ${w.schemaLanguage}` : ''}</p>
<form class="filters" method="get" action="${PATH}" role="search" aria-labelledby="filters-title">
<h2 id="filters-title">${w.filters}</h2>
${lang === 'en' ? raw('<input type="hidden" name="lang" value="en">') : raw('')}
<p class="control control-search"><label for="filter-q">${w.search}</label>
<input type="search" id="filter-q" name="q" value="${filter.q}" aria-describedby="filter-q-hint" autocomplete="off">
<span id="filter-q-hint" class="hint">${w.searchHint}</span></p>
${select('producer', w.producer, html`${inventory.producers.map((p) => option(p.name, p.title, filter.producer))}`, w)}
${select('theme', w.theme, html`${themes.map((code) => option(code, model.words.themeLabels[code]?.[lang] ?? code, filter.theme))}`, w)}
${select('access', w.access, html`${option('open', w.open, filter.access)}${option('restricted', w.restricted, filter.access)}`, w)}
${select('territory', w.territory, html`<optgroup label="${w.epcis}">${epcis.sort(byName).map((code) => option(code, live.openData.names.get(code) ?? code, filter.territory))}</optgroup><optgroup label="${w.communes}">${communes.sort(byName).map((code) => option(code, live.openData.names.get(code) ?? code, filter.territory, live.parents.has(code) ? html` data-parent="${live.parents.get(code)}"` : raw('')))}</optgroup>`, w)}
<p class="control control-buttons"><button type="submit">${w.apply}</button> <a href="${PATH}?lang=${lang}">${w.reset}</a></p>
</form>
<p id="data-count" class="count" role="status" data-template="${w.matching('{d}', '{t}', '{f}')}">${w.matching(visible.datasets.size, visible.types.size, visible.fields.size)}</p>
<p id="data-territory-note" class="note"${filter.territory ? raw('') : raw(' hidden')}>${w.territoryNote}</p>
<nav class="toc" aria-label="${w.onThisPage}"><ul>
<li><a href="#datasets-title">${w.datasets}</a></li><li><a href="#types-title">${w.types}</a></li><li><a href="#restricted-title">${w.restrictedTitle}</a></li>
</ul></nav>
<section aria-labelledby="datasets-title">
<h2 id="datasets-title">${w.datasets}</h2>
<p>${w.datasetsIntro}</p>
<p class="empty" data-empty="datasets"${visible.datasets.size ? raw(' hidden') : raw('')}>${w.noMatch}</p>
<ul class="datasets">
${live.openData.datasets.map((d) => renderDataset(d, input, visible.datasets.has(d.id), w))}
</ul>
</section>
<section aria-labelledby="types-title">
<h2 id="types-title">${w.types}</h2>
<p>${w.typesIntro}</p>
<p class="empty" data-empty="types"${visible.types.size ? raw(' hidden') : raw('')}>${w.noMatch}</p>
${inventory.types.map((t) => renderType(t, input, visible, w))}
</section>
<section aria-labelledby="restricted-title">
<h2 id="restricted-title">${w.restrictedTitle}</h2>
<p>${w.restrictedIntro}</p>
${renderRestricted(input, visible, w)}
</section>`;
  return layout({ lang, path: PATH, title: w.title, head: HEAD, body, query: filterQuery(filter) });
}

/** The page when the live data cannot be read: the inventory needs it (503, the request id to quote). */
export function dataErrorHtml(lang: PageLang, requestId: string): string {
  const w = WORDS[lang];
  return layout({ lang, path: PATH, title: w.title, head: HEAD, body: html`<h1>${w.errorTitle}</h1><p>${w.errorText}</p><p>${w.requestId}${w.colon} <code>${requestId}</code></p>` });
}
