/**
 * A finite number in plain decimal notation: ECMAScript's shortest round-tripping digits, with the exponent
 * of `1e-7` or `1e21` spelt out (`0.0000001`, `1000000000000000000000`): spreadsheets and CSV readers
 * read exponents as text or not at all. A non-finite number (which JSON and GraphQL cannot carry) is empty.
 */
export function plainNumber(value: number): string {
  if (!Number.isFinite(value)) return '';
  const text = String(value);
  const e = text.indexOf('e');
  if (e < 0) return text;
  const negative = text.startsWith('-');
  const mantissa = text.slice(negative ? 1 : 0, e);
  const exponent = Number(text.slice(e + 1));
  const [whole = '', fraction = ''] = mantissa.split('.');
  const digits = whole + fraction;
  const point = whole.length + exponent;
  const plain = point <= 0 ? `0.${'0'.repeat(-point)}${digits}` : point >= digits.length ? digits + '0'.repeat(point - digits.length) : `${digits.slice(0, point)}.${digits.slice(point)}`;
  return (negative ? '-' : '') + plain;
}

type Position = number[];
const position = (p: Position) => `${plainNumber(p[0]!)} ${plainNumber(p[1]!)}`;
const ring = (r: Position[]) => `(${r.map(position).join(', ')})`;
const polygon = (rings: Position[][]) => `(${rings.map(ring).join(', ')})`;

/** OGC Simple Features WKT of a GeoJSON Point, Polygon or MultiPolygon (the open collections' geometries); null for none. */
export function wktOf(geometry: unknown): string | null {
  const g = geometry as { type?: string; coordinates?: unknown } | null | undefined;
  if (!g?.type || !g.coordinates) return null;
  if (Array.isArray(g.coordinates) && g.coordinates.length === 0) return `${g.type.toUpperCase()} EMPTY`;
  switch (g.type) {
    case 'Point':
      return `POINT (${position(g.coordinates as Position)})`;
    case 'Polygon':
      return `POLYGON ${polygon(g.coordinates as Position[][])}`;
    case 'MultiPolygon':
      return `MULTIPOLYGON (${(g.coordinates as Position[][][]).map(polygon).join(', ')})`;
    default:
      throw new Error(`no WKT for a ${g.type}`);
  }
}
