import type { AnonymousQuery } from './anonymousQuery.ts';
import { readOpenData, type OpenData } from './readOpenData.ts';

/** What the open contract holds, as the catalogue describes it (readOpenData), read once for every route. */
export type OpenDataReader = () => Promise<OpenData>;

export interface OpenDataCacheOptions {
  /** How long a read stays fresh before it is renewed (in the background), in ms. @default 300000 */
  ttlMs?: number;
  /** How long after a failed first read the next caller tries again, in ms. @default 30000 */
  retryMs?: number;
  warn: (error: unknown, message: string) => void;
}

/**
 * One read of the open data (a few seconds of anonymous operations) shared by `/catalog` and `/ogc`, so both
 * publish the same extents and the hub does the work once. Stale while revalidating: once read, it answers at
 * once and is renewed in the background after `ttlMs`, keeping the last good read when a renewal fails. Before
 * any read succeeded, a caller waits for the read under way; a failed first read is retried after `retryMs`
 * (until then callers get its error), so a producer down is not hammered by every request.
 */
export function openDataCache(query: AnonymousQuery, options: OpenDataCacheOptions): OpenDataReader {
  const ttlMs = options.ttlMs ?? 300_000;
  const retryMs = options.retryMs ?? 30_000;
  let current: { at: number; data: OpenData } | undefined;
  let failure: { at: number; error: unknown } | undefined;
  let pending: Promise<OpenData> | undefined;

  return () => {
    const stale = !current || Date.now() - current.at > ttlMs;
    if (stale && !pending && (current || !failure || Date.now() - failure.at > retryMs)) {
      pending = readOpenData(query)
        .then((data) => {
          current = { at: Date.now(), data };
          failure = undefined;
          return data;
        })
        .catch((error: unknown) => {
          failure = { at: Date.now(), error };
          options.warn(error, current ? 'the open data could not be read again: the last read is served' : 'the open data could not be read');
          throw error;
        })
        .finally(() => {
          pending = undefined;
        });
      // A background renewal's failure is logged above; nobody awaits it.
      if (current) pending.catch(() => {});
    }
    if (current) return Promise.resolve(current.data);
    return pending ?? Promise.reject(failure!.error);
  };
}
