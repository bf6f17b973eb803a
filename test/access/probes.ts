import {
  getNamedType,
  getNullableType,
  isCompositeType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import type { AccessPolicy } from '../../lib/auth/policy.ts';
import type { AccessRule } from '../../lib/auth/principal.ts';

/** A sample key per entity type, so a probe can start from `_entities` or a root field taking an id. */
export type EntitySamples = Record<string, Record<string, unknown>>;

/** A query that reaches one field, the rules along its way, and where the field lands in the response. */
export interface Probe {
  query: string;
  variables: Record<string, unknown>;
  /** Rules of every field on the path, the target's last: all must hold for the read to be allowed. */
  rules: AccessRule[];
  /** Response path of the target field (list levels included as they come). */
  path: string[];
}

interface Step {
  field: GraphQLField<unknown, unknown>;
  parent: GraphQLObjectType;
}

function sampleScalar(name: string, argName: string, samples: EntitySamples, returnType: string): unknown {
  if (name === 'Int') return argName === 'first' ? 5 : argName === 'year' ? 2024 : 1;
  if (name === 'Float') return 1;
  if (name === 'Boolean') return false;
  if (argName === 'from') return '2025-01-01';
  if (argName === 'to') return '2025-01-02';
  const sample = samples[returnType];
  if (sample && argName in sample) return sample[argName];
  if (argName === 'code' || argName === 'territory') return samples.Territory?.code;
  return 'x';
}

function sampleInput(type: GraphQLInputType, argName: string, samples: EntitySamples, returnType: string): unknown {
  const inner = getNullableType(type);
  if (isListType(inner)) return [sampleInput(inner.ofType, argName, samples, returnType)];
  if (isEnumType(inner)) return inner.getValues()[0]!.value;
  if (isInputObjectType(inner)) {
    if (inner.name === 'AreaInput') return { territory: samples.Territory?.code };
    return Object.fromEntries(
      Object.values(inner.getFields())
        .filter((f) => isNonNullType(f.type))
        .map((f) => [f.name, sampleInput(f.type, f.name, samples, returnType)]),
    );
  }
  return sampleScalar(isScalarType(inner) ? inner.name : 'String', argName, samples, returnType);
}

function requiredArgs(field: GraphQLField<unknown, unknown>, samples: EntitySamples): Record<string, unknown> {
  const returnType = getNamedType(field.type).name;
  const args: Record<string, unknown> = {};
  for (const arg of field.args as readonly GraphQLArgument[]) {
    if (isNonNullType(arg.type) && arg.defaultValue === undefined) args[arg.name] = sampleInput(arg.type, arg.name, samples, returnType);
  }
  return args;
}

function ruleOf(policy: AccessPolicy, step: Step): AccessRule | undefined {
  return policy.get(`${step.parent.name}.${step.field.name}`);
}

/**
 * Shortest way from the root (and, for a subgraph, from `_entities` on a sampled entity) to `Type.field`,
 * preferring paths through open fields so that each probe tests its own field's rule.
 */
function findPath(schema: GraphQLSchema, policy: AccessPolicy, target: string, entityRoots: string[]): { start: string | null; steps: Step[] } | null {
  const [typeName, fieldName] = target.split('.') as [string, string];
  type Node = { type: GraphQLObjectType; start: string | null; steps: Step[]; cost: number };
  const query = schema.getQueryType()!;
  const queue: Node[] = [{ type: query, start: null, steps: [], cost: 0 }];
  for (const entity of entityRoots) {
    const type = schema.getType(entity);
    if (type && isObjectType(type)) queue.push({ type, start: entity, steps: [], cost: 0 });
  }
  const best = new Map<string, number>();
  while (queue.length) {
    queue.sort((a, b) => a.cost - b.cost || a.steps.length - b.steps.length);
    const node = queue.shift()!;
    if (node.type.name === typeName) {
      const field = node.type.getFields()[fieldName];
      if (field) return { start: node.start, steps: [...node.steps, { field, parent: node.type }] };
    }
    if ((best.get(node.type.name) ?? Infinity) <= node.cost || node.steps.length > 5) continue;
    best.set(node.type.name, node.cost);
    for (const field of Object.values(node.type.getFields())) {
      if (field.name.startsWith('_')) continue;
      const next = getNamedType(field.type);
      if (!isObjectType(next)) continue;
      const step = { field, parent: node.type };
      queue.push({ type: next, start: node.start, steps: [...node.steps, step], cost: node.cost + (ruleOf(policy, step) ? 10 : 1) });
    }
  }
  return null;
}

interface Variable {
  type: string;
  value: unknown;
}

function render(steps: Step[], samples: EntitySamples, variables: Map<string, Variable>): string {
  const [step, ...rest] = steps as [Step, ...Step[]];
  const args = Object.entries(requiredArgs(step.field, samples)).map(([name, value]) => {
    const variable = `v${variables.size}`;
    variables.set(variable, { type: step.field.args.find((a) => a.name === name)!.type.toString(), value });
    return `${name}: $${variable}`;
  });
  const argText = args.length ? `(${args.join(', ')})` : '';
  const inner = rest.length ? ` { ${render(rest, samples, variables)} }` : isCompositeType(getNamedType(step.field.type)) ? ' { __typename }' : '';
  return `${step.field.name}${argText}${inner}`;
}

/** Builds the probe of `coordinate` in `schema` (the gateway's API, or one subgraph's own schema). */
export function probeFor(schema: GraphQLSchema, policy: AccessPolicy, coordinate: string, samples: EntitySamples, viaEntities: boolean): Probe | null {
  const entityRoots = viaEntities ? Object.keys(samples).filter((name) => schema.getType(name)) : [];
  const found = findPath(schema, policy, coordinate, entityRoots);
  if (!found) return null;
  const declared = new Map<string, Variable>();
  const body = render(found.steps, samples, declared);
  const variables: Record<string, unknown> = Object.fromEntries([...declared].map(([name, v]) => [name, v.value]));
  const definitions = [...declared].map(([name, v]) => `$${name}: ${v.type}`);
  const rules = found.steps.map((step) => ruleOf(policy, step)).filter((rule): rule is AccessRule => rule !== undefined);
  const path = found.steps.map((step) => step.field.name);
  if (found.start) {
    variables.representations = [{ __typename: found.start, ...samples[found.start] }];
    definitions.push('$representations: [_Any!]!');
    return { query: `query(${definitions.join(', ')}) { _entities(representations: $representations) { ... on ${found.start} { ${body} } } }`, variables, rules, path: ['_entities', ...path] };
  }
  return { query: `query${definitions.length ? `(${definitions.join(', ')})` : ''} { ${body} }`, variables, rules, path };
}

/** Entity types of a supergraph and their (single-field) keys, read from `@join__type(key:)`. */
export function entityKeys(supergraph: GraphQLSchema): Record<string, string[]> {
  const keys: Record<string, string[]> = {};
  for (const type of Object.values(supergraph.getTypeMap())) {
    for (const directive of type.astNode?.directives ?? []) {
      if (directive.name.value !== 'join__type') continue;
      const key = directive.arguments?.find((a) => a.name.value === 'key')?.value;
      if (key?.kind === 'StringValue' && !key.value.includes('{')) keys[type.name] = key.value.split(/\s+/);
    }
  }
  return keys;
}

/**
 * A sample key of every entity an anonymous caller can list, found by walking open root fields that need
 * no argument (`territories`, `airStations`, `sensors { edges { node } }`…) and asked of the gateway: a
 * producer's new entity is probed without editing the matrix.
 */
export async function discoverSamples(supergraph: GraphQLSchema, policy: AccessPolicy, ask: (query: string) => Promise<unknown>): Promise<EntitySamples> {
  const samples: EntitySamples = {};
  for (const [entity, keyFields] of Object.entries(entityKeys(supergraph))) {
    const query = supergraph.getQueryType()!;
    type Node = { type: GraphQLObjectType; path: string[] };
    const queue: Node[] = [{ type: query, path: [] }];
    let found: string[] | null = null;
    while (queue.length && !found) {
      const node = queue.shift()!;
      if (node.path.length > 4) continue;
      for (const field of Object.values(node.type.getFields())) {
        if (field.name.startsWith('_') || policy.has(`${node.type.name}.${field.name}`)) continue;
        if (field.args.some((a) => isNonNullType(a.type) && a.defaultValue === undefined)) continue;
        const next = getNamedType(field.type);
        if (!isObjectType(next)) continue;
        if (next.name === entity) {
          found = [...node.path, field.name];
          break;
        }
        queue.push({ type: next, path: [...node.path, field.name] });
      }
    }
    if (!found) continue;
    const selection = found.reduceRight((inner, name) => `${name} { ${inner} }`, keyFields.join(' '));
    const first = (value: unknown, path: string[]): Record<string, unknown> | undefined => {
      if (Array.isArray(value)) return value.map((v) => first(v, path)).find(Boolean);
      if (value === null || typeof value !== 'object') return undefined;
      if (!path.length) return value as Record<string, unknown>;
      const [head, ...rest] = path as [string, ...string[]];
      return first((value as Record<string, unknown>)[head], rest);
    };
    const sample = first(await ask(`{ ${selection} }`), found);
    if (sample) samples[entity] = sample;
  }
  return samples;
}
