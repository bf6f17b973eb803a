import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import rdf from '@zazuko/env-node';
import SHACLValidator from 'rdf-validate-shacl';
import { loadConfig } from '../../lib/config.ts';
// The gateway's serialisers and parsers, registered on the one RDF environment the validator uses too.
import '../../gateway/catalog/serializeCatalog.ts';

export type Dataset = ReturnType<typeof rdf.dataset>;

/** The official DCAT-AP 3.0.0 shapes in the shared reference data (TIGA_SHARED_DATA), when present. */
export function shapesFile(name: 'dcat-ap-SHACL.ttl' | 'range.ttl'): string {
  return path.join(loadConfig().sharedDataDir, 'dcat-ap-3.0.0', name);
}
export const hasShapes = fs.existsSync(shapesFile('dcat-ap-SHACL.ttl'));

/** Parses a serialisation back into a dataset of the same RDF environment the shapes are read into. */
export async function parse(text: string, mediaType: string, baseIRI: string): Promise<Dataset> {
  const quads = rdf.formats.parsers.import(mediaType, Readable.from([text]), { baseIRI });
  if (!quads) throw new Error(`no parser for ${mediaType}`);
  return rdf.dataset().import(quads);
}

const shapeCache = new Map<string, Promise<Dataset>>();

export interface ShaclResult {
  severity: string;
  message: string;
  focusNode: string;
  path: string;
  constraint: string;
}

/** Validates data against a shapes file; every result with its severity (Violation, Warning, Info). */
export async function validate(data: Dataset, shapes: string): Promise<ShaclResult[]> {
  if (!shapeCache.has(shapes)) shapeCache.set(shapes, parse(fs.readFileSync(shapes, 'utf8'), 'text/turtle', `file://${shapes}`));
  const validator = new SHACLValidator(await shapeCache.get(shapes)!, { factory: rdf });
  const report = await validator.validate(data);
  return report.results.map((result) => ({
    severity: result.severity?.value.replace(/.*#/, '') ?? '?',
    message: result.message.map((m) => m.value).join(' '),
    focusNode: result.focusNode?.value ?? '',
    path: result.path?.value ?? '',
    constraint: result.sourceConstraintComponent?.value.replace(/.*#/, '') ?? '',
  }));
}
