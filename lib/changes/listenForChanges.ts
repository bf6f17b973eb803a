import pg from 'pg';
import type { Database } from '../db.ts';
import { CHANGES_CHANNEL, parseChangeNotice, type ChangeNotice } from './changeNotices.ts';

export interface ChangeListener {
  /** Called for every committed write, in commit order. */
  onChange(notice: ChangeNotice): void;
  /**
   * Called when notices may have been missed (the listening session dropped, before it listens again): whatever
   * the listener derived from the data must be forgotten.
   */
  onGap(reason: string): void;
  /** Called each time the session listens (again): from then on no committed write goes unannounced. */
  onListening(): void;
}

/**
 * Listens to the committed writes announced on the database (lib/changes/changeNotices.ts). Embedded: on PGlite's
 * one session, in process. PostgreSQL: a session of its own (LISTEN holds it), reopened after a drop with a
 * back-off; a drop is reported as a gap first, since notices sent meanwhile are lost. Resolves after the first attempt
 * (onListening tells when it listens); the returned function stops.
 */
/** A listening session: `caughtUp` resolves once every write committed before it was called has been heard. */
export interface Listening {
  stop(): Promise<void>;
  caughtUp(): Promise<void>;
}

export async function listenForChanges(db: Database, listener: ChangeListener): Promise<Listening> {
  const deliver = (payload: string | undefined) => {
    const notice = parseChangeNotice(payload);
    if (notice) listener.onChange(notice);
  };
  if (db.pglite) {
    const unlisten = await db.pglite.listen(CHANGES_CHANNEL, deliver);
    listener.onListening();
    // PGlite hands a commit's notices to its listeners before the committing statement resolves: nothing is ever
    // on its way (a round trip would only queue behind the one session's other statements).
    return { stop: unlisten, caughtUp: async () => {} };
  }
  if (!db.url) throw new Error('listenForChanges: the database has neither a URL nor an embedded session');
  const url = db.url;
  let stopped = false;
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  let backoffMs = 250;
  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString: url, application_name: 'tiga change listener' });
    next.on('notification', (message) => message.channel === CHANGES_CHANNEL && deliver(message.payload));
    const lost = (reason: string) => {
      if (client !== next) return;
      client = undefined;
      next.removeAllListeners('end');
      void next.end().catch(() => {});
      listener.onGap(reason);
      if (!stopped) retry = setTimeout(() => void connect().catch(() => {}), backoffMs);
      backoffMs = Math.min(backoffMs * 2, 10_000);
    };
    next.on('error', (err) => lost(`listening session failed: ${err.message}`));
    next.on('end', () => lost('listening session ended'));
    client = next;
    try {
      await next.connect();
      await next.query(`listen ${CHANGES_CHANNEL}`);
      backoffMs = 250;
      if (client === next) listener.onListening();
    } catch (err) {
      lost(`cannot listen: ${(err as Error).message}`);
    }
  };
  // A database down at start is retried in the background: until then the listener is told nothing is announced.
  await connect();
  return {
    stop: async () => {
      stopped = true;
      if (retry) clearTimeout(retry);
      const current = client;
      client = undefined;
      await current?.end().catch(() => {});
    },
    // A notice reaches this session asynchronously after its commit. A round trip on the session closes that gap:
    // PostgreSQL signals the listening backend during the commit, and the backend sends pending notices before the
    // answer to a later statement, which the client hands over in order. Not listening: nothing to catch up with
    // (the cache is off).
    caughtUp: async () => {
      await client?.query('select 1').catch(() => {});
    },
  };
}
