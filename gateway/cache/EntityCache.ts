import { LRUCache } from 'lru-cache';
import type { ChangeListener } from '../../lib/changes/listenForChanges.ts';
import type { ChangeNotice } from '../../lib/changes/changeNotices.ts';
import type { DataFreshness } from './sharedReads.ts';

interface Entry {
  value: unknown;
  /** The subgraph's generation when the fetch that produced it started. */
  generation: number;
}

export interface EntityCacheOptions {
  /** Entries kept at most (least recently used dropped first). @default 100,000 */
  maxEntries?: number;
  /** The producer whose data a schema holds: a producer's schema is its name. */
  subgraphOfSchema?: (schema: string) => string | undefined;
  /** Counts each lookup (hit or miss) by subgraph and kind, for the metrics. */
  onLookup?: (subgraph: string, kind: 'entity' | 'root', hit: boolean) => void;
}

/**
 * The gateway's cache of open subgraph answers: `_entities` results per representation and root fetches, for
 * anonymous requests only. It is never stale: each subgraph has a generation, bumped by every committed write to
 * its producer's tables (announced by the writing transaction itself, lib/changes/); an entry is served only if
 * its subgraph's generation has not moved since the fetch that produced it *started*, so an answer read before
 * a write — even one that arrives after the write's notice — is never kept. While notices cannot be heard (the
 * listening session dropped, or not yet open) the cache is off and empty.
 */
export class EntityCache implements ChangeListener, DataFreshness {
  private readonly entries: LRUCache<string, Entry>;
  private readonly generations = new Map<string, number>();
  private readonly subgraphOfSchema: (schema: string) => string | undefined;
  private listening = false;
  private catchUp?: () => Promise<void>;
  /** The round trip on its way, and the one queued behind it for the requests that arrived meanwhile. */
  private inFlight?: Promise<void>;
  private queued?: Promise<void>;
  private readonly caughtUpFor = new WeakMap<object, Promise<void>>();
  readonly counts = { hits: 0, misses: 0, invalidations: 0, gaps: 0 };
  /** Bumped whenever every kept answer is forgotten at once (a gap, a new listening session, `clear`). */
  resets = 0;
  /** Moves with every write heard and every reset: what the pages' shared reads are checked against. */
  private epoch = 0;

  constructor(private readonly options: EntityCacheOptions = {}) {
    this.entries = new LRUCache<string, Entry>({ max: options.maxEntries ?? 100_000, ttlAutopurge: false });
    this.subgraphOfSchema = options.subgraphOfSchema ?? ((schema) => schema);
  }

  /** On while every committed write is heard. */
  get enabled(): boolean {
    return this.listening;
  }

  /** The version of the data as heard so far (gateway/cache/sharedReads.ts); undefined while writes cannot be heard. */
  version(): number | undefined {
    return this.listening ? this.epoch : undefined;
  }

  /** How to catch up with the notices of writes already committed (a round trip on each listening session). */
  catchUpWith(catchUp: () => Promise<void>): void {
    this.catchUp = catchUp;
  }

  /**
   * Resolves once every write committed before `request` first asked has been heard, so that a write is seen by the
   * very next query even when its notice is still on its way: a round trip that *starts* after the request arrived.
   * One on its way may have been sent before: the requests that arrive meanwhile share the next one, sent as soon
   * as it is back — under load, one round trip per round-trip time, not one per request.
   */
  caughtUp(request: object): Promise<void> {
    let done = this.caughtUpFor.get(request);
    if (!done) {
      done = this.catchUp ? this.roundTripAfterNow(this.catchUp) : Promise.resolve();
      this.caughtUpFor.set(request, done);
    }
    return done;
  }

  private roundTripAfterNow(catchUp: () => Promise<void>): Promise<void> {
    const start = (): Promise<void> => {
      const trip = catchUp().finally(() => {
        if (this.inFlight === trip) this.inFlight = undefined;
      });
      this.inFlight = trip;
      return trip;
    };
    if (!this.inFlight) return start();
    return (this.queued ??= this.inFlight
      .catch(() => {})
      .then(() => {
        this.queued = undefined;
        return start();
      }));
  }

  /** The subgraph's generation: read before a fetch starts, given back to `set`. */
  generation(subgraph: string): number {
    return this.generations.get(subgraph) ?? 0;
  }

  /** Whether an answer is kept for `key` at the subgraph's current generation (a peek: not a counted lookup). */
  holds(subgraph: string, key: string): boolean {
    if (!this.listening) return false;
    const entry = this.entries.peek(`${subgraph}\u0000${key}`);
    return entry !== undefined && entry.generation === this.generation(subgraph);
  }

  get(subgraph: string, kind: 'entity' | 'root', key: string): unknown {
    if (!this.listening) return undefined;
    const entry = this.entries.get(`${subgraph}\u0000${key}`);
    const hit = entry !== undefined && entry.generation === this.generation(subgraph);
    if (hit) this.counts.hits++;
    else this.counts.misses++;
    this.options.onLookup?.(subgraph, kind, hit);
    return hit ? entry.value : undefined;
  }

  /** Keeps `value` for `ttlMs`, unless the subgraph's data changed since `generation` (the fetch's start). */
  set(subgraph: string, key: string, value: unknown, ttlMs: number, generation: number): void {
    if (!this.listening || ttlMs <= 0 || generation !== this.generation(subgraph)) return;
    this.entries.set(`${subgraph}\u0000${key}`, { value, generation }, { ttl: ttlMs });
  }

  /** Everything `subgraph` served before now is forgotten. */
  invalidate(subgraph: string): void {
    this.generations.set(subgraph, this.generation(subgraph) + 1);
    this.epoch++;
    this.counts.invalidations++;
  }

  onChange(notice: ChangeNotice): void {
    const subgraph = this.subgraphOfSchema(notice.schema);
    if (subgraph) this.invalidate(subgraph);
  }

  onGap(): void {
    this.listening = false;
    this.epoch++;
    this.counts.gaps++;
    for (const subgraph of new Set([...this.generations.keys()])) this.invalidate(subgraph);
    this.entries.clear();
    this.resets++;
  }

  onListening(): void {
    // Whatever was cached before the session (re)opened may predate a write nobody heard.
    this.entries.clear();
    for (const subgraph of new Set([...this.generations.keys()])) this.invalidate(subgraph);
    this.resets++;
    // A read kept before the gap may predate a write nobody heard, whatever subgraphs were known.
    this.epoch++;
    this.listening = true;
  }

  /** Forgets every kept answer (tests that count a subgraph's work start from a cold cache). */
  clear(): void {
    this.entries.clear();
    this.epoch++;
    this.resets++;
  }

  get size(): number {
    return this.entries.size;
  }
}
