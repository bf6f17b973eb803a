import type { LicenceCode } from '../catalog/readOpenData.ts';
import type { CatalogWords } from '../catalog/catalogWords.ts';
import type { OpenCollection, OpenFeature, Segment } from '../opendata/openCollection.ts';

/** Who publishes a collection and under which licence: what every export says beside its data. */
export interface ExportLicence {
  /**
   * The URI of the collection's dataset licence (catalog.yaml `datasets.<dataset>.licence`); absent for a
   * dataset whose records each carry their own (citizen sensors), as the catalogue describes it.
   */
  datasetUri?: string;
  /** The producer's public name (the supergraph's title): the attribution the licences ask for. */
  attribution: string;
  /** The URI of one feature's licence: its own (`licenceProperty`) when it has one, else the dataset's. */
  uriOf(feature: OpenFeature): string;
  /**
   * Every licence the export holds, as far as it is known before its first byte: the dataset's, and each
   * feature's own among features the collection already read to count them (it reads no more for this).
   * Empty only for an empty export of a collection whose records each carry their own.
   */
  uris(segments: Segment[]): string[];
}

/**
 * A collection's licences, read from the catalogue's words. A dataset without a licence whose records carry
 * none of their own, or a code without a URI, is a programming error: thrown when the route is built, or
 * before a feature is published unlicensed.
 */
export function exportLicence(collection: OpenCollection, words: CatalogWords, titles: Map<string, string>): ExportLicence {
  const uriOfCode = (code: string): string => {
    const uri = words.licences[code as LicenceCode];
    if (!uri) throw new Error(`catalog.yaml gives no URI for the licence ${code} (collection ${collection.id})`);
    return uri;
  };
  const code = words.datasets[collection.dataset]?.licence;
  const own = collection.licenceProperty;
  if (!code && !own) throw new Error(`catalog.yaml gives the dataset ${collection.dataset} (collection ${collection.id}) no licence`);
  const datasetUri = code ? uriOfCode(code) : undefined;
  const uriOf = (feature: OpenFeature): string => {
    const value = own ? feature.properties[own] : null;
    if (value !== null && value !== undefined && value !== '') return uriOfCode(String(value));
    if (!datasetUri) throw new Error(`the feature ${feature.id} of ${collection.id} has no licence, nor has its dataset`);
    return datasetUri;
  };
  return {
    datasetUri,
    attribution: titles.get(collection.producer) ?? collection.producer,
    uriOf,
    uris: (segments) => [...new Set([...(datasetUri ? [datasetUri] : []), ...segments.flatMap((s) => (own ? (s.features ?? []).map(uriOf) : []))])],
  };
}
