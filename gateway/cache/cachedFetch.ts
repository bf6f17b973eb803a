import type { GraphQLFormattedError } from 'graphql';
import { sha256 } from '../../lib/sha256.ts';
import type { EntityCache } from './EntityCache.ts';
import type { FetchCachePolicy } from './cachePolicy.ts';

/** What a subgraph fetch gives back (the part the query plan reads). */
export interface FetchResult {
  data?: Record<string, unknown> | null;
  errors?: readonly GraphQLFormattedError[];
  extensions?: Record<string, unknown>;
}

/** JSON with object keys sorted: two equal representations give one key whatever their key order. */
export function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  return `{${Object.keys(value as object)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${stableJson((value as Record<string, unknown>)[key])}`)
    .join(',')}}`;
}

/**
 * The key an entry is kept under: a digest of its text (query, variables, representation), so a key costs the
 * cache 44 bytes whatever the size of what it names (a representation can hold a disc of 65 points).
 */
const keyOf = sha256;

/**
 * One subgraph fetch through the entity cache. A root fetch is kept whole, keyed by its text and variables.
 * An `_entities` fetch is split per representation: the known ones are answered from the cache and only the
 * others are fetched (their errors' paths mapped back to the caller's indices). Nothing from an answer with
 * errors is kept. Values are kept as JSON text, so the query plan's merging never alters a kept answer.
 *
 * `caughtUp` (the round trip that hears writes committed before the request) is awaited only when something kept
 * could answer: a fetch with nothing kept reads the subgraph as it is now, at the generation it saw before, so a
 * notice still on its way makes its answer expire early, never stale.
 */
export async function cachedFetch(
  cache: EntityCache,
  subgraph: string,
  query: string,
  variables: Record<string, unknown> | undefined,
  policy: FetchCachePolicy,
  fetch: (variables: Record<string, unknown> | undefined) => Promise<FetchResult>,
  caughtUp: () => Promise<void> = async () => {},
): Promise<FetchResult> {
  const ttlMs = policy.maxAgeSeconds * 1000;
  const representations = variables?.representations;
  if (!Array.isArray(representations)) {
    const key = keyOf(`${query}\u0000${stableJson(variables ?? {})}`);
    if (cache.holds(subgraph, key)) await caughtUp();
    const known = cache.get(subgraph, 'root', key) as string | undefined;
    if (known !== undefined) return { data: JSON.parse(known) };
    const generation = cache.generation(subgraph);
    const result = await fetch(variables);
    if (!result.errors?.length && result.data) cache.set(subgraph, key, JSON.stringify(result.data), ttlMs, generation);
    return result;
  }
  const { representations: _, ...rest } = variables!;
  const prefix = `${query}\u0000${stableJson(rest)}\u0000`;
  // The query plan builds every representation of one fetch from the same key selection, in its order: native
  // JSON.stringify names equal ones alike (one reached through another plan, ordered otherwise, only misses).
  const keys = representations.map((representation) => keyOf(prefix + JSON.stringify(representation)));
  if (keys.some((key) => cache.holds(subgraph, key))) await caughtUp();
  const answers: unknown[] = new Array(representations.length);
  const missing: number[] = [];
  keys.forEach((key, i) => {
    const known = cache.get(subgraph, 'entity', key) as string | undefined;
    if (known === undefined) missing.push(i);
    else answers[i] = JSON.parse(known);
  });
  if (!missing.length) return { data: { _entities: answers } };
  const generation = cache.generation(subgraph);
  const result = await fetch(missing.length === representations.length ? variables : { ...rest, representations: missing.map((i) => representations[i]) });
  const fetched = (result.data?._entities as unknown[] | undefined) ?? [];
  missing.forEach((index, j) => {
    answers[index] = fetched[j] ?? null;
  });
  if (!result.errors?.length && Array.isArray(result.data?._entities) && fetched.length === missing.length) {
    missing.forEach((index, j) => cache.set(subgraph, keys[index]!, JSON.stringify(fetched[j]), ttlMs, generation));
  }
  const errors = result.errors?.map((error) =>
    error.path?.[0] === '_entities' && typeof error.path[1] === 'number' && missing[error.path[1]] !== undefined ? { ...error, path: ['_entities', missing[error.path[1]]!, ...error.path.slice(2)] } : error,
  );
  return { ...result, data: result.data === null && !fetched.length ? null : { ...(result.data ?? {}), _entities: answers }, ...(errors ? { errors } : {}) };
}
