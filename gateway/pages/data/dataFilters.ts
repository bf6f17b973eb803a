import type { Request } from 'express';

/**
 * What the visitor narrowed the inventory to (the GET form's fields). The browser script applies the same
 * rules to the same data-* attributes, so the page filters alike with and without JavaScript.
 */
export interface DataFilter {
  /** Words that must all appear (accents and case ignored). */
  q: string;
  /** A producer's subgraph name (`atmo`). */
  producer?: string;
  /** An EU data-theme code (`HEAL`). */
  theme?: string;
  access?: 'open' | 'restricted';
  /** An INSEE commune code or an EPCI SIREN. */
  territory?: string;
}

/** What each filter may take: an unknown value is ignored (the form never sends one). */
export interface FilterChoices {
  producers: Set<string>;
  themes: Set<string>;
  territories: Set<string>;
}

const one = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() ? value.trim() : undefined);

export function parseFilter(query: Request['query'], choices: FilterChoices): DataFilter {
  const producer = one(query.producer);
  const theme = one(query.theme);
  const access = one(query.access);
  const territory = one(query.territory);
  return {
    q: (one(query.q) ?? '').slice(0, 200),
    producer: producer && choices.producers.has(producer) ? producer : undefined,
    theme: theme && choices.themes.has(theme) ? theme : undefined,
    access: access === 'open' || access === 'restricted' ? access : undefined,
    territory: territory && choices.territories.has(territory) ? territory : undefined,
  };
}

/** The filter as a query string (without `lang`), for the language switch. */
export function filterQuery(filter: DataFilter): string {
  const params = new URLSearchParams();
  for (const key of ['q', 'producer', 'theme', 'access', 'territory'] as const) if (filter[key]) params.set(key, filter[key]!);
  return params.toString();
}

/** Search text: without accents, in lower case (the script normalises the same way). */
export const normalise = (text: string) => text.normalize('NFD').replace(/\p{Diacritic}/gu, '').toLowerCase();

/** Every word of the search appears in one of the texts. */
export function matchesWords(q: string, ...texts: string[]): boolean {
  const words = normalise(q).split(/\s+/).filter(Boolean);
  if (!words.length) return true;
  const haystack = normalise(texts.join(' '));
  return words.every((word) => haystack.includes(word));
}

/** A territory and the places a dataset covers meet: the same, or one is the other's EPCI. */
export function coversTerritory(places: string[], territory: string, parents: Map<string, string>): boolean {
  const parent = parents.get(territory);
  return places.some((place) => place === territory || place === parent || parents.get(place) === territory);
}
