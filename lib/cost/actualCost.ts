import {
  getNamedType,
  isAbstractType,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  Kind,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type OperationDefinitionNode,
  type SelectionSetNode,
  valueFromASTUntyped,
} from 'graphql';
import { argumentsOf, at, DEFAULT_MUTATION_WEIGHT, skipped, type CostRequest } from './operationCost.ts';
import { vertexCount } from './vertexCount.ts';

type Variables = Record<string, unknown>;

/**
 * The actual cost of an answer, after the IBM GraphQL cost specification's "actual cost": the same weights as
 * the estimate (lib/cost/operationCost.ts), counted over what the answer holds — a list costs its items, not its
 * `@listSize` — and a polygon still costs its vertex units (PostGIS's work grows with them whatever comes back).
 * Budgets are charged this once the answer is known (gateway/expensiveGate.ts): a client pays for the 33
 * communes it got, not for the 1,000 a list may hold.
 */
export function actualCost(request: CostRequest & { data: unknown }): number {
  const operations = request.document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = request.operationName ? operations.find((o) => o.name?.value === request.operationName) : operations.length === 1 ? operations[0] : undefined;
  if (!operation || !request.data || typeof request.data !== 'object') return 0;
  const variables: Variables = {};
  for (const definition of operation.variableDefinitions ?? []) {
    if (definition.defaultValue) variables[definition.variable.name.value] = valueFromASTUntyped(definition.defaultValue);
  }
  Object.assign(variables, request.variables ?? {});
  const root = operation.operation === 'query' ? request.schema.getQueryType() : operation.operation === 'mutation' ? request.schema.getMutationType() : undefined;
  if (!root) return 0;
  const fragments = new Map(request.document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
  const mutationType = request.schema.getMutationType()?.name;

  const walk = (parent: GraphQLCompositeType, selectionSet: SelectionSetNode, value: Record<string, unknown>): number => {
    const runtime = typeof value.__typename === 'string' ? value.__typename : undefined;
    // A fragment on another concrete type than the value's does not apply to it.
    const applies = (typeName: string | undefined) => {
      if (!typeName || !runtime || typeName === runtime) return true;
      const type = request.schema.getType(typeName);
      return !!type && isAbstractType(type);
    };
    let total = 0;
    for (const selection of selectionSet.selections) {
      if (skipped(selection.directives, variables)) continue;
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const typeName = selection.typeCondition?.name.value;
        const type = typeName ? request.schema.getType(typeName) : parent;
        if (type && isCompositeType(type) && applies(typeName)) total += walk(type, selection.selectionSet, value);
        continue;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        const type = fragment && request.schema.getType(fragment.typeCondition.name.value);
        if (fragment && type && isCompositeType(type) && applies(fragment.typeCondition.name.value)) total += walk(type, fragment.selectionSet, value);
        continue;
      }
      const name = selection.name.value;
      if (name === '__typename' || name === '__schema' || name === '__type') continue;
      const key = selection.alias?.value ?? name;
      if (!(key in value)) continue;
      const owner = runtime && !isObjectType(parent) ? request.schema.getType(runtime) : parent;
      if (!owner || (!isObjectType(owner) && !isInterfaceType(owner))) continue;
      const field = owner.getFields()[name];
      if (!field) continue;
      const cost = request.policy.fields.get(`${owner.name}.${name}`) ?? request.policy.fields.get(`${parent.name}.${name}`);
      const type = getNamedType(field.type);
      const weight = cost?.weight ?? request.policy.types.get(type.name) ?? (owner.name === mutationType ? DEFAULT_MUTATION_WEIGHT : isCompositeType(type) ? 1 : 0);
      const args = argumentsOf(field, selection, variables);
      let argumentCost = 0;
      for (const [arg, argWeight] of cost?.argumentWeights ?? []) if (args[arg] !== undefined && args[arg] !== null) argumentCost += argWeight;
      const vertices = cost?.factor?.vertices ? Math.max(1, Math.ceil(vertexCount(at(args, cost.factor.vertices)) / cost.factor.verticesPerUnit)) : 1;
      const count = (item: unknown): number => {
        if (item === null || item === undefined) return 0;
        if (Array.isArray(item)) return item.reduce((sum: number, inner) => sum + count(inner), 0);
        const children = selection.selectionSet && isCompositeType(type) && typeof item === 'object' ? walk(type, selection.selectionSet, item as Record<string, unknown>) : 0;
        return weight + children;
      };
      total += argumentCost + vertices * count(value[key]);
    }
    return total;
  };
  return Math.ceil(walk(root, operation.selectionSet, request.data as Record<string, unknown>));
}
