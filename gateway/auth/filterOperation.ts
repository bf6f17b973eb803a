import {
  getNamedType,
  getOperationAST,
  isCompositeType,
  Kind,
  type ArgumentNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
  valueFromASTUntyped,
} from 'graphql';
import type { AccessPolicy } from '../../lib/auth/policy.ts';
import { isAllowed, type AccessRule, type Principal } from '../../lib/auth/principal.ts';

/** A field occurrence taken out of the operation, with the response path it would have filled. */
export interface RemovedField {
  path: string[];
  coordinate: string;
  rule: AccessRule;
}

/** A restricted field the caller may read and asked for: what the audit log records. */
export interface TouchedField {
  path: string[];
  coordinate: string;
  arguments: Record<string, unknown>;
}

export interface FilteredOperation {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  removed: RemovedField[];
  touched: TouchedField[];
  /** Response paths of the selections that were emptied and hold a placeholder. */
  placeholders: string[][];
  /** The operation asks for `__schema` or `__type`, directly or inside a fragment. */
  introspects: boolean;
  /** The operation asks for data (a root field other than `__typename`), directly or inside a fragment. */
  readsData: boolean;
}

/** Response key of the `__typename` that keeps an emptied selection valid; removed from the result afterwards. */
export const PLACEHOLDER = '_tigaRemoved';
const PLACEHOLDER_FIELD: FieldNode = { kind: Kind.FIELD, alias: { kind: Kind.NAME, value: PLACEHOLDER }, name: { kind: Kind.NAME, value: '__typename' } };

function argumentValues(args: readonly ArgumentNode[] | undefined, variables: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const arg of args ?? []) out[arg.name.value] = valueFromASTUntyped(arg.value, variables);
  return out;
}

/**
 * Removes from an operation every field the caller may not read, before the gateway plans it: no
 * subgraph is ever asked for data the caller can't see. Named fragments are inlined first, so a field
 * hidden in a fragment, under an alias or behind an abstract type is judged at each place it is used.
 * An emptied selection keeps `__typename` so the operation stays valid.
 *
 * `selected` is the operation Apollo resolved from the request's `operationName` (one of `document`'s
 * definitions). Without it only a document holding exactly one operation is accepted: guessing among
 * several could run a mutation the client did not name.
 */
export function filterOperation(
  schema: GraphQLSchema,
  policy: AccessPolicy,
  principal: Principal,
  document: DocumentNode,
  selected: OperationDefinitionNode | null | undefined,
  variables: Record<string, unknown>,
): FilteredOperation {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const operation = selected ?? getOperationAST(document);
  if (!operation || !document.definitions.includes(operation)) throw new Error('filterOperation needs one operation of the document');
  const removed: RemovedField[] = [];
  const touched: TouchedField[] = [];
  const placeholders: string[][] = [];
  let introspects = false;
  let readsData = false;

  const filterSet = (set: SelectionSetNode, parent: GraphQLCompositeType, path: string[], seen: Set<string>): SelectionSetNode => {
    const selections: SelectionNode[] = [];
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        const key = selection.alias?.value ?? name;
        if (name === '__schema' || name === '__type') introspects = true;
        else if (path.length === 0 && name !== '__typename') readsData = true;
        if (name.startsWith('__')) {
          selections.push(selection);
          continue;
        }
        const coordinate = `${parent.name}.${name}`;
        const rule = policy.get(coordinate);
        if (rule && !isAllowed(rule, principal)) {
          removed.push({ path: [...path, key], coordinate, rule });
          continue;
        }
        if (rule) touched.push({ path: [...path, key], coordinate, arguments: argumentValues(selection.arguments, variables) });
        if (!selection.selectionSet || !('getFields' in parent)) {
          selections.push(selection);
          continue;
        }
        const fieldType = getNamedType(parent.getFields()[name]!.type);
        const child = isCompositeType(fieldType) ? filterSet(selection.selectionSet, fieldType, [...path, key], seen) : selection.selectionSet;
        selections.push({ ...selection, selectionSet: child });
      } else {
        const fragment = selection.kind === Kind.FRAGMENT_SPREAD ? fragments.get(selection.name.value) : undefined;
        if (selection.kind === Kind.FRAGMENT_SPREAD && (!fragment || seen.has(selection.name.value))) continue;
        const condition = selection.kind === Kind.INLINE_FRAGMENT ? selection.typeCondition : fragment!.typeCondition;
        const type = condition ? schema.getType(condition.name.value) : parent;
        if (!type || !isCompositeType(type)) continue;
        const inner = selection.kind === Kind.INLINE_FRAGMENT ? selection.selectionSet : fragment!.selectionSet;
        const nextSeen = fragment ? new Set([...seen, fragment.name.value]) : seen;
        selections.push({
          kind: Kind.INLINE_FRAGMENT,
          typeCondition: condition,
          directives: selection.directives,
          selectionSet: filterSet(inner, type, path, nextSeen),
        });
      }
    }
    if (selections.length) return { ...set, selections };
    placeholders.push(path);
    return { ...set, selections: [PLACEHOLDER_FIELD] };
  };

  const root = operation.operation === 'mutation' ? schema.getMutationType() : operation.operation === 'subscription' ? schema.getSubscriptionType() : schema.getQueryType();
  if (!root) throw new Error(`the schema has no ${operation.operation} type`);
  const filtered: OperationDefinitionNode = { ...operation, selectionSet: filterSet(operation.selectionSet, root, [], new Set()) };
  return { document: { kind: Kind.DOCUMENT, definitions: [filtered] }, operation: filtered, removed, touched, placeholders, introspects, readsData };
}

/** Applies `change` to the object at a response path, in every element of the lists it crosses. */
function atPath(data: unknown, path: readonly string[], change: (record: Record<string, unknown>) => void): void {
  if (data === null || data === undefined) return;
  if (Array.isArray(data)) {
    for (const item of data) atPath(item, path, change);
    return;
  }
  if (typeof data !== 'object') return;
  if (path.length === 0) return change(data as Record<string, unknown>);
  const [head, ...rest] = path as [string, ...string[]];
  atPath((data as Record<string, unknown>)[head], rest, change);
}

/** Writes `null` where a removed field would have been. */
export function setNullAt(data: unknown, path: readonly string[]): void {
  atPath(data, path.slice(0, -1), (record) => {
    record[path.at(-1)!] = null;
  });
}

/** Drops the placeholder of an emptied selection from the result. */
export function removePlaceholderAt(data: unknown, path: readonly string[]): void {
  atPath(data, path, (record) => {
    delete record[PLACEHOLDER];
  });
}
