import fs from 'node:fs';
import { parse } from 'yaml';
import { getNamedType, isInputObjectType, isInterfaceType, isObjectType, type GraphQLField, type GraphQLInputField, type GraphQLNamedType } from 'graphql';

/**
 * A field's unit as its SDL description states it: a symbol ("µg/m³"), or the record's own unit field
 * (`field`, with the values that field's description quotes), or another record's unit in the contract's words.
 */
export type Unit = { symbol: string } | { field: string; values: string[] } | { stated: string };

interface UnitWords {
  units: { phrase: string; symbol: string }[];
}

const WORDS = parse(fs.readFileSync(new URL('./units.yaml', import.meta.url), 'utf8')) as UnitWords;
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Where a unit is written: after "in", after a comma, in parentheses, or first; then a boundary. */
const PATTERNS = WORDS.units.map(({ phrase, symbol }) => ({ symbol, pattern: new RegExp(`(?:^|\\bin |, |\\()${escape(phrase)}(?=$|[\\s.,;:)])`, phrase === phrase.toLowerCase() ? '' : 'i') }));
const NUMERIC = new Set(['Int', 'Float']);

/** The strings a description quotes ("µg/m³", "% of population"): the values a unit field takes, as the contract lists them. */
const quoted = (description: string) => [...description.matchAll(/"([^"]+)"/g)].map((m) => m[1]!);

/**
 * The unit of a numeric field, only where its description states it (units.yaml lists what is recognised);
 * undefined otherwise (counts, codes, classes, text): the inventory never infers a unit from a name.
 */
export function unitOf(field: GraphQLField<unknown, unknown> | GraphQLInputField, owner: GraphQLNamedType): Unit | undefined {
  if (!NUMERIC.has(getNamedType(field.type).name)) return undefined;
  const description = (field.description ?? '').replace(/\s+/g, ' ').trim();
  const sibling = /\bin `(\w+)`/.exec(description)?.[1];
  if (sibling && (isObjectType(owner) || isInterfaceType(owner) || isInputObjectType(owner))) {
    const unitField = owner.getFields()[sibling];
    if (unitField) return { field: sibling, values: quoted(unitField.description ?? '') };
  }
  const other = /\bin (the [\w-]+'s unit)\b/.exec(description)?.[1];
  if (other) return { stated: other };
  let found: { symbol: string; at: number } | undefined;
  for (const { symbol, pattern } of PATTERNS) {
    const match = pattern.exec(description);
    if (match && (!found || match.index < found.at)) found = { symbol, at: match.index };
  }
  return found ? { symbol: found.symbol } : undefined;
}
