import type { ChangeListener, Listening } from '../../lib/changes/listenForChanges.ts';

/** Starts listening for one database's committed writes. */
export type ChangeSource = (listener: ChangeListener) => Promise<Listening>;

/**
 * Listens to every source on behalf of `target`: it hears each change, and is told it listens only while all
 * sources do (a gap in any one is a gap for the cache: a write there would go unheard).
 */
export async function allListening(sources: ChangeSource[], target: ChangeListener, warn: (err: unknown, message: string) => void): Promise<Listening> {
  const listening = new Set<number>();
  const stops = await Promise.all(
    sources.map((source, i) =>
      source({
        onChange: (notice) => target.onChange(notice),
        onGap: (reason) => {
          listening.delete(i);
          warn(undefined, `entity cache off until the database's change notices are heard again: ${reason}`);
          target.onGap(reason);
        },
        onListening: () => {
          listening.add(i);
          if (listening.size === sources.length) target.onListening();
        },
      }).catch((err: unknown): Listening => {
        warn(err, 'entity cache off: cannot listen to a database\'s change notices');
        return { stop: async () => {}, caughtUp: async () => {} };
      }),
    ),
  );
  return {
    stop: async () => void (await Promise.all(stops.map((s) => s.stop()))),
    caughtUp: async () => void (await Promise.all(stops.map((s) => s.caughtUp()))),
  };
}
