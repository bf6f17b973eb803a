import { html, raw, type Html } from '../../../lib/http/html.ts';
import type { MapConfig } from './mapConfig.ts';

/** The page's <head> additions: MapLibre's stylesheet and module (preloaded), the page's own. */
export const MAP_HEAD = raw(
  // An empty icon: without one the browser asks for /favicon.ico, which the hub does not serve (a console error).
  '<link rel="icon" href="data:,">\n<link rel="stylesheet" href="/pages/vendor/maplibre-gl.css">\n<link rel="stylesheet" href="/pages/assets/map/map.css">\n' +
    '<link rel="modulepreload" href="/pages/vendor/maplibre-gl.mjs">\n<script type="module" src="/pages/assets/map/map.js"></script>',
);

const option = (value: string, label: string) => html`<option value="${value}">${label}</option>`;

/**
 * The map explorer's markup: the controls (each a labelled form control, usable with the keyboard), the map,
 * the legend and the side panel. The script (browser/map.js) reads the configuration from `data-config` (no
 * inline script: the CSP is `script-src 'self'`) and the view from the URL.
 */
export function mapBody(config: MapConfig): Html {
  const w = config.words;
  return html`<div class="map-app" id="map-app" data-config="${JSON.stringify(config)}">
<section class="map-controls" aria-labelledby="map-title">
<h1 id="map-title">${w.title}</h1>
<p class="map-intro">${w.intro}</p>
<fieldset><legend>${w.areaLayers}</legend>
${(['atmo', 'health', 'urban', 'none'] as const).map(
  (id) => html`<div><input type="radio" name="fill" id="fill-${id}" value="${id}"><label for="fill-${id}">${w[id]}</label></div>`,
)}
<div class="sub" id="health-options">
<label for="health-indicator">${w.indicator}</label><select id="health-indicator">${config.health.indicators.map((i) => option(i.code, `${i.label} (${i.unit})`))}</select>
<label for="health-period">${w.period}</label><select id="health-period">${config.health.periods.map((p) => option(p, p))}</select>
<label for="health-level">${w.level}</label><select id="health-level">${option('COMMUNE', w.COMMUNE)}${option('EPCI', w.EPCI)}</select>
</div>
<div class="sub" id="urban-options">
<label for="urban-indicator">${w.indicator}</label><select id="urban-indicator">${config.urban.fields.map((f) => option(f.code, f.label))}</select>
</div>
</fieldset>
<fieldset><legend>${w.pointLayers}</legend>
${(['stations', 'sensors', 'groundwater'] as const).map(
  (id) => html`<div><input type="checkbox" name="points" id="points-${id}" value="${id}"><label for="points-${id}"><span class="dot dot-${id}" aria-hidden="true"></span>${w[id]}</label></div>`,
)}
</fieldset>
<div class="date-control">
<label for="map-date">${w.date}</label>
<div class="date-row"><button type="button" id="date-prev">‹<span class="sr">${w.previousDay}</span></button><input type="date" id="map-date" min="${config.dates.min ?? ''}" max="${config.dates.max ?? ''}" value="${config.dates.max ?? ''}"><button type="button" id="date-next">›<span class="sr">${w.nextDay}</span></button></div>
</div>
<label for="territory-select">${w.territory}</label>
<select id="territory-select"><option value="">${w.chooseTerritory}</option></select>
<fieldset><legend>${w.draw}</legend>
<div class="draw-row"><button type="button" id="draw-circle" aria-pressed="false">${w.drawCircle}</button><button type="button" id="draw-polygon" aria-pressed="false">${w.drawPolygon}</button></div>
<div class="draw-row"><label for="circle-radius">${w.radius}</label><input type="number" id="circle-radius" min="50" max="50000" step="50" value="1000"><button type="button" id="circle-here">${w.circleHere}</button></div>
<div class="draw-row"><button type="button" id="draw-finish" hidden>${w.finishPolygon}</button><button type="button" id="draw-clear">${w.clearArea}</button></div>
<p id="draw-help" class="help" aria-live="polite"></p>
</fieldset>
<section id="legend" class="legend" aria-labelledby="legend-title"><h2 id="legend-title">${w.legend}</h2><div id="legend-body"></div></section>
</section>
<div class="map-wrap"><div id="map" role="region" aria-label="${w.mapLabel}"></div><p id="map-status" class="map-status" role="status"></p></div>
<aside id="panel" class="map-panel" aria-labelledby="panel-title"><h2 id="panel-title" tabindex="-1">${w.panel}</h2><div id="panel-body"><p>${w.panelEmpty}</p></div><div id="area-body"></div></aside>
</div>`;
}
