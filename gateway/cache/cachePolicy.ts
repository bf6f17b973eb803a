import {
  getNamedType,
  isCompositeType,
  isLeafType,
  Kind,
  parse,
  type ConstDirectiveNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type SelectionSetNode,
  isObjectType,
  isInterfaceType,
} from 'graphql';
import type { AccessPolicy } from '../../lib/auth/policy.ts';

/** How long a subgraph fetch's answer may be kept, in seconds; 0: not at all. */
export interface FetchCachePolicy {
  maxAgeSeconds: number;
  /** Why it is not cached, for the curious (a restricted field, a field without a hint). */
  reason?: string;
}

function maxAgeIn(directives: readonly ConstDirectiveNode[] | undefined): number | undefined {
  const directive = directives?.find((d) => d.name.value === 'cacheControl');
  const value = directive?.arguments?.find((a) => a.name.value === 'maxAge')?.value;
  return value?.kind === Kind.INT ? Number(value.value) : undefined;
}

/**
 * The cache policy of the fetches the gateway sends to its subgraphs, from the `@cacheControl(maxAge:)` hints of
 * the SDL (composed into the supergraph), with Apollo's rules: a field's hint, else its type's; a scalar or enum
 * field inherits its parent's; an object field with neither, and a root field without one, is not cached. The
 * answer's lifetime is the smallest of its fields'. A fetch that selects a restricted field is never cached,
 * whoever asks. Computed once per fetch text (a plan's fetches are fixed strings).
 */
export function fetchCachePolicies(supergraph: GraphQLSchema, policy: AccessPolicy): (query: string) => FetchCachePolicy {
  const memo = new Map<string, FetchCachePolicy>();
  const typeHint = (type: GraphQLCompositeType) => maxAgeIn(type.astNode?.directives as readonly ConstDirectiveNode[] | undefined);

  const compute = (query: string): FetchCachePolicy => {
    const document = parse(query);
    const fragments = new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
    const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
    if (!operation || operation.kind !== Kind.OPERATION_DEFINITION || operation.operation !== 'query') return { maxAgeSeconds: 0, reason: 'not a query' };
    let min = Infinity;
    let reason: string | undefined;
    const restrict = (age: number, why: string) => {
      if (age < min) {
        min = age;
        if (age === 0) reason ??= why;
      }
    };
    const walk = (set: SelectionSetNode, parent: GraphQLCompositeType, parentAge: number | undefined): void => {
      for (const selection of set.selections) {
        if (selection.kind === Kind.INLINE_FRAGMENT) {
          const on = selection.typeCondition ? supergraph.getType(selection.typeCondition.name.value) : parent;
          if (!on || !isCompositeType(on)) return restrict(0, `unknown type ${selection.typeCondition?.name.value}`);
          walk(selection.selectionSet, on, selection.typeCondition ? typeHint(on) ?? parentAge : parentAge);
          continue;
        }
        if (selection.kind === Kind.FRAGMENT_SPREAD) {
          const fragment = fragments.get(selection.name.value);
          const on = fragment && supergraph.getType(fragment.typeCondition.name.value);
          if (!fragment || !on || !isCompositeType(on)) return restrict(0, `unknown fragment ${selection.name.value}`);
          walk(fragment.selectionSet, on, typeHint(on) ?? parentAge);
          continue;
        }
        const name = selection.name.value;
        if (name === '__typename') continue;
        if (!isObjectType(parent) && !isInterfaceType(parent)) return restrict(0, `${name} on ${parent.name}`);
        const field = parent.getFields()[name];
        if (!field) return restrict(0, `unknown field ${parent.name}.${name}`);
        const coordinate = `${parent.name}.${name}`;
        if (policy.has(coordinate)) return restrict(0, `restricted field ${coordinate}`);
        const type = getNamedType(field.type);
        const own = maxAgeIn(field.astNode?.directives as readonly ConstDirectiveNode[] | undefined);
        const age = own ?? (isCompositeType(type) ? typeHint(type) : undefined) ?? (isLeafType(type) ? parentAge : undefined);
        if (age === undefined) {
          restrict(0, `no @cacheControl hint on ${coordinate}`);
          continue;
        }
        restrict(age, `maxAge 0 on ${coordinate}`);
        if (selection.selectionSet && isCompositeType(type)) walk(selection.selectionSet, type, age);
      }
    };
    const top = operation.selectionSet.selections;
    const entities = top.length === 1 && top[0]!.kind === Kind.FIELD && top[0]!.name.value === '_entities' ? top[0] : undefined;
    if (entities && entities.kind === Kind.FIELD && entities.selectionSet) {
      // Each `... on Entity` starts from the entity type's own hint.
      walk(entities.selectionSet, supergraph.getQueryType()!, undefined);
    } else {
      walk(operation.selectionSet, supergraph.getQueryType()!, undefined);
    }
    return min === Infinity || min <= 0 ? { maxAgeSeconds: 0, reason: reason ?? 'selects nothing' } : { maxAgeSeconds: min };
  };

  return (query) => {
    let known = memo.get(query);
    if (!known) {
      try {
        known = compute(query);
      } catch {
        known = { maxAgeSeconds: 0, reason: 'unreadable fetch' };
      }
      if (memo.size < 10_000) memo.set(query, known);
    }
    return known;
  };
}
