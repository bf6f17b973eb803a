import {
  isObjectType,
  isInterfaceType,
  Kind,
  type ConstDirectiveNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
} from 'graphql';
import type { AccessRule } from './principal.ts';

/** Field coordinates ("Territory.healthDetailed") → the rule its directives (and its type's) declare. */
export type AccessPolicy = Map<string, AccessRule>;

function ruleFrom(directives: readonly ConstDirectiveNode[] | undefined): AccessRule | null {
  let authenticated = false;
  let scopes: string[][] | null = null;
  for (const directive of directives ?? []) {
    if (directive.name.value === 'authenticated') authenticated = true;
    if (directive.name.value === 'requiresScopes') {
      const arg = directive.arguments?.find((a) => a.name.value === 'scopes');
      if (arg?.value.kind === Kind.LIST) {
        scopes = arg.value.values.map((inner) =>
          inner.kind === Kind.LIST ? inner.values.map((v) => (v.kind === Kind.STRING ? v.value : '')).filter(Boolean) : [],
        );
      }
    }
  }
  if (!authenticated && !scopes) return null;
  return { authenticated: authenticated || scopes !== null, scopes };
}

/** Both rules must hold: a field's scopes AND its return type's scopes. */
function combine(a: AccessRule | null, b: AccessRule | null): AccessRule | null {
  if (!a) return b;
  if (!b) return a;
  const scopes = !a.scopes ? b.scopes : !b.scopes ? a.scopes : a.scopes.flatMap((x) => b.scopes!.map((y) => [...new Set([...x, ...y])]));
  return { authenticated: true, scopes };
}

function namedType(field: GraphQLField<unknown, unknown>): GraphQLNamedType {
  let type = field.type as { ofType?: unknown };
  while (type.ofType) type = type.ofType as { ofType?: unknown };
  return type as GraphQLNamedType;
}

/**
 * Reads `@authenticated` / `@requiresScopes` from a schema built from SDL (a subgraph's, or the
 * supergraph's): the same directives drive the gateway and every subgraph, so nothing is configured twice.
 * A rule on a type applies to every field of that type and to every field returning it.
 */
export function readAccessPolicy(schema: GraphQLSchema): AccessPolicy {
  const policy: AccessPolicy = new Map();
  const typeRules = new Map<string, AccessRule>();
  for (const type of Object.values(schema.getTypeMap())) {
    const rule = ruleFrom(type.astNode?.directives as readonly ConstDirectiveNode[] | undefined);
    if (rule) typeRules.set(type.name, rule);
  }
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) && !isInterfaceType(type)) continue;
    if (type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const own = ruleFrom(field.astNode?.directives as readonly ConstDirectiveNode[] | undefined);
      const rule = combine(combine(own, typeRules.get(type.name) ?? null), typeRules.get(namedType(field).name) ?? null);
      if (rule) policy.set(`${type.name}.${field.name}`, rule);
    }
  }
  return policy;
}
