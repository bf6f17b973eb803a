import type { Database } from '../db.ts';
import { listenForChanges, type ChangeListener, type Listening } from './listenForChanges.ts';

/** One change source per distinct database (same URL, or the same embedded session): each is listened to once. */
export function changeSourcesOf(dbs: Pick<Database, 'url' | 'pglite'>[]): ((listener: ChangeListener) => Promise<Listening>)[] {
  const distinct = new Map<unknown, Pick<Database, 'url' | 'pglite'>>();
  for (const db of dbs) distinct.set(db.pglite ?? db.url, db);
  return [...distinct.values()].map((db) => (listener: ChangeListener) => listenForChanges(db as Database, listener));
}
