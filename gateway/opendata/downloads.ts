import type { Download } from '../catalog/catalogGraph.ts';
import { OGC_COLLECTIONS, OPEN_COLLECTIONS } from './collections/index.ts';

/** The export formats of every collection (gateway/exports/), as the catalogue lists them. */
export const EXPORT_FORMATS: Download['formats'] = [
  { extension: 'csv', label: 'CSV', mediaType: 'text/csv', fileType: 'CSV' },
  { extension: 'geojson', label: 'GeoJSON', mediaType: 'application/geo+json', fileType: 'GEOJSON' },
  // FlatGeobuf has neither an EU file-type code nor an IANA media type yet: named by its title only.
  { extension: 'fgb', label: 'FlatGeobuf' },
];

/** What the catalogue distributes each dataset as: every open collection's exports, and its OGC API collection. */
export function downloads(): Download[] {
  const ogc = new Set(OGC_COLLECTIONS.map((c) => c.id));
  return OPEN_COLLECTIONS.map((c) => ({ collection: c.id, dataset: c.dataset, title: c.title, formats: EXPORT_FORMATS, ogc: ogc.has(c.id) }));
}
