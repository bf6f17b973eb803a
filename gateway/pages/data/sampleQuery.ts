import {
  getNamedType,
  isEnumType,
  isInterfaceType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLInterfaceType,
  type GraphQLSchema,
} from 'graphql';

/** The value an argument of a sample query takes: fixed by the schema, or read from the live data when the page is rendered. */
export type ArgumentValue =
  | { literal: string }
  /** A key of the type the field returns (a territory's `code`), read from the data anonymous callers see. */
  | { key: string }
  /** An end of a time window (`from`/`to`): the last days of the data the type belongs to. */
  | { window: 'from' | 'to' };

export interface SampleStep {
  field: string;
  args: { name: string; value: ArgumentValue }[];
}

/** How an anonymous caller reaches a type from Query: the fields to follow, and what to select there. */
export interface SamplePath {
  steps: SampleStep[];
  /** The selection set at the end, one line per field. */
  selection: string[];
}

/** What the live data gives a sample query's arguments. */
export interface ArgumentValues {
  /** "Type.keyField" → a key anonymous callers can read (e.g. "Territory.code" → "200068112"). */
  keys: Map<string, string>;
  /** The window `from`/`to` take, as YYYY-MM-DD days. */
  window: { from: string; to: string };
}

/** A page of a paginated list in a sample: enough to see the records, cheap for the cost model. */
const SAMPLE_PAGE = 5;
/** Geometries are heavy and served better by the exports and the OGC API: the sample queries leave them out. */
const HEAVY_SCALARS = new Set(['GeoJSON']);

type Composite = GraphQLObjectType | GraphQLInterfaceType;
const isComposite = (type: unknown): type is Composite => isObjectType(type) || isInterfaceType(type);
const required = (arg: { type: unknown; defaultValue?: unknown }) => isNonNullType(arg.type) && arg.defaultValue === undefined;

/** The single-field keys (`@key(fields: "code")`) each type declares in the supergraph. */
function keysOf(supergraph: GraphQLSchema): Map<string, Set<string>> {
  const keys = new Map<string, Set<string>>();
  for (const type of Object.values(supergraph.getTypeMap())) {
    for (const directive of type.astNode?.directives ?? []) {
      if (directive.name.value !== 'join__type') continue;
      const key = directive.arguments?.find((a) => a.name.value === 'key')?.value;
      if (key?.kind === Kind.STRING && /^\w+$/.test(key.value)) keys.set(type.name, new Set([...(keys.get(type.name) ?? []), key.value]));
    }
  }
  return keys;
}

/** The open leaves of a type a sample selects (no required argument, no geometry). */
function leavesOf(type: Composite): string[] {
  return Object.values(type.getFields())
    .filter((f) => isLeafType(getNamedType(f.type)) && !HEAVY_SCALARS.has(getNamedType(f.type).name) && !f.args.some(required))
    .map((f) => f.name);
}

/** A type's sample selection: its leaves, else one level into its fields (a connection's edges), else its name. */
function selectionOf(type: Composite): string[] {
  const leaves = leavesOf(type);
  if (leaves.length) return leaves;
  const nested = Object.values(type.getFields())
    .filter((f) => isComposite(getNamedType(f.type)) && !f.args.some(required))
    .map((f) => ({ name: f.name, inner: leavesOf(getNamedType(f.type) as Composite) }))
    .filter((f) => f.inner.length)
    .map((f) => `${f.name} { ${f.inner.join(' ')} }`);
  return nested.length ? nested : ['__typename'];
}

/**
 * How to reach one field's return type: its arguments' values, or undefined when one cannot be filled (an
 * input object, an ID that is not a key). `first` is always set, so a sample reads one small page.
 */
function stepOf(field: GraphQLField<unknown, unknown>, keys: Map<string, Set<string>>, allowKeys: boolean): { step: SampleStep; weight: number } | undefined {
  const target = getNamedType(field.type);
  const args: SampleStep['args'] = [];
  let weight = 1;
  for (const arg of field.args) {
    const named = getNamedType(arg.type);
    if (arg.name === 'first' && named.name === 'Int') {
      args.push({ name: arg.name, value: { literal: String(SAMPLE_PAGE) } });
      continue;
    }
    if (!required(arg)) continue;
    if (isEnumType(named)) args.push({ name: arg.name, value: { literal: named.getValues()[0]!.name } });
    else if ((arg.name === 'from' || arg.name === 'to') && named.name === 'String') args.push({ name: arg.name, value: { window: arg.name } });
    else if (allowKeys && keys.get(target.name)?.has(arg.name)) {
      args.push({ name: arg.name, value: { key: `${target.name}.${arg.name}` } });
      weight += 1;
    } else return undefined;
  }
  // A list read whole (no page size) costs more than one item or one page.
  let type = field.type;
  if (isNonNullType(type)) type = type.ofType;
  if (isListType(type) && !field.args.some((a) => a.name === 'first')) weight += 2;
  return { step: { field: field.name, args }, weight };
}

/** Cheapest paths from Query to every composite type of the open schema (Dijkstra over the type graph). */
function shortestPaths(open: GraphQLSchema, keys: Map<string, Set<string>>, allowKeys: boolean): Map<string, SampleStep[]> {
  const query = open.getQueryType();
  const best = new Map<string, { cost: number; steps: SampleStep[] }>();
  if (!query) return new Map();
  best.set(query.name, { cost: 0, steps: [] });
  const done = new Set<string>();
  for (;;) {
    const next = [...best.entries()].filter(([name]) => !done.has(name)).sort((a, b) => a[1].cost - b[1].cost || a[1].steps.length - b[1].steps.length)[0];
    if (!next) break;
    const [name, { cost, steps }] = next;
    done.add(name);
    const type = open.getType(name);
    if (!isComposite(type)) continue;
    for (const field of Object.values(type.getFields())) {
      const target = getNamedType(field.type);
      if (!isComposite(target) || done.has(target.name)) continue;
      const edge = stepOf(field, keys, allowKeys);
      if (!edge) continue;
      const known = best.get(target.name);
      if (!known || cost + edge.weight < known.cost) best.set(target.name, { cost: cost + edge.weight, steps: [...steps, edge.step] });
    }
  }
  best.delete(query.name);
  return new Map([...best.entries()].map(([name, { steps }]) => [name, steps]));
}

/** Every open composite type's sample path, computed once from the open schema (the contract anonymous callers see). */
export function samplePaths(open: GraphQLSchema, supergraph: GraphQLSchema): Map<string, SamplePath> {
  const keys = keysOf(supergraph);
  const paths = new Map<string, SamplePath>();
  for (const [name, steps] of shortestPaths(open, keys, true)) paths.set(name, { steps, selection: selectionOf(open.getType(name) as Composite) });
  return paths;
}

/**
 * For each key a sample needs ("Territory.code"), the path that lists such keys without needing one
 * (`territories { code }`): the live read takes the first value it gives.
 */
export function keySources(open: GraphQLSchema, supergraph: GraphQLSchema, paths: Iterable<SamplePath>): Map<string, SamplePath> {
  const keys = keysOf(supergraph);
  const wanted = new Set<string>();
  for (const path of paths) for (const step of path.steps) for (const arg of step.args) if ('key' in arg.value) wanted.add(arg.value.key);
  const plain = shortestPaths(open, keys, false);
  const sources = new Map<string, SamplePath>();
  for (const key of wanted) {
    const [type, field] = key.split('.') as [string, string];
    const steps = plain.get(type);
    if (steps) sources.set(key, { steps, selection: [field] });
  }
  return sources;
}

const literal = (value: ArgumentValue, values: ArgumentValues | undefined): string | undefined => {
  if ('literal' in value) return value.literal;
  if ('key' in value) {
    const key = values?.keys.get(value.key);
    return key === undefined ? undefined : JSON.stringify(key);
  }
  return values ? JSON.stringify(values.window[value.window]) : undefined;
};

/**
 * The text of a sample query, indented as GraphiQL would; undefined when an argument has no value yet (the
 * live data did not give one).
 */
export function renderQuery(name: string, path: SamplePath, values?: ArgumentValues): string | undefined {
  const lines = [`query ${name} {`];
  let indent = '  ';
  for (const step of path.steps) {
    const args: string[] = [];
    for (const arg of step.args) {
      const text = literal(arg.value, values);
      if (text === undefined) return undefined;
      args.push(`${arg.name}: ${text}`);
    }
    lines.push(`${indent}${step.field}${args.length ? `(${args.join(', ')})` : ''} {`);
    indent += '  ';
  }
  for (const field of path.selection) lines.push(`${indent}${field}`);
  for (let i = path.steps.length; i >= 0; i--) lines.push(`${'  '.repeat(i)}}`);
  return lines.join('\n');
}
