import { createHash } from 'node:crypto';
import { sharedReads, type SharedReadsOptions } from '../../cache/sharedReads.ts';

/** A value read once and shared: its JSON body and the strong ETag of those bytes. */
export interface CachedBody {
  body: string;
  etag: string;
  at: number;
}

/**
 * JSON bodies by key, read at most once per `ttlMs` whatever the number of visitors and, with `freshness`, read
 * again after any write heard (gateway/cache/sharedReads.ts): concurrent misses share one read, a failed read is
 * not kept. `request` is the visitor's, for the round trip that hears the writes committed before it asked.
 */
export function timedCache(options: SharedReadsOptions) {
  const reads = sharedReads<CachedBody>(options);
  return (key: string, read: () => Promise<unknown>, request?: object): Promise<CachedBody> =>
    reads(key, async () => {
      const body = JSON.stringify(await read());
      return { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`, at: Date.now() };
    }, request);
}
