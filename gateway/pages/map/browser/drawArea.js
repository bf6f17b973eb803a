/**
 * Drawing a circle or a polygon on the map, to ask what lies inside (`area`). A small tool of our own rather
 * than terra-draw: its MapLibre adapter imports the bare specifier "terra-draw", which a browser resolves only
 * through an import map, and an inline import map would need a CSP exception; this also lets the keyboard
 * path (a circle at the map's centre, a radius typed in) share the same result.
 */
const EARTH_RADIUS_M = 6_371_008.8;
const rad = (d) => (d * Math.PI) / 180;

/** Great-circle distance in metres. */
export function distanceMeters([lon1, lat1], [lon2, lat2]) {
  const a = Math.sin(rad(lat2 - lat1) / 2) ** 2 + Math.cos(rad(lat1)) * Math.cos(rad(lat2)) * Math.sin(rad(lon2 - lon1) / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.sqrt(a));
}

/** A disc as a 64-sided ring (for the draft only: the hub answers with its own disc). */
export function circleRing([lon, lat], radius) {
  const ring = [];
  for (let i = 0; i <= 64; i++) {
    const angle = (i / 64) * 2 * Math.PI;
    ring.push([lon + ((radius / EARTH_RADIUS_M) * (180 / Math.PI) * Math.sin(angle)) / Math.cos(rad(lat)), lat + (radius / EARTH_RADIUS_M) * (180 / Math.PI) * Math.cos(angle)]);
  }
  return ring;
}

/**
 * The tool: `start('circle' | 'polygon')`, `cancel()`, `finish()`; `active()` tells the page's click handler
 * to leave clicks to it. `onDone(select)` receives an AreaInput; `onChange(mode)` the mode (null when done).
 */
export function drawTool(map, { onDone, onChange }) {
  let mode = null;
  let points = [];
  let cursor = null;
  const draft = () => map.getSource('draft');
  const render = () => {
    const features = points.map((p) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: p }, properties: {} }));
    if (mode === 'circle' && points.length === 1 && cursor) features.push({ type: 'Feature', geometry: { type: 'LineString', coordinates: circleRing(points[0], distanceMeters(points[0], cursor)) }, properties: {} });
    if (mode === 'polygon' && points.length) features.push({ type: 'Feature', geometry: { type: 'LineString', coordinates: cursor ? [...points, cursor] : points }, properties: {} });
    draft()?.setData({ type: 'FeatureCollection', features });
  };
  const stop = () => {
    mode = null;
    points = [];
    cursor = null;
    render();
    map.doubleClickZoom.enable();
    map.getCanvas().style.cursor = '';
    onChange(null);
  };
  const finish = () => {
    if (mode !== 'polygon' || points.length < 3) return;
    const ring = [...points, points[0]];
    stop();
    onDone({ polygon: { type: 'Polygon', coordinates: [ring] } });
  };
  map.on('click', (event) => {
    if (!mode) return;
    const at = [event.lngLat.lng, event.lngLat.lat];
    if (mode === 'circle') {
      if (!points.length) return void ((points = [at]), render());
      const radiusMeters = Math.max(10, Math.min(50_000, distanceMeters(points[0], at)));
      const [lon, lat] = points[0];
      stop();
      return onDone({ point: { lon, lat }, radiusMeters });
    }
    if (points.length >= 3) {
      const first = map.project(points[0]);
      if (Math.hypot(first.x - event.point.x, first.y - event.point.y) < 10) return finish();
    }
    points.push(at);
    render();
  });
  map.on('dblclick', (event) => {
    if (mode !== 'polygon') return;
    event.preventDefault();
    // The double click's two clicks each added the same vertex: keep one.
    points.pop();
    finish();
  });
  map.on('mousemove', (event) => {
    if (!mode) return;
    cursor = [event.lngLat.lng, event.lngLat.lat];
    render();
  });
  document.addEventListener('keydown', (event) => {
    if (mode && event.key === 'Escape') stop();
  });
  return {
    active: () => mode !== null,
    start(next) {
      if (mode) stop();
      mode = next;
      map.doubleClickZoom.disable();
      map.getCanvas().style.cursor = 'crosshair';
      onChange(mode);
    },
    cancel: stop,
    finish,
  };
}
