import * as maplibregl from '/pages/vendor/maplibre-gl.mjs';
import { fill, h } from './dom.js';
import { drawTool } from './drawArea.js';
import { bucketOf, territories, values } from './mapData.js';
import { daysBefore, pointPopup, showArea, showTerritory } from './mapPanel.js';
import { addLayers, BASE_STYLE, breaksOf, classOf, HEALTH_PALETTE, legend, URBAN_PALETTE } from './mapStyle.js';
import { readView, viewSearch } from './mapView.js';

const app = document.getElementById('map-app');
const config = JSON.parse(app.dataset.config);
const w = config.words;
const view = readView(location.search, config);
const numbers = new Intl.NumberFormat(config.lang, { maximumFractionDigits: 2 });
const ctx = { config, view, format: (n) => numbers.format(n), scale: null };
const $ = (id) => document.getElementById(id);
const POINT_LAYERS = ['stations', 'sensors', 'groundwater'];
const status = (text) => ($('map-status').textContent = text);

const camera = view.camera ?? (config.bbox ? { bounds: config.bbox, fitBoundsOptions: { padding: 20 } } : { center: [7.6, 48.65], zoom: 9 });
const map = new maplibregl.Map({ container: 'map', style: BASE_STYLE, ...camera, minZoom: 7, maxZoom: 16, attributionControl: false, dragRotate: false, pitchWithRotate: false });
map.touchZoomRotate.disableRotation();
map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');

/** The attribution of every visible layer: its producer and licence, updated as layers are switched. */
const attribution = h('div', { class: 'maplibregl-ctrl map-attribution' });
map.addControl({ onAdd: () => attribution, onRemove: () => attribution.remove() }, 'bottom-right');
function updateAttribution() {
  const shown = ['base', ...(view.fill === 'none' ? [] : [view.fill]), ...view.points];
  const seen = new Map();
  for (const layer of shown) {
    const a = config.layers[layer];
    if (!a) continue;
    for (const licence of a.licences) seen.set(`${a.producer}|${licence.name}`, { producer: a.producer, licence });
  }
  fill(attribution, h('span', {}, `${w.attribution} : `), [...seen.values()].map(({ producer, licence }, i) => [i ? ' · ' : '', `${producer} (`, licence.uri ? h('a', { href: licence.uri, rel: 'license' }, licence.name) : licence.name, ')']));
}

// --- The view in the URL (and in the language switch, so a shared view survives a change of language).
let urlTimer;
function writeUrl() {
  clearTimeout(urlTimer);
  urlTimer = setTimeout(() => {
    history.replaceState(null, '', viewSearch(view, config.lang, map));
    const other = document.querySelector('.site-header .lang');
    if (other) other.href = `/map${viewSearch(view, config.lang === 'en' ? 'fr' : 'en', map).replace('?', config.lang === 'en' ? '?lang=fr&' : '?')}`;
  }, 150);
}

// --- Outlines: the referential per zoom bucket, asked once per bucket and kept.
const geometry = { communes: null, epci: null, iris: null };
let bucket = null;
async function loadGeometry() {
  const next = bucketOf(map.getZoom());
  if (next === bucket) return;
  bucket = next;
  const kinds = [['communes', 'COMMUNE'], ['epci', 'EPCI'], ...(next >= 1 ? [['iris', 'IRIS']] : [])];
  const loaded = await Promise.all(kinds.map(([, kind]) => territories(kind, next)));
  if (bucket !== next) return;
  kinds.forEach(([id], i) => (geometry[id] = loaded[i]));
  if (!labelsAdded) addLabels();
  paintAreas();
}

// --- Names as HTML (no glyph server offline): communes from zoom 10, EPCI below.
let labelsAdded = false;
function addLabels() {
  labelsAdded = true;
  for (const [id, kind] of [['communes', 'commune'], ['epci', 'epci']])
    for (const f of geometry[id].features) if (f.properties.label) new maplibregl.Marker({ element: h('div', { class: `map-label label-${kind}`, 'aria-hidden': 'true' }, f.properties.name), anchor: 'center' }).setLngLat(f.properties.label).addTo(map);
  const select = $('territory-select');
  const options = (id, label) => h('optgroup', { label }, [...geometry[id].features].sort((a, b) => a.properties.name.localeCompare(b.properties.name, config.lang)).map((f) => h('option', { value: f.properties.code }, `${f.properties.name} (${f.properties.code})`)));
  select.append(options('epci', w.EPCI), options('communes', w.COMMUNE));
  if (view.selected) select.value = view.selected;
  updateLabelZoom();
}
const updateLabelZoom = () => (app.dataset.labels = map.getZoom() >= 10 ? 'communes' : 'epci');

// --- The area layer: one of indice ATMO, health, urban, coloured on the outlines.
let fillValues = { communes: {}, epci: {} };
let fillToken = 0;
async function loadFill() {
  const token = ++fillToken;
  fillValues = { communes: {}, epci: {} };
  ctx.scale = null;
  if (view.fill === 'atmo' && view.date) {
    const answer = await values({ layer: 'atmo', date: view.date });
    if (token !== fillToken) return false;
    for (const [code, q] of Object.entries(answer.values)) fillValues.communes[code] = { fill: q.color };
  } else if (view.fill === 'health' && view.healthIndicator && view.healthPeriod) {
    const answer = await values({ layer: 'health', indicator: view.healthIndicator, period: view.healthPeriod, level: view.healthLevel });
    if (token !== fillToken) return false;
    colour(answer.values, view.healthLevel === 'EPCI' ? 'epci' : 'communes', HEALTH_PALETTE, (v) => v.value, (v) => v.suppressed);
    const indicator = config.health.indicators.find((i) => i.code === view.healthIndicator);
    ctx.scale.title = `${indicator?.label ?? view.healthIndicator} (${indicator?.unit ?? ''}), ${view.healthPeriod}`;
  } else if (view.fill === 'urban' && view.urbanIndicator) {
    const answer = await values({ layer: 'urban', indicator: view.urbanIndicator });
    if (token !== fillToken) return false;
    colour(answer.values, 'communes', URBAN_PALETTE, (v) => v.value, () => false);
    ctx.scale.title = config.urban.fields.find((f) => f.code === view.urbanIndicator)?.label ?? view.urbanIndicator;
  }
  return true;
}
function colour(answer, target, palette, valueOf, secretOf) {
  const disclosed = Object.values(answer).filter((v) => !secretOf(v) && valueOf(v) !== null).map(valueOf);
  const breaks = breaksOf(disclosed);
  ctx.scale = { breaks, min: Math.min(...disclosed), max: Math.max(...disclosed) };
  const last = breaks.length;
  for (const [code, v] of Object.entries(answer)) {
    if (secretOf(v)) fillValues[target][code] = { secret: true };
    else if (valueOf(v) !== null) fillValues[target][code] = { fill: palette[Math.round((classOf(valueOf(v), breaks) * (palette.length - 1)) / Math.max(1, last))] };
  }
}
/** Draws the outlines with the area layer's values; resolves once the map's worker holds them. */
function paintAreas() {
  const done = [];
  for (const id of ['communes', 'epci']) {
    if (!geometry[id]) continue;
    const painted = fillValues[id];
    done.push(map.getSource(id).setData({ ...geometry[id], features: geometry[id].features.map((f) => ({ ...f, properties: { ...f.properties, ...(painted[f.properties.code] ?? {}) } })) }));
  }
  if (geometry.iris) done.push(map.getSource('iris').setData(geometry.iris));
  fill($('legend-body'), legend(ctx));
  return Promise.all(done);
}

// --- Point layers: stations, citizen sensors (with their QC score), groundwater points.
async function loadPoints() {
  await Promise.all(POINT_LAYERS.map(async (layer) => {
    const on = view.points.has(layer);
    map.setLayoutProperty(layer, 'visibility', on ? 'visible' : 'none');
    if (!on) return;
    const answer = await values(layer === 'groundwater' ? { layer } : { layer, date: view.date });
    await map.getSource(layer).setData(answer);
  }));
}

/** Each outline's box [west, south, east, north], computed once per loaded geometry. */
const boxes = new WeakMap();
function boxOf(feature) {
  let box = boxes.get(feature);
  if (!box) {
    box = [Infinity, Infinity, -Infinity, -Infinity];
    const visit = (c) => (typeof c[0] === 'number' ? ((box[0] = Math.min(box[0], c[0])), (box[1] = Math.min(box[1], c[1])), (box[2] = Math.max(box[2], c[0])), (box[3] = Math.max(box[3], c[1]))) : c.forEach(visit));
    visit(feature.geometry.coordinates);
    boxes.set(feature, box);
  }
  return box;
}

/**
 * Whether the outlines' loaded tiles carry the area layer's current colours: none stale, and, when an outline
 * to colour lies in the view, at least one coloured outline loaded — tiles still empty from before the data
 * arrived hold nothing stale but draw nothing either. (A view whose every such box is crossed by the view but
 * whose outlines all miss it would wait forever: only `data-ready` waits, nothing a visitor sees.)
 */
function drawn() {
  const bounds = map.getBounds();
  const inView = ([west, south, east, north]) => west <= bounds.getEast() && east >= bounds.getWest() && south <= bounds.getNorth() && north >= bounds.getSouth();
  return ['communes', 'epci'].every((id) => {
    if (!geometry[id]) return true;
    const loaded = map.querySourceFeatures(id);
    if (!loaded.every((f) => (fillValues[id][f.properties.code]?.fill ?? null) === (f.properties.fill ?? null))) return false;
    const expected = geometry[id].features.some((f) => fillValues[id][f.properties.code]?.fill && inView(boxOf(f)));
    return !expected || loaded.some((f) => f.properties.fill);
  });
}

/** Loads and draws everything the view asks for; marks the page ready once the map is idle with it. */
async function refresh() {
  status(w.loading);
  updateAttribution();
  writeUrl();
  try {
    const [current] = await Promise.all([loadFill(), loadPoints(), loadGeometry()]);
    if (!current) return;
    await paintAreas();
    status('');
    const key = `${view.fill}:${view.date}`;
    // setData resolves once the worker holds the data; its tiles are cut after that, so an idle map may still
    // show the previous colours: ready only at an idle whose drawn tiles carry this view's values.
    const markReady = () => {
      if (!drawn()) return void map.once('idle', markReady);
      app.dataset.ready = key;
      if (!app.dataset.firstIdleMs) app.dataset.firstIdleMs = String(Math.round(performance.now()));
    };
    map.once('idle', markReady);
    map.triggerRepaint();
  } catch (error) {
    status(`${w.error} : ${error.message}`);
  }
}

// --- Selection: a click on a territory, or the list; the side panel shows every producer's values.
function highlight() {
  for (const id of ['communes', 'epci', 'iris']) map.setFilter(`${id}-selected`, ['==', ['get', 'code'], view.selected ?? '']);
}
async function select(code, { focus = false } = {}) {
  view.selected = code || null;
  highlight();
  writeUrl();
  if (!view.selected) return;
  $('territory-select').value = view.selected;
  const answer = await showTerritory(view.selected, ctx);
  app.dataset.panel = answer ? view.selected : '';
  if (focus) $('panel-title').focus();
}

// --- The drawn area and the geographic join.
async function runArea(select) {
  view.area = select;
  writeUrl();
  const area = await showArea(select, ctx);
  map.getSource('area').setData(area ? { type: 'Feature', geometry: area.geometry, properties: {} } : { type: 'FeatureCollection', features: [] });
  app.dataset.area = area ? String(area.territories.length) : '';
}
const draw = drawTool(map, {
  onDone: (select) => runArea(select),
  onChange: (mode) => {
    $('draw-circle').setAttribute('aria-pressed', String(mode === 'circle'));
    $('draw-polygon').setAttribute('aria-pressed', String(mode === 'polygon'));
    $('draw-finish').hidden = mode !== 'polygon';
    $('draw-help').textContent = mode === 'circle' ? w.drawHelpCircle : mode === 'polygon' ? w.drawHelpPolygon : '';
  },
});

map.on('click', (event) => {
  if (draw.active()) return;
  const point = map.queryRenderedFeatures(event.point, { layers: POINT_LAYERS.filter((l) => view.points.has(l)) })[0];
  if (point) {
    new maplibregl.Popup({ maxWidth: '280px' }).setLngLat(point.geometry.coordinates).setDOMContent(pointPopup(point.layer.id, point.properties, ctx)).addTo(map);
    return;
  }
  const layer = view.fill === 'health' && view.healthLevel === 'EPCI' ? 'communes-base' : map.getZoom() >= 13 ? 'iris-line' : 'communes-base';
  if (view.fill === 'health' && view.healthLevel === 'EPCI') {
    const epci = map.queryRenderedFeatures(event.point, { layers: ['epci-fill', 'epci-hatch'] })[0];
    if (epci) return void select(epci.properties.code);
  }
  if (layer === 'iris-line' && geometry.iris) {
    const iris = geometry.iris.features.find((f) => contains(f.geometry, [event.lngLat.lng, event.lngLat.lat]));
    if (iris) return void select(iris.properties.code);
  }
  const commune = map.queryRenderedFeatures(event.point, { layers: ['communes-base'] })[0];
  if (commune) select(commune.properties.code);
});
map.on('mousemove', (event) => {
  if (draw.active()) return;
  map.getCanvas().style.cursor = map.queryRenderedFeatures(event.point, { layers: ['communes-base'] }).length ? 'pointer' : '';
});

/** Whether a (Multi)Polygon holds a point (ray casting; outlines are simplified, the answer is for a click). */
function contains(geometry, [x, y]) {
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  return polygons.some((rings) => rings.reduce((inside, ring, r) => {
    let hit = false;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) if (ring[i][1] > y !== ring[j][1] > y && x < ((ring[j][0] - ring[i][0]) * (y - ring[i][1])) / (ring[j][1] - ring[i][1]) + ring[i][0]) hit = !hit;
    return r === 0 ? hit : inside && !hit;
  }, false));
}

// --- The controls.
function showOptions() {
  $('health-options').hidden = view.fill !== 'health';
  $('urban-options').hidden = view.fill !== 'urban';
}
function syncControls() {
  $(`fill-${view.fill}`).checked = true;
  for (const layer of POINT_LAYERS) $(`points-${layer}`).checked = view.points.has(layer);
  if (view.date) $('map-date').value = view.date;
  if (view.healthIndicator) $('health-indicator').value = view.healthIndicator;
  if (view.healthPeriod) $('health-period').value = view.healthPeriod;
  $('health-level').value = view.healthLevel;
  if (view.urbanIndicator) $('urban-indicator').value = view.urbanIndicator;
  showOptions();
}
for (const input of document.querySelectorAll('input[name="fill"]'))
  input.addEventListener('change', () => {
    view.fill = input.value;
    showOptions();
    refresh();
  });
for (const input of document.querySelectorAll('input[name="points"]'))
  input.addEventListener('change', () => {
    if (input.checked) view.points.add(input.value);
    else view.points.delete(input.value);
    refresh();
  });
for (const [id, key] of [['health-indicator', 'healthIndicator'], ['health-period', 'healthPeriod'], ['health-level', 'healthLevel'], ['urban-indicator', 'urbanIndicator']])
  $(id).addEventListener('change', () => {
    view[key] = $(id).value;
    refresh();
  });

let dateTimer;
function setDate(date) {
  const { min, max } = config.dates;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date ?? '')) return;
  view.date = min && date < min ? min : max && date > max ? max : date;
  $('map-date').value = view.date;
  clearTimeout(dateTimer);
  // Debounced: holding an arrow key or typing a date asks the hub once, for the day it stops on.
  dateTimer = setTimeout(() => {
    refresh();
    if (view.selected) select(view.selected);
  }, 250);
}
$('map-date').addEventListener('change', () => setDate($('map-date').value));
$('date-prev').addEventListener('click', () => setDate(daysBefore(view.date, 1)));
$('date-next').addEventListener('click', () => setDate(daysBefore(view.date, -1)));
$('territory-select').addEventListener('change', () => {
  const code = $('territory-select').value;
  const feature = [...(geometry.communes?.features ?? []), ...(geometry.epci?.features ?? [])].find((f) => f.properties.code === code);
  if (feature) {
    const coords = JSON.stringify(feature.geometry.coordinates).match(/-?\d+(\.\d+)?,-?\d+(\.\d+)?/g).map((pair) => pair.split(',').map(Number));
    map.fitBounds([[Math.min(...coords.map((c) => c[0])), Math.min(...coords.map((c) => c[1]))], [Math.max(...coords.map((c) => c[0])), Math.max(...coords.map((c) => c[1]))]], { padding: 40, maxZoom: 13 });
  }
  select(code, { focus: Boolean(code) });
});
$('draw-circle').addEventListener('click', () => draw.start('circle'));
$('draw-polygon').addEventListener('click', () => draw.start('polygon'));
$('draw-finish').addEventListener('click', () => draw.finish());
$('draw-clear').addEventListener('click', () => {
  draw.cancel();
  runArea(null);
});
$('circle-here').addEventListener('click', () => {
  const c = map.getCenter();
  const radius = Math.max(50, Math.min(50_000, Number($('circle-radius').value) || 1000));
  runArea({ point: { lon: c.lng, lat: c.lat }, radiusMeters: radius });
});

syncControls();
map.on('load', () => {
  addLayers(map);
  map.getCanvas().setAttribute('aria-label', w.mapLabel);
  refresh();
  if (view.selected) select(view.selected);
  if (view.area) runArea(view.area);
});
let moveTimer;
map.on('moveend', () => {
  updateLabelZoom();
  writeUrl();
  clearTimeout(moveTimer);
  // Debounced: a pan or a zoom asks for another bucket's outlines only once the map rests.
  moveTimer = setTimeout(() => loadGeometry().catch((error) => status(`${w.error} : ${error.message}`)), 300);
});
