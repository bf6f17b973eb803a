import { createHash } from 'node:crypto';

/** A value read once and shared: its JSON body and the strong ETag of those bytes. */
export interface CachedBody {
  body: string;
  etag: string;
  at: number;
}

export interface TimedCacheOptions {
  /** How long a body is served before it is read again, in ms. */
  ttlMs: number;
  /** Bodies kept at most (the oldest is dropped first): the keys are bounded by validated parameters anyway. */
  maxEntries: number;
}

/**
 * Bodies by key, read at most once per `ttlMs` whatever the number of visitors: concurrent misses of one key
 * share one read (single flight), and a failed read is not kept, so the next request tries again.
 */
export function timedCache(options: TimedCacheOptions) {
  const entries = new Map<string, CachedBody>();
  const pending = new Map<string, Promise<CachedBody>>();
  return (key: string, read: () => Promise<unknown>): Promise<CachedBody> => {
    const hit = entries.get(key);
    if (hit && Date.now() - hit.at < options.ttlMs) return Promise.resolve(hit);
    const inFlight = pending.get(key);
    if (inFlight) return inFlight;
    const reading = read()
      .then((value) => {
        const body = JSON.stringify(value);
        const entry = { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`, at: Date.now() };
        entries.delete(key);
        if (entries.size >= options.maxEntries) entries.delete(entries.keys().next().value!);
        entries.set(key, entry);
        return entry;
      })
      .finally(() => pending.delete(key));
    pending.set(key, reading);
    return reading;
  };
}
