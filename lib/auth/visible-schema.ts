import {
  buildASTSchema,
  Kind,
  parse,
  printSchema,
  type DefinitionNode,
  type DocumentNode,
  type GraphQLSchema,
  type TypeNode,
} from 'graphql';
import type { AccessPolicy } from './policy.ts';
import { isAllowed, type Principal } from './principal.ts';

const namedTypeOf = (type: TypeNode): string => (type.kind === Kind.NAMED_TYPE ? type.name.value : namedTypeOf(type.type));

type WithFields = Extract<DefinitionNode, { fields?: readonly unknown[] }>;

/**
 * The schema as one caller may see it: every field the caller may not read is removed, then every type
 * no longer reachable from the root types. Introspection is answered from it, and the open contract
 * (`schema/open.graphql`) is it for an anonymous caller, so no restricted name leaks either way.
 */
export function visibleSchema(schema: GraphQLSchema, policy: AccessPolicy, principal: Principal): GraphQLSchema {
  const document = parse(printSchema(schema));
  let definitions = document.definitions.map((definition) => {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.INTERFACE_TYPE_DEFINITION) return definition;
    const typeName = definition.name.value;
    const fields = definition.fields?.filter((field) => {
      const rule = policy.get(`${typeName}.${field.name.value}`);
      return !rule || isAllowed(rule, principal);
    });
    return { ...definition, fields };
  });
  // A type left without fields (e.g. Mutation for an anonymous caller) disappears, and so do fields returning it.
  for (let emptied = emptyTypes(definitions); emptied.size; emptied = emptyTypes(definitions)) {
    definitions = definitions
      .filter((definition) => !('name' in definition && definition.name && emptied.has(definition.name.value)))
      .map((definition) =>
        'fields' in definition && definition.fields && (definition.kind === Kind.OBJECT_TYPE_DEFINITION || definition.kind === Kind.INTERFACE_TYPE_DEFINITION)
          ? { ...definition, fields: definition.fields.filter((field) => !emptied.has(namedTypeOf(field.type))) }
          : definition,
      );
  }
  return buildASTSchema(pruneUnreachable({ ...document, definitions }, schema), { assumeValidSDL: true });
}

function emptyTypes(definitions: readonly DefinitionNode[]): Set<string> {
  return new Set(
    definitions
      .filter((d) => (d.kind === Kind.OBJECT_TYPE_DEFINITION || d.kind === Kind.INTERFACE_TYPE_DEFINITION) && !d.fields?.length)
      .map((d) => (d as { name: { value: string } }).name.value),
  );
}

function pruneUnreachable(document: DocumentNode, schema: GraphQLSchema): DocumentNode {
  const byName = new Map<string, DefinitionNode>();
  for (const definition of document.definitions) {
    if ('name' in definition && definition.name) byName.set(definition.name.value, definition);
  }
  const implementers = new Map<string, string[]>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OBJECT_TYPE_DEFINITION) {
      for (const iface of definition.interfaces ?? []) {
        implementers.set(iface.name.value, [...(implementers.get(iface.name.value) ?? []), definition.name.value]);
      }
    }
  }
  const reachable = new Set<string>();
  const queue = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]
    .filter((type) => type !== null && type !== undefined)
    .map((type) => type!.name);
  while (queue.length) {
    const name = queue.pop()!;
    if (reachable.has(name)) continue;
    reachable.add(name);
    const definition = byName.get(name);
    if (!definition) continue;
    const next: string[] = [...(implementers.get(name) ?? [])];
    for (const field of ((definition as WithFields).fields ?? []) as readonly { type: TypeNode; arguments?: readonly { type: TypeNode }[] }[]) {
      next.push(namedTypeOf(field.type), ...(field.arguments ?? []).map((arg) => namedTypeOf(arg.type)));
    }
    if (definition.kind === Kind.UNION_TYPE_DEFINITION) next.push(...(definition.types ?? []).map((t) => t.name.value));
    if (definition.kind === Kind.OBJECT_TYPE_DEFINITION) next.push(...(definition.interfaces ?? []).map((t) => t.name.value));
    queue.push(...next);
  }
  const definitions = document.definitions.filter((definition) => {
    if (definition.kind === Kind.SCHEMA_DEFINITION || definition.kind === Kind.DIRECTIVE_DEFINITION) return true;
    return 'name' in definition && definition.name ? reachable.has(definition.name.value) : true;
  });
  return { ...document, definitions };
}
