import rdf from '@zazuko/env-node';
import formats from '@rdfjs-elements/formats-pretty';
import type { DatasetCore } from '@rdfjs/types';
import { PREFIXES } from './catalogGraph.ts';

// Pretty serialisers (graphy's Turtle and RDF/XML writers, JSON-LD compacted with our prefixes) for the one RDF environment.
rdf.formats.import(formats);

/** The three serialisations of the catalogue, by the extension that asks for one. */
export const CATALOG_FORMATS = {
  jsonld: 'application/ld+json',
  ttl: 'text/turtle',
  rdf: 'application/rdf+xml',
} as const;
export type CatalogMediaType = (typeof CATALOG_FORMATS)[keyof typeof CATALOG_FORMATS];

/** The catalogue as text in one of its serialisations, with DCAT-AP's usual prefixes. */
export async function serializeCatalog(graph: DatasetCore, mediaType: CatalogMediaType): Promise<string> {
  const dataset = rdf.dataset([...graph]);
  return dataset.serialize({ format: mediaType, prefixes: PREFIXES });
}
