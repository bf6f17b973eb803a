import fs from 'node:fs';
import { parse } from 'yaml';
import type { LicenceCode } from './readOpenData.ts';

/** A text in French and/or English. */
export type Texts = { fr?: string; en?: string };

export interface DatasetWords {
  producer: string;
  title: Texts;
  description: Texts;
  themes: string[];
  keywords: { fr?: string[]; en?: string[] };
  frequency?: string;
  licence?: LicenceCode;
  conformsTo?: { uri: string; title: Texts };
}

/** The words of the catalogue (catalog.yaml): titles, descriptions and the vocabularies they are classified in. */
export interface CatalogWords {
  catalogue: { title: Texts; description: Texts; publisher: { name: Texts; homepage: string }; licence: LicenceCode; languages: string[] };
  service: { title: Texts; description: Texts; conformsTo: string };
  producers: Record<string, { homepage: string }>;
  datasets: Record<string, DatasetWords>;
  licences: Record<LicenceCode, string>;
  fileTypes: Record<string, string>;
  periodicities: Record<string, string>;
  portalThemes: Record<string, string>;
  /** The EU data themes' labels (skos:prefLabel), by code. */
  themeLabels: Record<string, Texts>;
}

/** Reads catalog.yaml once; a dataset kind without words is a programming error, caught at start. */
export function readCatalogWords(file = new URL('./catalog.yaml', import.meta.url)): CatalogWords {
  return parse(fs.readFileSync(file, 'utf8')) as CatalogWords;
}

/** Fills `{name}` placeholders with a dataset's values. */
export function fill(text: string, vars: Record<string, string | number>): string {
  return text.replace(/\{(\w+)\}/g, (whole, key: string) => (key in vars ? String(vars[key]) : whole));
}
