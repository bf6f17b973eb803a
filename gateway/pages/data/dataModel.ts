import fs from 'node:fs';
import { parse } from 'yaml';
import type { CatalogWords } from '../../catalog/catalogWords.ts';
import type { Inventory, InventoryType } from './inventory.ts';

/** datasets.yaml: the types each catalogue dataset is read through. */
interface DatasetTypes {
  datasets: Record<string, string[]>;
}

/** The inventory with what links it to the catalogue: computed once, at start. */
export interface DataModel {
  inventory: Inventory;
  words: CatalogWords;
  /** Catalogue dataset kind → the types it is read through (the records' type first). */
  typesOf: Map<string, string[]>;
  /** Type name → the catalogue dataset kinds it belongs to. */
  datasetsOf: Map<string, string[]>;
  /** Type name → its EU data themes: its datasets', else those of its producers' datasets. */
  themesOf: Map<string, string[]>;
}

export function readDatasetTypes(file = new URL('./datasets.yaml', import.meta.url)): Map<string, string[]> {
  const words = parse(fs.readFileSync(file, 'utf8')) as DatasetTypes;
  return new Map(Object.entries(words.datasets));
}

/**
 * Links the inventory to the catalogue's words. A type named in datasets.yaml that the supergraph does not
 * have fails the start (a rename must update it), so a dataset never points at a type that is gone.
 */
export function buildDataModel(inventory: Inventory, words: CatalogWords, typesOf = readDatasetTypes()): DataModel {
  const byName = new Map(inventory.types.map((t) => [t.name, t]));
  const datasetsOf = new Map<string, string[]>();
  for (const [kind, names] of typesOf) {
    if (!words.datasets[kind]) throw new Error(`datasets.yaml names the dataset kind "${kind}", which catalog.yaml does not describe`);
    for (const name of names) {
      if (!byName.has(name)) throw new Error(`datasets.yaml: the dataset "${kind}" names the type "${name}", which the supergraph does not have`);
      datasetsOf.set(name, [...(datasetsOf.get(name) ?? []), kind]);
    }
  }
  const themesOfKinds = (kinds: string[]) => [...new Set(kinds.flatMap((kind) => words.datasets[kind]?.themes ?? []))].sort();
  const themesOf = new Map<string, string[]>();
  for (const type of inventory.types) {
    const own = datasetsOf.get(type.name);
    const kinds = own ?? Object.entries(words.datasets).filter(([, w]) => type.producers.includes(w.producer)).map(([kind]) => kind);
    themesOf.set(type.name, themesOfKinds(kinds));
  }
  return { inventory, words, typesOf, datasetsOf, themesOf };
}

/** A field's themes: those of the type it returns when that type is a dataset's, else its own type's. */
export function fieldThemes(model: DataModel, type: InventoryType, namedType: string): string[] {
  return model.datasetsOf.has(namedType) ? model.themesOf.get(namedType)! : (model.themesOf.get(type.name) ?? []);
}
