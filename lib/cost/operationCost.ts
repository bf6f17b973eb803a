import {
  getNamedType,
  getNullableType,
  isCompositeType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  valueFromASTUntyped,
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { CostPolicy, FieldCost, ListSize } from './costPolicy.ts';
import { rangeDays } from './rangeDays.ts';
import { vertexCount } from './vertexCount.ts';

/** The size of a list no directive sizes. Every list of objects in the SDL declares one (test/protection/cost.test.ts). */
export const DEFAULT_LIST_SIZE = 100;
/** A mutation's own weight when its SDL gives none (Apollo's default, after the IBM specification's examples). */
export const DEFAULT_MUTATION_WEIGHT = 10;

export interface CostRequest {
  /** A schema built from SDL (the supergraph, or a subgraph's): its types are walked. */
  schema: GraphQLSchema;
  policy: CostPolicy;
  document: DocumentNode;
  operationName?: string | null;
  variables?: Readonly<Record<string, unknown>> | null;
}

type Variables = Record<string, unknown>;

interface Walk {
  schema: GraphQLSchema;
  policy: CostPolicy;
  variables: Variables;
  fragments: Map<string, FragmentDefinitionNode>;
  mutationType: string | undefined;
  /** Costs of the fragments already walked, by name: a fragment costs the same wherever it is spread. */
  spreads: Map<string, number>;
}

function selectedOperation(document: DocumentNode, operationName: string | null | undefined): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  return operationName ? operations.find((o) => o.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
}

/** `@skip(if: true)` and `@include(if: false)` remove a selection: it costs nothing. */
export function skipped(directives: readonly DirectiveNode[] | undefined, variables: Variables): boolean {
  for (const directive of directives ?? []) {
    const condition = directive.arguments?.find((a) => a.name.value === 'if');
    if (!condition) continue;
    const value = valueFromASTUntyped(condition.value, variables);
    if (directive.name.value === 'skip' && value === true) return true;
    if (directive.name.value === 'include' && value === false) return true;
  }
  return false;
}

/** The arguments of a field as given (variables resolved), over their declared defaults. */
export function argumentsOf(field: GraphQLField<unknown, unknown>, node: FieldNode, variables: Variables): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const arg of field.args) if (arg.defaultValue !== undefined) values[arg.name] = arg.defaultValue;
  for (const arg of node.arguments ?? []) {
    const value = valueFromASTUntyped(arg.value, variables);
    if (value !== undefined) values[arg.name.value] = value;
  }
  return values;
}

/** The value at a dotted path of the arguments (`select.polygon`). */
export function at(values: Record<string, unknown>, path: string): unknown {
  return path.split('.').reduce<unknown>((value, key) => (value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined), values);
}

/** The size `@listSize` gives: the largest slicing argument given, else `assumedSize`. */
function sliced(listSize: ListSize, args: Record<string, unknown>): number {
  const given = listSize.slicingArguments.map((name) => args[name]).filter((value): value is number => typeof value === 'number');
  if (given.length) return Math.max(0, Math.ceil(Math.max(...given)));
  return listSize.assumedSize ?? DEFAULT_LIST_SIZE;
}

/** `@costFactor`: the days of a date range times the vertex units of a geometry. */
function factor(cost: FieldCost | undefined, args: Record<string, unknown>): number {
  if (!cost?.factor) return 1;
  const { days, vertices, verticesPerUnit } = cost.factor;
  const dayCount = days ? rangeDays(args[days[0]], args[days[1]]) : 1;
  const vertexUnits = vertices ? Math.max(1, Math.ceil(vertexCount(at(args, vertices)) / verticesPerUnit)) : 1;
  return dayCount * vertexUnits;
}

const isList = (field: GraphQLField<unknown, unknown>) => isListType(getNullableType(field.type));

function fieldCost(walk: Walk, parent: GraphQLCompositeType, node: FieldNode, sizeFromParent: number | undefined): number {
  const name = node.name.value;
  // Introspection is answered from the schema in memory, without a producer: GraphiQL's documentation is free.
  if (name === '__typename' || name === '__schema' || name === '__type') return 0;
  if (!isObjectType(parent) && !isInterfaceType(parent)) return 0;
  const field = parent.getFields()[name];
  if (!field) return 0;
  const cost = walk.policy.fields.get(`${parent.name}.${name}`);
  const type = getNamedType(field.type);
  const defaultWeight = parent.name === walk.mutationType ? DEFAULT_MUTATION_WEIGHT : isCompositeType(type) ? 1 : 0;
  const weight = cost?.weight ?? walk.policy.types.get(type.name) ?? defaultWeight;
  const args = argumentsOf(field, node, walk.variables);
  let argumentCost = 0;
  for (const [arg, argWeight] of cost?.argumentWeights ?? []) if (args[arg] !== undefined && args[arg] !== null) argumentCost += argWeight;

  const listSize = cost?.listSize;
  const sizedChildren = listSize?.sizedFields.length ? new Map(listSize.sizedFields.map((child) => [child, sliced(listSize, args)])) : undefined;
  let size = 1;
  if (sizeFromParent !== undefined) size = sizeFromParent;
  else if (listSize && !sizedChildren) size = sliced(listSize, args);
  // A subgraph's `_entities` is generated, not written in its SDL: one item per representation the gateway sends.
  else if (name === '_entities' && Array.isArray(args.representations)) size = args.representations.length;
  // A list sized by `@costFactor` alone (a daily series) has one item per unit of its factor.
  else if (isList(field) && !cost?.factor) size = DEFAULT_LIST_SIZE;

  const children = node.selectionSet && isCompositeType(type) ? selectionCost(walk, type, node.selectionSet, sizedChildren) : 0;
  return argumentCost + size * factor(cost, args) * (weight + children);
}

function selectionCost(walk: Walk, parent: GraphQLCompositeType, selectionSet: SelectionSetNode, sized?: Map<string, number>): number {
  let total = 0;
  for (const selection of selectionSet.selections) {
    if (skipped(selection.directives, walk.variables)) continue;
    if (selection.kind === Kind.FIELD) {
      total += fieldCost(walk, parent, selection, sized?.get(selection.name.value));
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const type = selection.typeCondition ? walk.schema.getType(selection.typeCondition.name.value) : parent;
      // Fragments on several types of an abstract field all count: an upper bound.
      if (type && isCompositeType(type)) total += selectionCost(walk, type, selection.selectionSet, sized);
    } else {
      const fragment = walk.fragments.get(selection.name.value);
      const type = fragment && walk.schema.getType(fragment.typeCondition.name.value);
      if (!fragment || !type || !isCompositeType(type)) continue;
      if (sized) {
        total += selectionCost(walk, type, fragment.selectionSet, sized);
        continue;
      }
      let cost = walk.spreads.get(fragment.name.value);
      if (cost === undefined) {
        // Validation (NoFragmentCycles) ran before: a fragment never spreads itself.
        cost = selectionCost(walk, type, fragment.selectionSet);
        walk.spreads.set(fragment.name.value, cost);
      }
      total += cost;
    }
  }
  return total;
}

/**
 * The estimated cost of one operation with its variables, after the IBM GraphQL cost specification: each
 * field costs its weight (`@cost`, else its type's: 1 for an object, 0 for a scalar or enum, 10 for a
 * mutation) plus its selection, times its size: a list's `@listSize` (slicing argument such as `first`,
 * else `assumedSize`) and the hub's `@costFactor` (days of a date range, vertices of a polygon).
 * An operation the document does not hold costs 0 (execution refuses it).
 */
export function operationCost(request: CostRequest): number {
  const operation = selectedOperation(request.document, request.operationName);
  if (!operation) return 0;
  const variables: Variables = {};
  for (const definition of operation.variableDefinitions ?? []) {
    if (definition.defaultValue) variables[definition.variable.name.value] = valueFromASTUntyped(definition.defaultValue);
  }
  Object.assign(variables, request.variables ?? {});
  const root =
    operation.operation === 'query' ? request.schema.getQueryType() : operation.operation === 'mutation' ? request.schema.getMutationType() : request.schema.getSubscriptionType();
  if (!root) return 0;
  const walk: Walk = {
    schema: request.schema,
    policy: request.policy,
    variables,
    fragments: new Map(
      request.document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
    ),
    mutationType: request.schema.getMutationType()?.name,
    spreads: new Map(),
  };
  return selectionCost(walk, root, operation.selectionSet);
}
