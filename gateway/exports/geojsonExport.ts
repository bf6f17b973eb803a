import type { OpenFeature } from '../opendata/openCollection.ts';
import type { ExportFormat, ExportSettings } from './exportFormat.ts';

/**
 * GeoJSON (RFC 7946): one FeatureCollection written feature by feature, one feature per line. Each feature's
 * `properties` are exactly the collection's (the open contract's values, a licence code included where the
 * collection has one). Foreign members (RFC 7946 §6.1) say what the file is and on which terms: `name` (the
 * collection id, as GDAL names a layer), `title`, `licence` (its licence URI; a list when features carry
 * licences of their own) and `attribution` (the producer). In a projected CRS the file is no longer RFC 7946
 * (WGS84 only) and says so the way GDAL and QGIS read: the 2008 `crs` member naming the EPSG code.
 */
export const geojsonExport: ExportFormat = {
  extension: 'geojson',
  mediaType: 'application/geo+json',
  title: 'GeoJSON (RFC 7946)',
  writer(settings: ExportSettings) {
    const { collection, crs } = settings;
    let written = 0;
    const feature = (f: OpenFeature) =>
      JSON.stringify({ type: 'Feature', id: f.id, geometry: f.geometry ?? null, properties: Object.fromEntries(collection.properties.map((p) => [p.name, f.properties[p.name] ?? null])) });
    return {
      head: () => {
        const { licences } = settings;
        const members = {
          type: 'FeatureCollection',
          name: collection.id,
          title: collection.title.en,
          licence: licences.length === 1 ? licences[0] : licences,
          attribution: settings.licence.attribution,
          ...(crs === 'EPSG:4326' ? {} : { crs: { type: 'name', properties: { name: `urn:ogc:def:crs:EPSG::${crs.slice('EPSG:'.length)}` } } }),
        };
        return `${JSON.stringify(members).slice(0, -1)},"features":[`;
      },
      features: (batch) => batch.map((f) => `${written++ ? ',' : ''}\n${feature(f)}`).join(''),
      tail: () => '\n]}\n',
    };
  },
};
