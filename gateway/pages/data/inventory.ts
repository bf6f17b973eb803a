import {
  buildASTSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isScalarType,
  isUnionType,
  Kind,
  parse,
  print,
  type ConstDirectiveNode,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLNamedType,
  type GraphQLSchema,
  visit,
} from 'graphql';
import { readAccessPolicy } from '../../../lib/auth/policy.ts';
import { readLegalBases, type LegalBasis } from '../../../lib/auth/legalBasis.ts';
import { visibleSchema } from '../../../lib/auth/visible-schema.ts';
import { ANONYMOUS } from '../../../lib/auth/principal.ts';
import { subgraphsOf } from '../../supergraph.ts';
import { unitOf, type Unit } from './units.ts';
import { samplePaths, type SamplePath } from './sampleQuery.ts';

/** Who may read a field: anyone (`open`), or callers holding a scope (or any token), for a reason the law names. */
export interface FieldAccess {
  level: 'open' | 'restricted';
  /** The scopes that open it, a disjunction of conjunctions ([["a","b"],["c"]]: a and b, or c); null with `authenticated`: any token. */
  scopes: string[][] | null;
  authenticated: boolean;
  legalBasis?: LegalBasis;
  /**
   * A field with no rule of its own that no anonymous caller can reach (its type is only returned by restricted
   * fields or by writes): the fields that lead to it.
   */
  reachedThrough?: string[];
}

export interface InventoryArgument {
  name: string;
  type: string;
  description: string;
  defaultValue?: string;
}

/** A field of an object, interface or input type, or a value of an enum. */
export interface InventoryField {
  /** "Type.field" (the schema coordinate). */
  coordinate: string;
  name: string;
  /** The printed type ("[HealthValue!]"); empty for an enum value. */
  type: string;
  /** The named type it returns, for a link to its section. */
  namedType: string;
  description: string;
  /** The producers (subgraph names) that resolve it. */
  producers: string[];
  access: FieldAccess;
  unit?: Unit;
  args: InventoryArgument[];
  deprecated?: string;
}

export type TypeKind = 'object' | 'interface' | 'union' | 'enum' | 'input' | 'scalar';

export interface InventoryType {
  name: string;
  kind: TypeKind;
  description: string;
  producers: string[];
  fields: InventoryField[];
  /** `open` when an anonymous caller reads every field; `restricted` when none; `partly` otherwise. */
  access: 'open' | 'partly' | 'restricted';
  /** Whether the open contract (what anonymous callers see, schema/open.graphql) has this type. */
  inOpenContract: boolean;
  /** How an anonymous caller reaches it from Query, when one can (object types of the open contract). */
  path?: SamplePath;
}

/** Everything the supergraph says about the data, ready to render: computed once, at start. */
export interface Inventory {
  producers: { name: string; title: string }[];
  types: InventoryType[];
  /** The schema anonymous callers see (sample queries are built on it). */
  open: GraphQLSchema;
  /** The supergraph itself (its keys give the sample queries their arguments). */
  schema: GraphQLSchema;
  /** Every field an anonymous caller cannot read, with its scope and legal basis. */
  restricted: InventoryField[];
}

/** Federation's own machinery (join__Graph, link__Import…) and introspection are not data. */
const isMachinery = (name: string) => name.includes('__') || name.startsWith('_');

function directiveArgs(directives: readonly ConstDirectiveNode[] | undefined, name: string): Record<string, string | boolean>[] {
  return (directives ?? [])
    .filter((d) => d.name.value === name)
    .map((d) => Object.fromEntries((d.arguments ?? []).map((a) => [a.name.value, a.value.kind === Kind.BOOLEAN ? a.value.value : a.value.kind === Kind.STRING || a.value.kind === Kind.ENUM ? a.value.value : print(a.value)])));
}

/**
 * The supergraph without Federation's machinery (directive definitions and applications): the schema clients
 * see, from which the open contract is cut as the gateway cuts it (no element of ours is @inaccessible).
 */
function apiSchemaOf(supergraphSdl: string): GraphQLSchema {
  const document = visit(parse(supergraphSdl), {
    DirectiveDefinition: () => null,
    Directive: () => null,
    SchemaDefinition: () => null,
  });
  const definitions = document.definitions.filter((d) => !('name' in d && d.name && isMachinery(d.name.value)));
  return buildASTSchema({ ...document, definitions }, { assumeValidSDL: true });
}

/**
 * The inventory of the data the supergraph describes: every type, field, argument and enum value with its
 * description, producer (`@join__type` / `@join__field` / `@join__enumValue`), access (`@requiresScopes`,
 * `@authenticated`, and whether the open contract reaches it), legal basis (`@legalBasis`) and the unit its
 * description states. Nothing is listed by hand: a field added to an SDL appears once composed.
 */
export function buildInventory(supergraphSdl: string): Inventory {
  const schema = buildASTSchema(parse(supergraphSdl), { assumeValidSDL: true });
  const policy = readAccessPolicy(schema);
  const bases = readLegalBases(schema);
  const open = visibleSchema(apiSchemaOf(supergraphSdl), policy, ANONYMOUS);
  const producers = subgraphsOf(supergraphSdl).map(({ name, title }) => ({ name, title }));

  // The join__Graph enum values (ATMO) by subgraph name (atmo).
  const graphNames = new Map<string, string>();
  const graphEnum = schema.getType('join__Graph');
  if (isEnumType(graphEnum)) {
    for (const value of graphEnum.getValues()) {
      const name = directiveArgs(value.astNode?.directives, 'join__graph')[0]?.name;
      if (typeof name === 'string') graphNames.set(value.name, name);
    }
  }
  const graphsOf = (directives: readonly ConstDirectiveNode[] | undefined, directive: string) =>
    directiveArgs(directives, directive)
      .filter((args) => args.external !== true)
      .map((args) => graphNames.get(String(args.graph)) ?? String(args.graph).toLowerCase());
  const unique = (names: string[]) => [...new Set(names)].sort();

  // Which fields return each type: a type no anonymous caller reaches is "reached through" them.
  const returnedBy = new Map<string, string[]>();
  for (const type of Object.values(schema.getTypeMap())) {
    if ((!isObjectType(type) && !isInterfaceType(type)) || isMachinery(type.name)) continue;
    for (const field of Object.values(type.getFields())) {
      const target = getNamedType(field.type).name;
      returnedBy.set(target, [...(returnedBy.get(target) ?? []), `${type.name}.${field.name}`]);
    }
  }

  const openType = (name: string) => open.getType(name) as GraphQLNamedType | undefined;
  const isOpenField = (typeName: string, fieldName: string) => {
    const type = openType(typeName);
    if (!type) return false;
    if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) return fieldName in type.getFields();
    return true;
  };

  const accessOf = (typeName: string, fieldName: string, owner: GraphQLNamedType): FieldAccess => {
    const coordinate = `${typeName}.${fieldName}`;
    const rule = policy.get(coordinate);
    if (rule) return { level: 'restricted', scopes: rule.scopes, authenticated: rule.authenticated, legalBasis: bases.get(coordinate) };
    if (isOpenField(typeName, fieldName) || isScalarType(owner) || isUnionType(owner)) return { level: 'open', scopes: null, authenticated: false };
    // No rule of its own, yet out of anonymous reach: say which restricted fields (or writes) lead to it, and their basis.
    const through = (returnedBy.get(typeName) ?? []).filter((c) => policy.has(c) || c.startsWith('Mutation.'));
    const basis = through.map((c) => bases.get(c)).find(Boolean);
    return { level: 'restricted', scopes: through.map((c) => policy.get(c)?.scopes ?? null).find(Boolean) ?? null, authenticated: true, legalBasis: basis, reachedThrough: through.length ? through : (returnedBy.get(typeName) ?? []) };
  };

  const types: InventoryType[] = [];
  for (const type of Object.values(schema.getTypeMap()).sort((a, b) => a.name.localeCompare(b.name))) {
    if (isMachinery(type.name)) continue;
    // Built-in scalars are GraphQL's, not the hub's.
    if (isScalarType(type) && !type.astNode) continue;
    const typeProducers = unique(graphsOf(type.astNode?.directives, 'join__type'));
    const fields: InventoryField[] = [];
    if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
      for (const field of Object.values(type.getFields()) as (GraphQLField<unknown, unknown> | GraphQLInputField)[]) {
        const own = graphsOf(field.astNode?.directives, 'join__field');
        const args = 'args' in field ? field.args.map((a: GraphQLArgument) => ({ name: a.name, type: String(a.type), description: a.description ?? '', defaultValue: a.astNode?.defaultValue ? print(a.astNode.defaultValue) : undefined })) : [];
        fields.push({
          coordinate: `${type.name}.${field.name}`,
          name: field.name,
          type: String(field.type),
          namedType: getNamedType(field.type).name,
          description: field.description ?? '',
          producers: own.length ? unique(own) : typeProducers,
          access: isInputObjectType(type) ? { level: openType(type.name) ? 'open' : 'restricted', scopes: null, authenticated: !openType(type.name) } : accessOf(type.name, field.name, type),
          unit: unitOf(field, type),
          args,
          deprecated: field.deprecationReason ?? undefined,
        });
      }
    } else if (isEnumType(type)) {
      for (const value of type.getValues()) {
        const own = graphsOf(value.astNode?.directives, 'join__enumValue');
        fields.push({
          coordinate: `${type.name}.${value.name}`, name: value.name, type: '', namedType: type.name, description: value.description ?? '',
          producers: own.length ? unique(own) : typeProducers, access: openType(type.name) ? { level: 'open', scopes: null, authenticated: false } : accessOf(type.name, value.name, type), args: [],
          deprecated: value.deprecationReason ?? undefined,
        });
      }
    }
    const openFields = fields.filter((f) => f.access.level === 'open').length;
    const kind: TypeKind = isObjectType(type) ? 'object' : isInterfaceType(type) ? 'interface' : isUnionType(type) ? 'union' : isEnumType(type) ? 'enum' : isInputObjectType(type) ? 'input' : 'scalar';
    types.push({
      name: type.name,
      kind,
      description: type.description ?? '',
      producers: typeProducers,
      fields,
      access: !fields.length ? (openType(type.name) ? 'open' : 'restricted') : openFields === fields.length ? 'open' : openFields === 0 ? 'restricted' : 'partly',
      inOpenContract: Boolean(openType(type.name)),
    });
  }

  const paths = samplePaths(open, schema);
  for (const type of types) type.path = paths.get(type.name);
  const restricted = types.flatMap((t) => t.fields.filter((f) => f.access.level === 'restricted' && t.kind !== 'input' && t.kind !== 'enum'));
  return { producers, types, open, schema, restricted };
}
