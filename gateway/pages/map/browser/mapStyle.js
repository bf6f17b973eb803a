import { h } from './dom.js';

/** The base map is the hub's own referential on a plain background: no tiles, no glyphs, nothing from elsewhere. */
export const BASE_STYLE = { version: 8, sources: {}, layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#e9eef2' } }] };
export const BASE_FILL = '#fbfbf8';
/** Sequential palettes (ColorBrewer PuBu and YlGn, 5 classes), readable by colour-blind readers. */
export const HEALTH_PALETTE = ['#f1eef6', '#bdc9e1', '#74a9cf', '#2b8cbe', '#045a8d'];
export const URBAN_PALETTE = ['#ffffcc', '#c2e699', '#78c679', '#31a354', '#006837'];
export const POINT_COLOURS = { stations: '#1f3a93', sensors: '#b35900', groundwater: '#00796b' };
const GROUNDWATER_COLOURS = { WITHIN_LIMITS: '#00796b', EXCEEDS_LIMITS: '#c62828', NO_DATA: '#757575' };

const empty = { type: 'FeatureCollection', features: [] };

/** Diagonal hatching for values withheld by statistical secrecy: never a colour of the scale, never blank. */
function hatchImage() {
  const size = 12;
  const data = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const ink = (x + y) % size < 3;
      data.set(ink ? [60, 60, 60, 255] : [255, 255, 255, 255], (y * size + x) * 4);
    }
  return { width: size, height: size, data };
}

/** Adds every source and layer, empty: the data arrives later, through setData. */
export function addLayers(map) {
  map.addImage('hatch', hatchImage());
  for (const id of ['communes', 'epci', 'iris']) map.addSource(id, { type: 'geojson', data: empty, promoteId: 'code' });
  for (const id of ['stations', 'sensors', 'groundwater', 'area', 'draft']) map.addSource(id, { type: 'geojson', data: empty });
  map.addLayer({ id: 'communes-base', type: 'fill', source: 'communes', paint: { 'fill-color': BASE_FILL } });
  for (const id of ['communes', 'epci']) {
    map.addLayer({ id: `${id}-fill`, type: 'fill', source: id, filter: ['has', 'fill'], paint: { 'fill-color': ['get', 'fill'], 'fill-opacity': 1, 'fill-antialias': false } });
    map.addLayer({ id: `${id}-hatch`, type: 'fill', source: id, filter: ['==', ['get', 'secret'], true], paint: { 'fill-pattern': 'hatch' } });
  }
  map.addLayer({ id: 'iris-line', type: 'line', source: 'iris', minzoom: 11, paint: { 'line-color': '#7a7a7a', 'line-width': 0.6, 'line-dasharray': [2, 2] } });
  map.addLayer({ id: 'communes-line', type: 'line', source: 'communes', paint: { 'line-color': '#4d4d4d', 'line-width': ['interpolate', ['linear'], ['zoom'], 8, 0.5, 12, 1.2] } });
  map.addLayer({ id: 'epci-line', type: 'line', source: 'epci', paint: { 'line-color': '#1a1a1a', 'line-width': 2.2 } });
  for (const id of ['communes', 'epci', 'iris']) map.addLayer({ id: `${id}-selected`, type: 'line', source: id, filter: ['==', ['get', 'code'], ''], paint: { 'line-color': '#000000', 'line-width': 4 } });
  map.addLayer({ id: 'area-fill', type: 'fill', source: 'area', paint: { 'fill-color': '#0b4f9c', 'fill-opacity': 0.12 } });
  map.addLayer({ id: 'area-line', type: 'line', source: 'area', paint: { 'line-color': '#0b4f9c', 'line-width': 2.5 } });
  map.addLayer({ id: 'draft-line', type: 'line', source: 'draft', paint: { 'line-color': '#0b4f9c', 'line-width': 2, 'line-dasharray': [2, 1] } });
  map.addLayer({ id: 'draft-points', type: 'circle', source: 'draft', filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-radius': 5, 'circle-color': '#0b4f9c', 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } });
  const circle = (colour) => ({ 'circle-radius': ['interpolate', ['linear'], ['zoom'], 8, 4, 13, 8], 'circle-color': colour, 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 1.5 });
  map.addLayer({ id: 'groundwater', type: 'circle', source: 'groundwater', layout: { visibility: 'none' }, paint: circle(['match', ['get', 'assessment'], 'EXCEEDS_LIMITS', GROUNDWATER_COLOURS.EXCEEDS_LIMITS, 'NO_DATA', GROUNDWATER_COLOURS.NO_DATA, GROUNDWATER_COLOURS.WITHIN_LIMITS]) });
  map.addLayer({ id: 'sensors', type: 'circle', source: 'sensors', layout: { visibility: 'none' }, paint: { ...circle(POINT_COLOURS.sensors), 'circle-opacity': ['case', ['==', ['get', 'qualityScore'], null], 0.5, ['interpolate', ['linear'], ['get', 'qualityScore'], 0, 0.35, 1, 1]] } });
  map.addLayer({ id: 'stations', type: 'circle', source: 'stations', layout: { visibility: 'none' }, paint: { ...circle(POINT_COLOURS.stations), 'circle-radius': ['interpolate', ['linear'], ['zoom'], 8, 6, 13, 10], 'circle-stroke-width': 2.5 } });
}

/** Quantile class breaks of the disclosed values (5 classes, fewer when values repeat). */
export function breaksOf(numbers, classes = 5) {
  const sorted = [...numbers].sort((a, b) => a - b);
  if (!sorted.length) return [];
  const cuts = [];
  for (let i = 1; i < classes; i++) cuts.push(sorted[Math.min(sorted.length - 1, Math.floor((i * sorted.length) / classes))]);
  return [...new Set(cuts)];
}
export const classOf = (value, breaks) => breaks.filter((b) => value >= b).length;

const swatch = (style, extra = '') => h('span', { class: `swatch ${extra}`, style, 'aria-hidden': 'true' });
const item = (swatchElement, label) => h('li', {}, swatchElement, h('span', {}, label));

/** The legend of the area layer shown, and of the point layers on. */
export function legend(ctx) {
  const { config, view, scale, format } = ctx;
  const w = config.words;
  const parts = [];
  if (view.fill === 'atmo') {
    parts.push(h('h3', {}, `${w.atmo} — ${view.date}`), h('ul', { class: 'legend-list' }, config.atmoClasses.map((c) => item(swatch(`background:${c.color}`), c.label)), item(swatch(`background:${BASE_FILL}`, 'outline'), w.noData)));
  } else if ((view.fill === 'health' || view.fill === 'urban') && scale) {
    const palette = view.fill === 'health' ? HEALTH_PALETTE : URBAN_PALETTE;
    const ranges = [];
    const bounds = [scale.min, ...scale.breaks, scale.max];
    for (let i = 0; i < bounds.length - 1; i++) ranges.push(item(swatch(`background:${palette[Math.round((i * (palette.length - 1)) / Math.max(1, bounds.length - 2))]}`), `${format(bounds[i])} – ${format(bounds[i + 1])}`));
    parts.push(h('h3', {}, scale.title), h('ul', { class: 'legend-list' }, ranges, view.fill === 'health' ? item(swatch('', 'hatch'), w.secret) : null, item(swatch(`background:${BASE_FILL}`, 'outline'), w.noData)));
  }
  const points = [...view.points];
  if (points.length) {
    parts.push(h('ul', { class: 'legend-list' }, points.map((p) => (p === 'groundwater'
      ? [item(swatch(`background:${GROUNDWATER_COLOURS.WITHIN_LIMITS}`, 'round'), `${w.groundwater} : ${w.assessment.WITHIN_LIMITS}`), item(swatch(`background:${GROUNDWATER_COLOURS.EXCEEDS_LIMITS}`, 'round'), w.assessment.EXCEEDS_LIMITS), item(swatch(`background:${GROUNDWATER_COLOURS.NO_DATA}`, 'round'), w.assessment.NO_DATA)]
      : item(swatch(`background:${POINT_COLOURS[p]}`, 'round'), p === 'sensors' ? `${w.sensors} (${w.qcOpacity})` : w[p])))));
  }
  return parts;
}
