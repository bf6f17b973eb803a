import { badUserInput } from './errors.ts';

/** Page size when `first` is omitted. */
export const DEFAULT_PAGE_SIZE = 100;
/** Largest `first` any connection accepts; documented in the schema descriptions. */
export const MAX_PAGE_SIZE = 1000;

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

export interface Page<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** Validates `first` and decodes `after` into the keyset position it stands for. */
export function readPageArgs<K>(args: PageArgs): { limit: number; after: K | undefined } {
  const first = args.first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw badUserInput(`first must be between 1 and ${MAX_PAGE_SIZE}`, { argument: 'first' });
  }
  return { limit: first, after: args.after ? decodeCursor<K>(args.after) : undefined };
}

export function encodeCursor(key: unknown): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor<K>(cursor: string): K {
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as K;
  } catch {
    throw badUserInput('after is not a cursor returned by this API', { argument: 'after' });
  }
}

/**
 * Builds a page from `limit + 1` rows fetched in key order: the extra row only tells
 * whether another page exists.
 */
export function toPage<T>(rows: T[], limit: number, keyOf: (row: T) => unknown): Page<T> {
  const nodes = rows.slice(0, limit);
  const edges = nodes.map((node) => ({ cursor: encodeCursor(keyOf(node)), node }));
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > limit, endCursor: edges.at(-1)?.cursor ?? null },
  };
}
