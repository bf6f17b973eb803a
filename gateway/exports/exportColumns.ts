import type { OpenCollection, OpenFeature, PropertySpec, PropertyValue } from '../opendata/openCollection.ts';
import type { ExportLicence } from './exportLicence.ts';

/** One column of a tabular export (CSV, FlatGeobuf's attributes). */
export interface ExportColumn {
  name: string;
  type: PropertySpec['type'];
  description: string;
  value(feature: OpenFeature): PropertyValue;
}

/** Names the exports give columns of their own: a property may not take one (a duplicate column is unreadable). */
export const RESERVED_COLUMNS = ['id', 'licence', 'attribution', 'longitude', 'latitude', 'x', 'y', 'wkt'];

/**
 * The attribute columns of a tabular export, the same in CSV and FlatGeobuf: `id` (the feature's id, which
 * a property named `id` always equals), the collection's properties in order, then `licence` (a URI: the
 * feature's own when the collection gives one, which then replaces its licence code) and `attribution`
 * (the producer), so a row copied alone still says under which terms and from whom it comes.
 */
export function exportColumns(collection: OpenCollection, licence: ExportLicence): ExportColumn[] {
  const own = collection.licenceProperty;
  const clash = collection.properties.find((p) => RESERVED_COLUMNS.includes(p.name) && p.name !== 'id' && p.name !== own);
  if (clash) throw new Error(`the property ${clash.name} of ${collection.id} takes the name of an export column`);
  const properties = collection.properties
    .filter((p) => p.name !== 'id' && !(p.name === own && own === 'licence'))
    .map((p): ExportColumn => ({ name: p.name, type: p.type, description: p.description, value: (f) => f.properties[p.name] ?? null }));
  return [
    { name: 'id', type: 'string', description: 'Identifier of the record in its collection', value: (f) => f.id },
    ...properties,
    { name: 'licence', type: 'string', description: 'URI of the licence the record is published under', value: (f) => licence.uriOf(f) },
    { name: 'attribution', type: 'string', description: 'Who publishes it (to credit)', value: () => licence.attribution },
  ];
}
