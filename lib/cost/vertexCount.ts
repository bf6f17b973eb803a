const isPosition = (value: unknown): boolean => Array.isArray(value) && typeof value[0] === 'number';

/** A MultiPolygon is four arrays deep inside a feature collection: nothing GeoJSON nests deeper. */
const MAX_DEPTH = 12;

/**
 * The positions of a GeoJSON value (geometry, feature or collection): what a PostGIS predicate walks
 * through. Closing positions of rings count too, and anything that is not GeoJSON counts 0.
 */
export function vertexCount(value: unknown, depth = 0): number {
  if (depth > MAX_DEPTH) return 0;
  if (isPosition(value)) return 1;
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + vertexCount(item, depth + 1), 0);
  if (value === null || typeof value !== 'object') return 0;
  const object = value as Record<string, unknown>;
  return ['coordinates', 'geometries', 'geometry', 'features'].reduce((sum, key) => sum + vertexCount(object[key], depth + 1), 0);
}
