import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Knex } from 'knex';
import {
  buildASTSchema,
  buildClientSchema,
  getIntrospectionQuery,
  getNamedType,
  getNullableType,
  isAbstractType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  parse,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
  type IntrospectionQuery,
} from 'graphql';
import { QUERY_LIMITS } from '../../gateway/gateway.ts';
import { readSupergraph } from '../../gateway/supergraph.ts';
import { DEFAULT_COST_BUDGET } from '../../lib/cost/budget.ts';
import { readCostPolicy } from '../../lib/cost/costPolicy.ts';
import { operationCost } from '../../lib/cost/operationCost.ts';
import { ingestContent } from '../../lib/ingest/mutation.ts';
import type { Ingester, IngestOptions } from '../../lib/ingest/types.ts';
import { bearer } from '../support/auth.ts';
import { gatewayQuery, testHub } from '../support/hub.ts';
import type { GraphQLResponse } from '../support/subgraph.ts';

/**
 * Finding: after validation a contribution's open `title` and `provenance.source` read "API upload by
 * <subject>", a sensor ingested through the API too, and every producer's rows ingested through the API
 * carried the token subject in their open `source`. Contributor identities are restricted; generated
 * titles and sources name no one. The last test crawls the whole open schema, whatever it holds.
 */
const SUBJECTS = {
  citizen: 'alice.martin@example.org',
  contributor: 'contrib-7f3a',
  moderator: 'moderator.dupont@example.org',
  atmo: 'atmo-feed-7f3a',
  adeus: 'adeus-feed-7f3a',
};
// Distinctive subjects other files of the suite write with (moderation, contributions, imports): if one
// of them ran first, its uploads are scanned too.
const SUITE_SUBJECTS = ['sc-network-feed-7f3a', 'moderator-contrib-7f3a', 'owner-7f3a', 'legacy-uploader-7f3a', 'citizen-ana', 'citizen-bob', 'moderator-1', 'importer-citizen-csv', 'importer-citizen-geojson'];

const INGEST = (producer: string) => `mutation ($format: String!, $content: String!) { ingest${producer}(format: $format, content: $content) { committed inserted updated rejected { line reason } } }`;
const MODERATE_CONTRIBUTION = 'mutation ($id: ID!, $version: Int!) { moderateContribution(id: $id, version: $version, decision: VALIDATED) { id status } }';
const MODERATE_SENSOR = 'mutation ($id: ID!) { moderateSensor(id: $id, decision: VALIDATED) }';
const SENSOR = 980001;
const ATMO_DAY = '2019-06-15';
const ADEUS_YEAR = 2025;

describe('identities: no open field names who uploaded or moderated', () => {
  let knex: Knex;
  let contributionId: string;
  let sensorId: string;
  const headers: Record<string, Record<string, string>> = {};

  async function mutate(query: string, variables: Record<string, unknown>, who: keyof typeof SUBJECTS) {
    const response = await gatewayQuery(query, variables, headers[who]);
    expect(response.errors, query).toBeUndefined();
    return response.data;
  }

  beforeAll(async () => {
    const hub = await testHub();
    knex = hub.subgraph('community').db.knex;
    headers.citizen = await bearer(['community:contribute'], SUBJECTS.citizen);
    headers.contributor = await bearer(['community:contribute'], SUBJECTS.contributor);
    headers.moderator = await bearer(['community:moderate'], SUBJECTS.moderator);
    headers.atmo = await bearer(['producer:atmo'], SUBJECTS.atmo);
    headers.adeus = await bearer(['producer:adeus'], SUBJECTS.adeus);

    // A citizen dataset and a citizen sensor, uploaded through the API by files that name no source, then validated.
    const csv = 'lon,lat,type,etat\n7.7585,48.5786,banc,bon\n7.7601,48.5779,fontaine,en panne\n';
    const dataset = await mutate(INGEST('Community'), { format: 'citizen-csv', content: csv }, 'citizen');
    expect(dataset.ingestCommunity).toMatchObject({ committed: true, inserted: 2 });
    const contribution = await knex('community.contribution').where('contributor', SUBJECTS.citizen).orderBy('id', 'desc').first();
    contributionId = String(contribution.id);
    await mutate(MODERATE_CONTRIBUTION, { id: contributionId, version: contribution.version }, 'moderator');
    const reading = { timestamp: '2025-01-10 10:00:00', location: { latitude: '48.583', longitude: '7.746' }, sensor: { id: SENSOR, sensor_type: { name: 'SDS011' } }, sensordatavalues: [{ value_type: 'P2', value: '9.5' }] };
    const sensor = await mutate(INGEST('Community'), { format: 'sensor-community-json', content: JSON.stringify([reading]) }, 'contributor');
    expect(sensor.ingestCommunity).toMatchObject({ committed: true, inserted: 1 });
    // A contributor's own sensor gets an id of the hub's drawing (cs-…), never the network's sc-<node>.
    const own = await knex('community.sensor').where({ owner_subject: SUBJECTS.contributor, local_id: String(SENSOR) }).first();
    sensorId = own.id;
    await mutate(MODERATE_SENSOR, { id: sensorId }, 'moderator');

    // Producers' files without a source column, through the API: an indice ATMO and an ADEUS urban indicator.
    const indice = `date_ech,code_zone,lib_zone,type_zone,code_qual,code_no2,code_so2,code_o3,code_pm10,code_pm25\n${ATMO_DAY},67482,Strasbourg,COMMUNE,2,2,1,2,1,1\n`;
    expect((await mutate(INGEST('Atmo'), { format: 'indice-csv', content: indice }, 'atmo')).ingestAtmo).toMatchObject({ committed: true, inserted: 1 });
    const urban = `territory_code,year,green_space_share,impervious_share\n67482,${ADEUS_YEAR},30.1,64.2\n`;
    expect((await mutate(INGEST('Adeus'), { format: 'urban-indicators-csv', content: urban }, 'adeus')).ingestAdeus).toMatchObject({ committed: true, inserted: 1 });
  });

  afterAll(async () => {
    // The run shares one seeded database: leave it as the seed wrote it.
    const hub = await testHub();
    await knex('community.sensor').where({ owner_subject: SUBJECTS.contributor }).delete();
    await knex('community.contribution').whereIn('contributor', Object.values(SUBJECTS)).delete();
    await hub.subgraph('atmo').db.knex('atmo.daily_index').where({ code_zone: '67482', date_ech: ATMO_DAY }).delete();
    await hub.subgraph('adeus').db.knex('adeus.urban_indicator').where({ territory_code: '67482', year: ADEUS_YEAR }).delete();
  });

  it("a validated contribution's generated title and source name no one; the contributor stays restricted", async () => {
    const open = await gatewayQuery('query ($id: ID!) { contribution(id: $id) { title provenance { source } history { reason } } }', { id: contributionId });
    expect(open.errors).toBeUndefined();
    const { title, provenance } = open.data.contribution;
    expect(title).toMatch(/^Citizen dataset: upload through the TIGA API, \d{4}-\d{2}-\d{2}$/);
    expect(provenance.source).toBe('upload through the TIGA API');
    expect(JSON.stringify(open.data)).not.toContain('alice');
    const restricted = await gatewayQuery('query ($id: ID!) { contribution(id: $id) { contributor contact history { by } } }', { id: contributionId }, headers.moderator);
    expect(restricted.data.contribution).toEqual({ contributor: SUBJECTS.citizen, contact: SUBJECTS.citizen, history: [{ by: SUBJECTS.citizen }, { by: SUBJECTS.moderator }] });
  });

  it("a sensor ingested through the API names no one in its provenance; its owner is recorded, restricted", async () => {
    const open = await gatewayQuery('query ($id: ID!) { sensor(id: $id) { provenance { producerName source } } }', { id: sensorId });
    expect(open.errors).toBeUndefined();
    expect(open.data.sensor.provenance.source).toBe('upload through the TIGA API');
    expect(JSON.stringify(open.data)).not.toContain(SUBJECTS.contributor);
    const stored = await knex('community.sensor').where('id', sensorId).first();
    expect(stored.owner_subject).toBe(SUBJECTS.contributor);
    const history = await knex('community.status_history').where('sensor_id', sensorId).orderBy('id').select('changed_by');
    expect(history.map((h) => h.changed_by)).toEqual([SUBJECTS.contributor, SUBJECTS.moderator]);
  });

  it("every producer's API upload keeps its token subject out of the open source", async () => {
    const seen: IngestOptions[] = [];
    const recorder: Ingester = {
      producer: 'any',
      format: 'any',
      description: 'records what it is given',
      detect: () => 3,
      ingest: async (_knex, _source, options) => (seen.push(options), { producer: 'any', format: 'any', encoding: 'utf-8', committed: true, read: 0, inserted: 0, updated: 0, unchanged: 0, skipped: [], rejected: [] }),
    };
    const principal = { kind: 'user', subject: 'orsal-feed@ors-grandest.example.org', client: null, scopes: new Set(['producer:orsal']), tokenId: null } as const;
    await ingestContent({ knex, engine: 'postgres', close: async () => {} }, [recorder], { format: 'any', content: '' }, principal);
    expect(seen[0]).toMatchObject({ actor: principal.subject, source: 'upload through the TIGA API' });

    const atmo = await gatewayQuery(`{ territory(code: "67482") { airQuality(from: "${ATMO_DAY}", to: "${ATMO_DAY}") { source } urban(year: ${ADEUS_YEAR}) { source } } }`);
    expect(atmo.data.territory).toEqual({ airQuality: [{ source: 'upload through the TIGA API' }], urban: { source: 'upload through the TIGA API' } });
  });

  it('no string an anonymous caller can reach, anywhere in the open schema, contains a subject that uploaded or moderated', { timeout: 600_000 }, async () => {
    const started = Date.now();
    const crawl = await crawlOpenSchema((query) => gatewayQuery(query));
    console.log(`crawled the open schema: ${crawl.queries} queries, ${crawl.strings.size} distinct strings, ${Math.round((Date.now() - started) / 1000)} s`);
    expect(crawl.skipped, 'open root fields whose required arguments the crawl cannot sample').toEqual([]);
    expect(crawl.errors).toEqual([]);
    const leaks = [...Object.values(SUBJECTS), ...SUITE_SUBJECTS]
      .map((subject) => ({ subject, strings: [...crawl.strings].filter((s) => s.toLowerCase().includes(subject.toLowerCase())) }))
      .filter((leak) => leak.strings.length > 0);
    expect(leaks, 'open strings naming a subject').toEqual([]);
    // The crawl reached what was uploaded above, so it would have seen a leak there.
    expect(crawl.strings).toContain(sensorId);
    expect(crawl.strings).toContain(contributionId);
    expect(crawl.strings).toContain(ATMO_DAY);
    expect(crawl.strings).toContain('upload through the TIGA API');
    expect([...crawl.strings].some((s) => s.startsWith('Citizen dataset: upload through the TIGA API'))).toBe(true);
  });
});

/* ---------------------------------------------------------------------------------------------------------
 * A generic crawler of the open schema. It introspects what an anonymous caller may see and queries every
 * root field whose required arguments it can sample: a territory code, the seed's date range (year by year
 * where a field bounds its range), ids seen in earlier answers. It selects every leaf field down to four
 * object levels (a connection's edges and node count as one), cuts each query to the gateway's cost and
 * token limits, follows every page of root connections and, through the root lookup of their entity
 * (`airStation(id:)`, `sensor(id:)`…), of nested ones; and it collects every string of every answer.
 * ------------------------------------------------------------------------------------------------------- */

const TERRITORY = '67482';
const SEED_RANGE: Window = { from: '2019-01-01', to: '2025-12-31' };
const YEARS: Window[] = Array.from({ length: 7 }, (_, i) => ({ from: `${2019 + i}-01-01`, to: `${2019 + i}-12-31` }));
const MAX_LEVELS = 4;
const PAGE_SIZE = 1000;
const MAX_PAGES = 200;
const IDS_PER_TYPE = 10;
// The gateway's limits: the cost its estimator gives a query (lib/cost/, from the supergraph's directives), and tokens.
const MAX_COST = DEFAULT_COST_BUDGET;
const SUPERGRAPH = buildASTSchema(parse(readSupergraph()), { assumeValidSDL: true });
const PRICES = readCostPolicy(SUPERGRAPH);
const MAX_TOKENS = QUERY_LIMITS.maxTokens - 200;
const SKIP = Symbol('skip');

type Window = { from: string; to: string };
/** `plain`: every field without a date range; `dated`: the paths to date-ranged fields, over a window. */
type Mode = 'plain' | 'dated';
type Field = GraphQLField<unknown, unknown>;
type Ask = (query: string) => Promise<GraphQLResponse>;

/** One selected field: a leaf, an object (or list of objects), or a connection (edges → node, pageInfo). */
interface Sel {
  kind: 'leaf' | 'object' | 'connection';
  field: Field;
  /** Sampled arguments, except the page (`first`, `after`) and the date range, set when rendering. */
  args: Record<string, unknown>;
  children: Sel[];
  first?: number;
  after?: string;
  /** The connection this query pages through. */
  paged?: boolean;
}

interface Task {
  root: Sel;
  window: Window;
}

interface Crawl {
  strings: Set<string>;
  skipped: string[];
  errors: string[];
  queries: number;
}

const isDated = (field: Field) => field.args.some((a) => a.name === 'from' || a.name === 'to');

function connectionNode(type: GraphQLNamedType): GraphQLObjectType | null {
  if (!isObjectType(type)) return null;
  const { edges, pageInfo } = type.getFields();
  if (!edges || !pageInfo) return null;
  const edge = getNamedType(edges.type);
  const node = isObjectType(edge) ? edge.getFields().node : undefined;
  const nodeType = node && getNamedType(node.type);
  return nodeType && isObjectType(nodeType) ? nodeType : null;
}

function literal(value: unknown, type: GraphQLInputType): string {
  const inner = getNullableType(type);
  if (isListType(inner)) return `[${(value as unknown[]).map((v) => literal(v, inner.ofType)).join(' ')}]`;
  if (isEnumType(inner)) return String(value);
  if (isInputObjectType(inner)) {
    const fields = inner.getFields();
    return `{ ${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${k}: ${literal(v, fields[k]!.type)}`).join(' ')} }`;
  }
  return JSON.stringify(value);
}

/** A value for a required argument, by its name (a territory code) or its type; SKIP when none fits. */
function sampleRequired(name: string, type: GraphQLInputType): unknown {
  const inner = getNullableType(type);
  if (name === 'code' || name === 'territory') return TERRITORY;
  if (isEnumType(inner)) return inner.getValues()[0]!.value;
  if (isInputObjectType(inner)) {
    // An input object is sampled by the fields it can fill (AreaInput: { territory }).
    const filled = Object.entries(inner.getFields())
      .map(([field, spec]) => [field, sampleRequired(field, spec.type)] as const)
      .filter(([, value]) => value !== SKIP);
    return filled.length ? Object.fromEntries(filled) : SKIP;
  }
  return SKIP;
}

/** The arguments the crawl gives `field` (optional ones are left out); SKIP when a required one cannot be sampled. */
function sampleArgs(field: Field, given: Record<string, unknown> = {}): Record<string, unknown> | typeof SKIP {
  const args: Record<string, unknown> = {};
  for (const arg of field.args as readonly GraphQLArgument[]) {
    if (['first', 'after', 'from', 'to'].includes(arg.name)) continue;
    if (arg.name in given) args[arg.name] = given[arg.name];
    else if (isNonNullType(arg.type) && arg.defaultValue === undefined) {
      const value = sampleRequired(arg.name, arg.type);
      if (value === SKIP) return SKIP;
      args[arg.name] = value;
    }
  }
  return args;
}

/** The selection of `field`, or null when nothing is left to select in this mode. */
function build(field: Field, level: number, mode: Mode, insideDated: boolean, given: Record<string, unknown> = {}, path: string[] = []): Sel | null {
  const args = sampleArgs(field, given);
  if (args === SKIP) return null;
  const type = getNamedType(field.type);
  const dated = isDated(field);
  if (isLeafType(type)) return { kind: 'leaf', field, args, children: [] };
  const node = connectionNode(type);
  const objectType = node ?? type;
  if (!isObjectType(objectType) || isAbstractType(type)) return null;
  // A type is expanded once per path (Territory.parent.parent…): what lies below is crawled where it first appears.
  if (path.includes(objectType.name)) return null;
  const inside = insideDated || dated;
  const children: Sel[] = [];
  let leadsToDated = dated;
  for (const child of Object.values(objectType.getFields())) {
    if (mode === 'plain' && isDated(child)) continue;
    if (isLeafType(getNamedType(child.type))) {
      // Ids always: nested pages are followed through the entity's root lookup.
      const leaf = mode === 'plain' || inside || child.name === 'id' ? build(child, level, mode, inside) : null;
      if (leaf) children.push(leaf);
      continue;
    }
    if (level >= MAX_LEVELS) continue;
    const sel = build(child, level + 1, mode, inside, {}, [...path, objectType.name]);
    if (!sel) continue;
    if (mode === 'dated' && !inside && !reachesDated(sel)) continue;
    leadsToDated ||= reachesDated(sel);
    children.push(sel);
  }
  if (mode === 'dated' && !insideDated && !leadsToDated) return null;
  if (!children.some((c) => c.field.name !== 'id')) return null;
  return node ? { kind: 'connection', field, args, children, first: 1 } : { kind: 'object', field, args, children };
}

const reachesDated = (sel: Sel): boolean => isDated(sel.field) || sel.children.some(reachesDated);

function render(sel: Sel, window: Window): string {
  const values: Record<string, unknown> = { ...sel.args, ...(isDated(sel.field) ? window : {}) };
  if (sel.first !== undefined) values.first = sel.first;
  if (sel.after !== undefined) values.after = sel.after;
  const args = sel.field.args.filter((a) => values[a.name] !== undefined).map((a) => `${a.name}: ${literal(values[a.name], a.type)}`);
  const head = `${sel.field.name}${args.length ? `(${args.join(' ')})` : ''}`;
  if (sel.kind === 'leaf') return head;
  const inner = `{ __typename ${sel.children.map((c) => render(c, window)).join(' ')} }`;
  return sel.kind === 'object' ? `${head} ${inner}` : `${head} { edges { cursor node ${inner} } pageInfo { hasNextPage endCursor } }`;
}

/**
 * The gateway's price of the query rendered from a root selection, over a leap year: the longest window the
 * crawl falls back to when the seed's whole range is refused (BAD_USER_INPUT, or over budget).
 */
function cost(root: Sel): number {
  return operationCost({ schema: SUPERGRAPH, policy: PRICES, document: parse(`{ ${render(root, YEARS[1]!)} }`) });
}

const tokens = (query: string) => query.match(/[A-Za-z_][A-Za-z0-9_]*|"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|[{}():[\]!$=@]/g)?.length ?? 0;
const fits = (root: Sel) => cost(root) <= MAX_COST && tokens(render(root, SEED_RANGE)) <= MAX_TOKENS;

function pagedOf(sel: Sel): Sel | null {
  if (sel.paged) return sel;
  for (const child of sel.children) {
    const found = pagedOf(child);
    if (found) return found;
  }
  return null;
}

const copy = (sel: Sel, children: Sel[]): Sel => ({ ...sel, children });

/** Smaller selections that together select what `sel` does (each keeps `id` for the pages that follow). */
function split(sel: Sel): Sel[] | null {
  const ids = sel.children.filter((c) => c.field.name === 'id');
  const leaves = sel.children.filter((c) => c.kind === 'leaf' && c.field.name !== 'id');
  const composite = sel.children.filter((c) => c.kind !== 'leaf');
  if (composite.length === 0) return null;
  if (composite.length === 1 && leaves.length === 0) return split(composite[0]!)?.map((part) => copy(sel, [...ids, part])) ?? null;
  return [...(leaves.length ? [copy(sel, [...ids, ...leaves])] : []), ...composite.map((c) => copy(sel, [...ids, c]))];
}

/** Cuts a query into parts within the gateway's limits, with the largest pages that fit. */
function fit(root: Sel): Sel[] {
  const paged = pagedOf(root);
  const sized = (first: number) => {
    if (paged) paged.first = first;
    return cost(root);
  };
  if (paged) {
    const one = sized(1);
    const perItem = sized(2) - one;
    const most = Math.min(PAGE_SIZE, Math.floor((MAX_COST - one) / perItem) + 1);
    // Split rather than crawl a long series a handful of items at a time.
    if (most >= 50 || (most >= 1 && !split(root))) {
      paged.first = most;
      if (tokens(render(root, SEED_RANGE)) <= MAX_TOKENS) return [root];
    }
    paged.first = 1;
  } else if (fits(root)) return [root];
  const parts = split(root);
  if (!parts) throw new Error(`the crawl cannot fit ${render(root, SEED_RANGE)} within the gateway's limits`);
  return parts.flatMap((part) => fit(structuredCopy(part)));
}

/** A deep copy (parts of a split share children, and pages are set per part). */
function structuredCopy(sel: Sel): Sel {
  return { ...sel, children: sel.children.map(structuredCopy) };
}

/** Where `target` lands in the answer to `root` (objects only: the paged connection is never under a list). */
function valueAt(data: unknown, root: Sel, target: Sel): unknown {
  let value = (data as Record<string, unknown> | undefined)?.[root.field.name];
  if (root === target) return value;
  for (const child of root.children) {
    if (child === target || pagedOf(child) === target) return valueAt(value, child, target);
  }
  return undefined;
}

async function crawlOpenSchema(ask: Ask): Promise<Crawl> {
  const introspection = await ask(getIntrospectionQuery());
  const schema: GraphQLSchema = buildClientSchema(introspection.data as IntrospectionQuery);
  const crawl: Crawl = { strings: new Set(), skipped: [], errors: [], queries: 0 };
  const ids = new Map<string, string[]>();
  const tasks: Task[] = [];
  const queued = new Set<string>();
  const roots = Object.values(schema.getQueryType()!.getFields()).filter((f) => !f.name.startsWith('_'));
  const lookupOf = (type: string) => roots.find((f) => getNamedType(f.type).name === type && f.args.some((a) => a.name === 'id' && isNonNullType(a.type)));

  /** Collects strings and ids; a nested connection with more pages becomes a task through its entity's lookup. */
  function walk(value: unknown, sel: Sel, window: Window): void {
    if (typeof value === 'string') crawl.strings.add(value);
    if (value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) return value.forEach((v) => walk(v, sel, window));
    const object = value as Record<string, any>;
    if (sel.kind === 'leaf') return collectJson(object, crawl.strings);
    if (sel.kind === 'connection') {
      for (const edge of object.edges ?? []) {
        crawl.strings.add(edge.cursor);
        walkObject(edge.node, sel, window);
      }
      return;
    }
    walkObject(object, sel, window);
  }

  function walkObject(object: Record<string, any> | null, sel: Sel, window: Window): void {
    if (!object) return;
    if (typeof object.__typename === 'string' && typeof object.id === 'string') {
      const list = ids.get(object.__typename) ?? [];
      if (!list.includes(object.id)) ids.set(object.__typename, [...list, object.id]);
    }
    for (const child of sel.children) {
      const value = object[child.field.name];
      walk(value, child, window);
      if (child.kind !== 'connection' || child.paged || !value?.pageInfo?.hasNextPage) continue;
      const lookup = lookupOf(object.__typename);
      const key = `${object.__typename}:${object.id}:${child.field.name}:${window.from}`;
      if (!lookup || typeof object.id !== 'string' || queued.has(key)) continue;
      queued.add(key);
      const idField = lookup.args.find((a) => a.name === 'id')!;
      const page: Sel = { ...structuredCopy(child), paged: true, after: value.pageInfo.endCursor };
      const idLeaf = (getNamedType(lookup.type) as GraphQLObjectType).getFields().id!;
      tasks.push({ window, root: { kind: 'object', field: lookup, args: { [idField.name]: object.id }, children: [{ kind: 'leaf', field: idLeaf, args: {}, children: [] }, page] } });
    }
  }

  /** Runs one part page by page; 'bad-range' when the seed's whole range is refused. */
  async function runPart(part: Sel, window: Window): Promise<'ok' | 'bad-range'> {
    const paged = pagedOf(part);
    for (let page = 0; page < MAX_PAGES; page++) {
      const query = `{ ${render(part, window)} }`;
      const response = await ask(query);
      crawl.queries++;
      const codes = (response.errors ?? []).map((e) => e.extensions?.code);
      if (window === SEED_RANGE && (codes.includes('BAD_USER_INPUT') || codes.includes('COST_LIMIT_EXCEEDED')) && reachesDated(part)) return 'bad-range';
      for (const error of response.errors ?? []) {
        if (error.extensions?.code !== 'NOT_FOUND') crawl.errors.push(`${query.slice(0, 200)}: ${error.extensions?.code} ${error.message}`);
      }
      walk(response.data?.[part.field.name], part, window);
      const info = paged && (valueAt(response.data, part, paged) as { pageInfo?: { hasNextPage: boolean; endCursor: string } } | null)?.pageInfo;
      if (!paged || !info?.hasNextPage) return 'ok';
      paged.after = info.endCursor;
    }
    crawl.errors.push(`more than ${MAX_PAGES} pages: ${render(part, window).slice(0, 200)}`);
    return 'ok';
  }

  async function execute(root: Sel, window: Window): Promise<void> {
    for (const part of fit(root)) {
      const start = pagedOf(part)?.after;
      if ((await runPart(part, window)) === 'bad-range') {
        for (const year of YEARS) {
          const paged = pagedOf(part);
          if (paged) paged.after = start;
          await runPart(part, year);
        }
      }
    }
  }

  async function crawlRoot(field: Field, given: Record<string, unknown>): Promise<void> {
    for (const mode of ['plain', 'dated'] as const) {
      const root = build(field, 1, mode, false, given);
      if (!root) continue;
      if (root.kind === 'connection') Object.assign(root, { paged: true });
      await execute(root, SEED_RANGE);
    }
    while (tasks.length) {
      const task = tasks.shift()!;
      await execute(task.root, task.window);
    }
  }

  const isLookup = (f: Field) => f === lookupOf(getNamedType(f.type).name);
  // Root fields that need no id first: their answers hold the ids the others are asked with.
  for (const field of roots.filter((f) => !isLookup(f))) {
    if (sampleArgs(field) === SKIP) crawl.skipped.push(field.name);
    else await crawlRoot(field, {});
  }
  for (const field of roots.filter(isLookup)) {
    const seen = ids.get(getNamedType(field.type).name) ?? [];
    if (seen.length === 0) {
      crawl.skipped.push(field.name);
      continue;
    }
    const sample = seen.length <= IDS_PER_TYPE ? seen : [...seen.slice(0, IDS_PER_TYPE / 2), ...seen.slice(-IDS_PER_TYPE / 2)];
    for (const id of sample) await crawlRoot(field, { id });
  }
  return crawl;
}

/** Strings inside a JSON scalar's value (GeoJSON properties, selectors). */
function collectJson(value: unknown, strings: Set<string>): void {
  if (typeof value === 'string') strings.add(value);
  else if (Array.isArray(value)) value.forEach((v) => collectJson(v, strings));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => collectJson(v, strings));
}
