import { fill, h } from './dom.js';
import { graphql } from './mapData.js';

/**
 * Every producer's values for one territory, in ONE federated operation of the open API: ADEUS (the
 * referential, urban indicators), ATMO (the week's indice ATMO, stations), ORSAL (open health values, withheld
 * ones included as withheld), the community (validated sensors) and APRONA (groundwater), the last three
 * through the geographic join on the territory's outline, which answers for an IRIS as for a commune.
 */
export const PANEL_QUERY = `query MapPanel($code: ID!, $from: String!, $to: String!) {
  territory(code: $code) {
    code kind name population areaKm2 approximate source parent { code name }
    airQuality(from: $from, to: $to) { date index label color kind synthetic }
    health { indicator label period value unit precision suppressed suppressionReason synthetic }
    urban { year greenSpaceShare imperviousShare treeCanopyShare populationDensity cycleLaneDensity synthetic }
  }
  area(select: { territory: $code }) {
    airStations { id name typology }
    sensors { id sensorType quality { score } }
    groundwaterPoints { id name latestStatus { assessment lastSampled } }
  }
}`;

/** What lies inside a drawn area, from every producer: the geographic join. */
export const AREA_QUERY = `query MapArea($select: AreaInput!) {
  area(select: $select) {
    geometry
    territories { code kind name }
    airStations { id name }
    sensors { id sensorType quality { score } }
    groundwaterPoints { id name latestStatus { assessment } }
  }
}`;

const EXPORTS = ['air-quality-index', 'health-indicators', 'urban-indicators', 'air-stations', 'citizen-sensors', 'groundwater-points'];

export const daysBefore = (date, n) => new Date(Date.parse(`${date}T00:00:00Z`) - n * 86_400_000).toISOString().slice(0, 10);

function section(title, ...content) {
  return h('section', { class: 'panel-section' }, h('h3', {}, title), ...content);
}

function list(items, render, w) {
  return items?.length ? h('ul', { class: 'panel-list' }, items.map((x) => h('li', {}, render(x)))) : h('p', { class: 'muted' }, w.noValue);
}

/** A health value, or "secret statistique" (hatched) when withheld: never 0, never an empty cell. */
function healthCell(value, ctx) {
  if (!value) return h('td', { class: 'muted' }, '—');
  if (value.suppressed) return h('td', { class: 'secret', 'data-suppressed': 'true', title: value.suppressionReason ?? '' }, h('span', { class: 'swatch hatch', 'aria-hidden': 'true' }), ctx.config.words.secret);
  return h('td', { class: 'num', 'data-value': value.value }, ctx.format(value.value));
}

function healthTable(values, ctx) {
  const w = ctx.config.words;
  if (!values?.length) return h('p', { class: 'muted' }, w.noValue);
  const periods = [...new Set(values.map((v) => v.period))].sort();
  const indicators = [...new Map(values.map((v) => [v.indicator, v])).values()];
  const byKey = new Map(values.map((v) => [`${v.indicator}|${v.period}`, v]));
  return h('div', { class: 'scroll', tabindex: '0', role: 'group', 'aria-label': w.healthValues },
    h('table', { class: 'health-table' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, w.indicator), periods.map((p) => h('th', { scope: 'col' }, p)))),
      h('tbody', {}, indicators.map((i) => h('tr', { 'data-indicator': i.indicator }, h('th', { scope: 'row' }, `${i.label} (${i.unit})`), periods.map((p) => {
        const cell = healthCell(byKey.get(`${i.indicator}|${p}`), ctx);
        cell.setAttribute('data-period', p);
        return cell;
      }))))));
}

function atmoList(items, ctx) {
  const w = ctx.config.words;
  return list([...(items ?? [])].reverse(), (q) => [h('span', { class: 'swatch', style: `background:${q.color}`, 'aria-hidden': 'true' }), h('span', { 'data-date': q.date, 'data-index': q.index }, `${q.date} : ${q.label} (${q.index})${q.kind ? ` — ${q.kind === 'FORECAST' ? w.forecast : w.observation}` : ''}`)], w);
}

function urbanList(urban, ctx) {
  const w = ctx.config.words;
  if (!urban) return h('p', { class: 'muted' }, w.noValue);
  return h('dl', { class: 'panel-dl' }, ctx.config.urban.fields.flatMap((f) => [h('dt', {}, `${f.label} (${urban.year})`), h('dd', { 'data-field': f.code, 'data-value': urban[f.code] ?? '' }, urban[f.code] === null ? '—' : ctx.format(urban[f.code]))]));
}

function exportLinks(code, w) {
  return h('ul', { class: 'panel-list' }, EXPORTS.map((id) => h('li', {}, `${id} : `, h('a', { href: `/exports/${id}.csv?territory=${encodeURIComponent(code)}` }, 'CSV'), ' · ', h('a', { href: `/exports/${id}.geojson?territory=${encodeURIComponent(code)}` }, 'GeoJSON'))), h('li', {}, h('a', { href: '/exports' }, w.exports === 'Exports of this territory' ? 'All exports (/exports)' : 'Tous les exports (/exports)')));
}

function pointLists(area, ctx) {
  const w = ctx.config.words;
  return [
    section(w.airStations, list(area?.airStations, (s) => `${s.name} (${s.id})${s.typology ? ` — ${s.typology}` : ''}`, w)),
    section(w.sensorsInside, list(area?.sensors, (s) => `${s.id} (${s.sensorType}) — ${w.qcScore} ${s.quality ? ctx.format(s.quality.score) : '—'}`, w)),
    section(w.groundwaterInside, list(area?.groundwaterPoints, (p) => `${p.name ?? p.id} (${p.id}) — ${w.assessment[p.latestStatus.assessment] ?? p.latestStatus.assessment}`, w)),
  ];
}

/** Fills the side panel with the territory's values; returns the answer (the tests compare it with GraphQL). */
export async function showTerritory(code, ctx) {
  const w = ctx.config.words;
  const body = document.getElementById('panel-body');
  body.setAttribute('aria-busy', 'true');
  fill(body, h('p', {}, w.loading));
  try {
    const data = await graphql(PANEL_QUERY, { code, from: daysBefore(ctx.view.date, 6), to: ctx.view.date });
    const t = data.territory;
    fill(body,
      h('h3', { class: 'panel-name', 'data-code': t.code }, `${t.name} (${w[t.kind] ?? t.kind} ${t.code})`),
      h('dl', { class: 'panel-dl' },
        t.population !== null ? [h('dt', {}, w.population), h('dd', { 'data-field': 'population' }, ctx.format(t.population))] : null,
        t.areaKm2 !== null ? [h('dt', {}, w.area), h('dd', {}, `${ctx.format(t.areaKm2)} km²`)] : null,
        t.parent ? [h('dt', {}, w.parent), h('dd', {}, `${t.parent.name} (${t.parent.code})`)] : null),
      section(`${w.airQuality} — ATMO Grand Est`, atmoList(t.airQuality, ctx)),
      section(w.healthValues, healthTable(t.health, ctx)),
      section(w.urbanValues, urbanList(t.urban, ctx)),
      ...pointLists(data.area, ctx),
      section(w.exports, exportLinks(t.code, w)));
    return data;
  } catch (error) {
    fill(body, h('p', { class: 'error' }, `${w.error} : ${error.message}`));
    return null;
  } finally {
    body.removeAttribute('aria-busy');
  }
}

/** Lists what lies inside a drawn area; returns the answer (its geometry is drawn by the caller). */
export async function showArea(select, ctx) {
  const w = ctx.config.words;
  const body = document.getElementById('area-body');
  if (!select) return fill(body), null;
  body.setAttribute('aria-busy', 'true');
  fill(body, h('p', {}, w.loading));
  try {
    const { area } = await graphql(AREA_QUERY, { select });
    fill(body, h('h3', {}, w.areaResult),
      section(`${w.territoriesInside} (${area.territories.length})`, list(area.territories, (t) => `${t.name} (${w[t.kind] ?? t.kind} ${t.code})`, w)),
      ...pointLists(area, ctx));
    body.querySelectorAll('.panel-section h3').forEach((heading) => heading.replaceWith(h('h4', {}, heading.textContent)));
    return area;
  } catch (error) {
    fill(body, h('p', { class: 'error' }, `${w.error} : ${error.message}`));
    return null;
  } finally {
    body.removeAttribute('aria-busy');
  }
}

/** The popup of a point: its latest values and, for a sensor, its QC score. */
export function pointPopup(layer, p, ctx) {
  const w = ctx.config.words;
  const parse = (v) => (typeof v === 'string' ? JSON.parse(v) : v);
  if (layer === 'stations') {
    const latest = parse(p.latest) ?? {};
    return h('div', { class: 'popup' }, h('strong', {}, `${p.name} (${p.id})`), h('p', {}, w.stations),
      Object.keys(latest).length ? h('ul', {}, Object.entries(latest).map(([pollutant, m]) => h('li', {}, `${pollutant} : ${ctx.format(m.value)} ${m.unit} (${m.time.slice(0, 16).replace('T', ' ')} UTC)`))) : h('p', {}, w.noValue));
  }
  if (layer === 'sensors') {
    const latest = parse(p.latest);
    return h('div', { class: 'popup' }, h('strong', {}, `${p.id} (${p.sensorType})`), h('p', {}, `${w.qcScore} : ${p.qualityScore === null || p.qualityScore === undefined ? '—' : ctx.format(p.qualityScore)}`),
      latest ? h('p', {}, `${w.latest} (${latest.time.slice(0, 16).replace('T', ' ')} UTC) : PM2.5 ${latest.pm25 ?? '—'} µg/m³, PM10 ${latest.pm10 ?? '—'} µg/m³, ${latest.humidity ?? '—'} % HR`) : h('p', {}, w.noValue),
      h('p', {}, `${p.producerName} — ${p.licence}`));
  }
  return h('div', { class: 'popup' }, h('strong', {}, `${p.name ?? p.id} (${p.id})`), h('p', {}, `${w.assessment[p.assessment] ?? p.assessment}${p.lastSampled ? ` (${p.lastSampled})` : ''}`));
}
