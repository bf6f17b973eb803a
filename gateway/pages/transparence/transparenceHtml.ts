import { html, raw, type Html } from '../../../lib/http/html.ts';
import { layout } from '../layout.ts';
import type { PageLang } from '../pageLang.ts';
import type { DatasetRequest, DecisionProcess, Transparency, TransparencyIndicator, TransparencyValue } from './readTransparency.ts';
import { WORDS, type TransparenceWords } from './transparenceWords.ts';

const PATH = '/transparence';
/** The collectivity's time zone: a request's instant is shown as its day there. */
const TIME_ZONE = 'Europe/Paris';

/**
 * The page's stylesheet and scripts: all the hub's own files (Chart.js from node_modules), loaded after parsing.
 * An empty icon: the hub has no favicon, and a browser asking for one would log a 404 on every visit.
 */
const HEAD = raw(`<link rel="icon" href="data:,">
<link rel="stylesheet" href="/pages/assets/transparence/transparence.css">
<script src="/pages/vendor/chart.umd.min.js" defer></script>
<script src="/pages/assets/transparence/transparence.js" defer></script>`);

/** The data is published in French: on the English page it is marked so, for screen readers and translators. */
const dataLang = (lang: PageLang) => (lang === 'fr' ? raw('') : raw(' lang="fr"'));

/** A value as read aloud and printed: the locale's decimal mark, at most two decimals. */
function formatNumber(value: number, w: TransparenceWords): string {
  return new Intl.NumberFormat(w.locale, { maximumFractionDigits: 2 }).format(value);
}

function unitLabel(unit: string, w: TransparenceWords): string {
  // An own word only: a unit named `constructor` or `toString` is the data's text, not Object's method.
  return Object.hasOwn(w.units, unit) ? w.units[unit]! : unit;
}

/** A value with its unit, as a sentence says it ("87,1 %", "24 jours"); counts need none. */
function withUnit(value: number, unit: string, w: TransparenceWords): string {
  const n = formatNumber(value, w);
  if (unit === 'count') return n;
  if (unit === '%') return w.locale.startsWith('fr') ? `${n}\u00a0%` : `${n}%`;
  return `${n} ${unitLabel(unit, w)}`;
}

/** The period a value covers, named as its periodicity says ("janv. 2024", "T3 2024", "2024"). */
function periodLabel(period: string, periodicity: string, w: TransparenceWords): string {
  const date = new Date(`${period}T00:00:00Z`);
  if (Number.isNaN(date.getTime())) return period;
  const year = date.getUTCFullYear();
  if (periodicity === 'YEARLY') return String(year);
  if (periodicity === 'QUARTERLY') return w.quarter(Math.floor(date.getUTCMonth() / 3) + 1, year);
  if (periodicity === 'MONTHLY') return new Intl.DateTimeFormat(w.locale, { month: 'short', year: 'numeric', timeZone: 'UTC' }).format(date);
  return new Intl.DateTimeFormat(w.locale, { dateStyle: 'medium', timeZone: 'UTC' }).format(date);
}

function dayOf(instant: string, w: TransparenceWords): string {
  const date = new Date(instant);
  return Number.isNaN(date.getTime()) ? instant : new Intl.DateTimeFormat(w.locale, { dateStyle: 'long', timeZone: TIME_ZONE }).format(date);
}

/** An id usable in a fragment (`#indicateur-…`): the slugs already are; anything else is reduced to one. */
const anchor = (prefix: string, id: string) => `${prefix}-${id.toLowerCase().replace(/[^a-z0-9_-]+/g, '-')}`;

function fact(term: string, value: Html | string, lang: PageLang, ownLang = true, className?: string): Html {
  return html`<div${className ? html` class="${className}"` : raw('')}><dt>${term}</dt><dd${ownLang ? dataLang(lang) : raw('')}>${value}</dd></div>`;
}

function valuesTable(indicator: TransparencyIndicator, w: TransparenceWords, lang: PageLang): Html {
  const unit = unitLabel(indicator.unit, w);
  const row = (v: TransparencyValue) =>
    html`<tr data-period="${v.period}" data-value="${String(v.value)}"><th scope="row"><time datetime="${v.period}">${periodLabel(v.period, indicator.periodicity, w)}</time></th><td>${formatNumber(v.value, w)}</td></tr>\n`;
  return html`<div class="scroll"><table>
<caption><span${dataLang(lang)}>${indicator.name}</span>${w.valuesCaption(unit)}</caption>
<thead><tr><th scope="col">${w.period}</th><th scope="col">${w.value} (${unit})</th></tr></thead>
<tbody>
${indicator.values.map(row)}</tbody>
</table></div>`;
}

function indicatorArticle(indicator: TransparencyIndicator, w: TransparenceWords, lang: PageLang): Html {
  const id = anchor('indicateur', indicator.id);
  const values = indicator.values;
  const first = values[0];
  const last = values.at(-1);
  const trend =
    first && last
      ? html`<div class="trend" data-trend data-unit="${indicator.unit}" data-unit-label="${unitLabel(indicator.unit, w)}" data-name="${indicator.name}">
<div class="chart" hidden><canvas role="img" aria-label="${w.chartLabel(indicator.name, periodLabel(first.period, indicator.periodicity, w), periodLabel(last.period, indicator.periodicity, w), withUnit(first.value, indicator.unit, w), withUnit(last.value, indicator.unit, w))}"></canvas></div>
<details class="values" open><summary>${w.showValues(values.length)}</summary>
${valuesTable(indicator, w, lang)}
</details>
</div>`
      : html`<p>${w.noValues}</p>`;
  return html`<article class="indicator" id="${id}" aria-labelledby="${id}-nom" data-indicator="${indicator.id}">
<h3 id="${id}-nom"${dataLang(lang)}>${indicator.name}</h3>
<dl class="facts">
${fact(w.definition, indicator.definition, lang)}
${fact(w.method, indicator.method, lang)}
${fact(w.ownerService, indicator.ownerService, lang)}
${fact(w.periodicity, w.periodicities[indicator.periodicity] ?? indicator.periodicity, lang, false)}
${fact(w.unit, unitLabel(indicator.unit, w), lang, false)}
${fact(w.source, indicator.source, lang, false, 'source')}
</dl>
${trend}
</article>`;
}

function processArticle(process: DecisionProcess, w: TransparenceWords, lang: PageLang): Html {
  const id = anchor('processus', process.id);
  const steps = process.steps.length
    ? html`<ol class="steps">
${process.steps.map(
  (s) => html`<li value="${s.step}" data-step="${s.step}">
<h4><span class="step-no">${w.step(s.step)}</span> <span${dataLang(lang)}>${s.title}</span></h4>
<p${dataLang(lang)}>${s.explanation}</p>
<dl class="facts compact">
${fact(w.who, s.who, lang)}
${fact(w.typicalDuration, s.typicalDuration ?? w.varies, lang, s.typicalDuration !== null)}
</dl>
</li>
`,
)}</ol>`
    : html`<p>${w.noSteps}</p>`;
  return html`<article class="process" id="${id}" aria-labelledby="${id}-titre" data-process="${process.id}">
<h3 id="${id}-titre"${dataLang(lang)}>${process.title}</h3>
<p${dataLang(lang)}>${process.summary}</p>
${steps}
</article>`;
}

function requestItem(request: DatasetRequest, w: TransparenceWords, lang: PageLang): Html {
  const status = w.statuses[request.status] ?? request.status;
  return html`<li class="request" data-request="${request.id}" data-status="${request.status}" data-votes="${request.votes}">
<h3${dataLang(lang)}>${request.title}</h3>
<p class="badges"><span class="votes">${w.votes(request.votes)}</span> <span class="status status-${request.status.toLowerCase()}"><span class="sr">${w.status}${w.colon}</span>${status}</span></p>
<p${dataLang(lang)}>${request.description}</p>
${request.statusReason ? html`<p class="reason"><strong>${w.statusReason}${w.colon}</strong><span${dataLang(lang)}>${request.statusReason}</span></p>` : raw('')}
<p class="requested-on">${w.requestedOn} <time datetime="${request.createdAt}">${dayOf(request.createdAt, w)}</time></p>
</li>
`;
}

/** The dashboard, whole without JavaScript (tables); transparence.js draws each table's chart above it. */
export function transparencePageHtml(data: Transparency, lang: PageLang): string {
  const w = WORDS[lang];
  const synthetic = data.indicators.some((i) => i.synthetic) || data.processes.some((p) => p.synthetic) || data.requests.some((r) => r.synthetic);
  const readAt = new Intl.DateTimeFormat(w.locale, { dateStyle: 'long', timeStyle: 'short', timeZone: TIME_ZONE }).format(data.readAt);
  const body = html`<h1>${w.title}</h1>
<p class="lede">${w.intro}</p>
${w.dataLanguage ? html`<p>${w.dataLanguage}</p>` : raw('')}
${synthetic ? html`<p class="note">${w.synthetic}</p>` : raw('')}
<p class="read-at">${w.readAt} <time datetime="${data.readAt.toISOString()}">${readAt}</time></p>
<nav class="toc" aria-labelledby="toc-titre"><h2 id="toc-titre">${w.onThisPage}</h2><ul>
<li><a href="#indicateurs">${w.indicators}</a></li>
<li><a href="#processus">${w.processes}</a></li>
<li><a href="#demandes">${w.requests}</a></li>
</ul></nav>
<section id="indicateurs" aria-labelledby="indicateurs-titre">
<h2 id="indicateurs-titre">${w.indicators}</h2>
<p>${w.indicatorsIntro}</p>
${data.indicators.length ? html`<div class="indicators">${data.indicators.map((i) => indicatorArticle(i, w, lang))}</div>` : html`<p>${w.none}</p>`}
</section>
<section id="processus" aria-labelledby="processus-titre">
<h2 id="processus-titre">${w.processes}</h2>
<p>${w.processesIntro}</p>
${data.processes.length ? data.processes.map((p) => processArticle(p, w, lang)) : html`<p>${w.none}</p>`}
</section>
<section id="demandes" aria-labelledby="demandes-titre">
<h2 id="demandes-titre">${w.requests}</h2>
<p>${w.requestsIntro}</p>
${data.requests.length ? html`<ol class="requests">${data.requests.map((r) => requestItem(r, w, lang))}</ol>` : html`<p>${w.none}</p>`}
</section>`;
  return layout({ lang, path: PATH, title: w.title, head: HEAD, body });
}

/** The page when the data could not be read: what happened in plain words and the id to quote, never a stack. */
export function transparenceErrorHtml(lang: PageLang, requestId: string): string {
  const w = WORDS[lang];
  const body = html`<h1>${w.errorTitle}</h1>
<p>${w.errorText}</p>
<p>${w.requestId}${w.colon}<code>${requestId}</code></p>`;
  return layout({ lang, path: PATH, title: w.errorTitle, body });
}
