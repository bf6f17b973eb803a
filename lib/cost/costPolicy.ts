import {
  isInterfaceType,
  isObjectType,
  valueFromASTUntyped,
  type ConstDirectiveNode,
  type GraphQLSchema,
} from 'graphql';

/** `@listSize` of the IBM GraphQL cost specification, as Apollo Federation v2.9 imports it. */
export interface ListSize {
  /** The size when no slicing argument says otherwise. */
  assumedSize?: number;
  /** Arguments whose value is the size (e.g. `first`); the largest one given wins. */
  slicingArguments: string[];
  /** Child list fields the size applies to (a connection's `edges`) instead of the field itself. */
  sizedFields: string[];
}

/**
 * `@costFactor`, the hub's own directive for the factors the IBM specification has no words for. It
 * multiplies the field's items (as a list size does) by:
 * - `days`: the days of the date range its two arguments name, both days included;
 * - `vertices`: the vertices of the GeoJSON geometry at this argument path (e.g. `select.polygon`), one
 *   unit per `verticesPerUnit` started, at least 1.
 */
export interface CostFactor {
  days?: [from: string, to: string];
  vertices?: string;
  verticesPerUnit: number;
}

export interface FieldCost {
  /** `@cost(weight:)` of the field, replacing its type's weight. */
  weight?: number;
  listSize?: ListSize;
  factor?: CostFactor;
  /** `@cost(weight:)` of its arguments, added when the argument is given. */
  argumentWeights: Map<string, number>;
}

/** What the SDL's cost directives say: per field coordinate (`Territory.airQuality`) and per type. */
export interface CostPolicy {
  fields: Map<string, FieldCost>;
  /** `@cost(weight:)` of object, scalar and enum types: the weight of any field returning them. */
  types: Map<string, number>;
}

type Directives = readonly ConstDirectiveNode[] | undefined;

function argumentsOf(directives: Directives, name: string): Record<string, unknown> | undefined {
  const directive = directives?.find((d) => d.name.value === name);
  if (!directive) return undefined;
  return Object.fromEntries((directive.arguments ?? []).map((arg) => [arg.name.value, valueFromASTUntyped(arg.value)]));
}

const weightOf = (directives: Directives): number | undefined => {
  const weight = argumentsOf(directives, 'cost')?.weight;
  return typeof weight === 'number' ? weight : undefined;
};

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);

function listSizeOf(directives: Directives): ListSize | undefined {
  const args = argumentsOf(directives, 'listSize');
  if (!args) return undefined;
  return {
    assumedSize: typeof args.assumedSize === 'number' ? args.assumedSize : undefined,
    slicingArguments: strings(args.slicingArguments),
    sizedFields: strings(args.sizedFields),
  };
}

function factorOf(directives: Directives, coordinate: string): CostFactor | undefined {
  const args = argumentsOf(directives, 'costFactor');
  if (!args) return undefined;
  const days = strings(args.days);
  if (args.days !== undefined && days.length !== 2) throw new Error(`${coordinate}: @costFactor(days:) names two arguments, the range's from and to`);
  const perUnit = typeof args.verticesPerUnit === 'number' ? args.verticesPerUnit : 1;
  if (perUnit < 1) throw new Error(`${coordinate}: @costFactor(verticesPerUnit:) must be at least 1`);
  return {
    days: days.length === 2 ? [days[0]!, days[1]!] : undefined,
    vertices: typeof args.vertices === 'string' ? args.vertices : undefined,
    verticesPerUnit: perUnit,
  };
}

/**
 * Reads `@cost`, `@listSize` and `@costFactor` from a schema built from SDL: a subgraph's own, or the
 * supergraph (where composition keeps them). The same directives bound the gateway and every subgraph.
 */
export function readCostPolicy(schema: GraphQLSchema): CostPolicy {
  const policy: CostPolicy = { fields: new Map(), types: new Map() };
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    const typeWeight = weightOf(type.astNode?.directives as Directives);
    if (typeWeight !== undefined) policy.types.set(type.name, typeWeight);
    if (!isObjectType(type) && !isInterfaceType(type)) continue;
    for (const field of Object.values(type.getFields())) {
      const coordinate = `${type.name}.${field.name}`;
      const directives = field.astNode?.directives as Directives;
      const argumentWeights = new Map<string, number>();
      for (const arg of field.args) {
        const weight = weightOf(arg.astNode?.directives as Directives);
        if (weight !== undefined) argumentWeights.set(arg.name, weight);
      }
      const cost: FieldCost = {
        weight: weightOf(directives),
        listSize: listSizeOf(directives),
        factor: factorOf(directives, coordinate),
        argumentWeights,
      };
      if (cost.weight !== undefined || cost.listSize || cost.factor || argumentWeights.size) policy.fields.set(coordinate, cost);
    }
  }
  return policy;
}

