/**
 * What a cache of whole open-data reads (the explorer pages') needs to be as fresh as the entity cache: a version
 * that moves with every committed write the gateway hears, and the round trip that hears the writes committed
 * before a request (gateway/cache/EntityCache.ts implements both).
 */
export interface DataFreshness {
  /** Moves with every write heard; undefined while writes cannot be heard (an entry is then bounded by its lifetime only). */
  version(): number | undefined;
  /** Resolves once every write committed before `request` first asked has been heard. */
  caughtUp(request: object): Promise<void>;
}

export interface SharedReadsOptions {
  /** How long a read is served, in ms, at most. */
  ttlMs: number;
  /** Reads kept at most (the oldest is dropped first): the keys are bounded by validated parameters anyway. */
  maxEntries: number;
  /** With it, a read is served only while no write was heard since it started. @default lifetime only */
  freshness?: DataFreshness;
  now?: () => number;
}

/**
 * Reads by key, shared by every visitor for at most `ttlMs` and, with `freshness`, never past a write committed
 * before the visitor asked: an entry (or a read on its way) is served only at the version it started at, checked
 * after the round trip that hears earlier writes — the rule the entity cache follows, so a page never shows
 * what `/graphql` no longer answers. Concurrent misses of one key at one version share one read; a failed read
 * is not kept, so the next request tries again. Without `freshness`, or while writes cannot be heard, an entry
 * lives its lifetime.
 */
export function sharedReads<T>(options: SharedReadsOptions): (key: string, read: () => Promise<T>, request?: object) => Promise<T> {
  const now = options.now ?? Date.now;
  const { freshness } = options;
  const entries = new Map<string, { value: T; at: number; version: number | undefined }>();
  const pending = new Map<string, { reading: Promise<T>; version: number | undefined }>();
  return async (key, read, request = {}) => {
    const live = () => {
      const kept = entries.get(key);
      return kept && now() - kept.at < options.ttlMs ? kept : undefined;
    };
    // The catch-up round trip only when something kept could answer: a miss reads the producers as they are now.
    if (freshness && (live() || pending.has(key)) && freshness.version() !== undefined) await freshness.caughtUp(request);
    const version = freshness?.version();
    const hit = live();
    if (hit && hit.version === version) return hit.value;
    const inFlight = pending.get(key);
    if (inFlight && inFlight.version === version) return inFlight.reading;
    const flight = {
      version,
      reading: read()
        .then((value) => {
          entries.delete(key);
          if (entries.size >= options.maxEntries) entries.delete(entries.keys().next().value!);
          entries.set(key, { value, at: now(), version });
          return value;
        })
        .finally(() => {
          if (pending.get(key) === flight) pending.delete(key);
        }),
    };
    pending.set(key, flight);
    return flight.reading;
  };
}
