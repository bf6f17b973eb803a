/**
 * The view lives in the URL, so a view can be shared or bookmarked: which layers (`fill`, `points`), the date,
 * the health and urban choices, the position (`at=zoom/lat/lon`, as OpenStreetMap writes it), the selected
 * territory (`sel`) and the drawn area (`area=c:lon,lat,radius` or `area=p:lon,lat,lon,lat,…`).
 */
const FILLS = ['atmo', 'health', 'urban', 'none'];
const POINTS = ['stations', 'sensors', 'groundwater'];
const round = (n, digits) => Number(n.toFixed(digits));

export function readView(search, config) {
  const q = new URLSearchParams(search);
  const view = {
    fill: FILLS.includes(q.get('fill')) ? q.get('fill') : 'atmo',
    points: new Set((q.get('points') ?? 'stations').split(',').filter((p) => POINTS.includes(p))),
    date: /^\d{4}-\d{2}-\d{2}$/.test(q.get('date') ?? '') ? q.get('date') : config.dates.max,
    healthIndicator: q.get('hi') ?? config.health.indicators[0]?.code ?? null,
    healthPeriod: q.get('hp') ?? config.health.periods[0] ?? null,
    healthLevel: q.get('hl') === 'EPCI' ? 'EPCI' : 'COMMUNE',
    urbanIndicator: q.get('ui') ?? config.urban.fields[0]?.code ?? null,
    selected: /^[0-9AB]{5}$|^\d{9}$/.test(q.get('sel') ?? '') ? q.get('sel') : null,
    camera: null,
    area: null,
  };
  if (q.get('points') === '') view.points = new Set();
  const at = (q.get('at') ?? '').split('/').map(Number);
  // Only a position MapLibre can take: a latitude beyond ±90° makes its constructor throw (a dead page).
  if (at.length === 3 && at.every(Number.isFinite) && at[0] >= 0 && at[0] <= 24 && Math.abs(at[1]) <= 85 && Math.abs(at[2]) <= 180) view.camera = { zoom: at[0], center: [at[2], at[1]] };
  const area = q.get('area') ?? '';
  const numbers = area.slice(2).split(',').map(Number);
  if (area.startsWith('c:') && numbers.length === 3 && numbers.every(Number.isFinite)) view.area = { point: { lon: numbers[0], lat: numbers[1] }, radiusMeters: numbers[2] };
  if (area.startsWith('p:') && numbers.length >= 6 && numbers.length % 2 === 0 && numbers.every(Number.isFinite)) {
    const ring = [];
    for (let i = 0; i < numbers.length; i += 2) ring.push([numbers[i], numbers[i + 1]]);
    view.area = { polygon: { type: 'Polygon', coordinates: [[...ring, ring[0]]] } };
  }
  return view;
}

export function viewSearch(view, lang, map) {
  const q = new URLSearchParams();
  if (lang === 'en') q.set('lang', 'en');
  q.set('fill', view.fill);
  q.set('points', [...view.points].join(','));
  if (view.date) q.set('date', view.date);
  if (view.fill === 'health') {
    q.set('hi', view.healthIndicator);
    q.set('hp', view.healthPeriod);
    q.set('hl', view.healthLevel);
  }
  if (view.fill === 'urban') q.set('ui', view.urbanIndicator);
  if (map) {
    const c = map.getCenter();
    q.set('at', `${round(map.getZoom(), 2)}/${round(c.lat, 5)}/${round(c.lng, 5)}`);
  }
  if (view.selected) q.set('sel', view.selected);
  if (view.area?.point) q.set('area', `c:${round(view.area.point.lon, 5)},${round(view.area.point.lat, 5)},${Math.round(view.area.radiusMeters)}`);
  if (view.area?.polygon) q.set('area', `p:${view.area.polygon.coordinates[0].slice(0, -1).flat().map((n) => round(n, 5)).join(',')}`);
  return `?${q.toString()}`;
}
