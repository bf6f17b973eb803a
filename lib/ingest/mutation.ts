import type { Database } from '../db.ts';
import { badUserInput, unauthenticated } from '../errors.ts';
import { scopesOf, type Principal } from '../auth/principal.ts';
import { IngestFileError } from './errors.ts';
import { ingestInto } from './ingest.ts';
import { fromString } from './source.ts';
import type { Ingester, IngestReport } from './types.ts';

/** Largest `content` accepted through a mutation; larger files go through the CLI or `POST /ingest/<producer>`, which stream. */
export const MAX_CONTENT_BYTES = 5 * 1024 * 1024;

/**
 * The open `source` of rows an API upload does not label itself. It names the channel, never the caller:
 * the token subject stays restricted (the caller is passed as `actor`). No date either: ATMO, ORSAL and
 * ADEUS compare `source` on upsert, so a re-upload on another day would update every row.
 */
export const API_UPLOAD_SOURCE = 'upload through the TIGA API';

export interface IngestArgs {
  format?: string | null;
  content: string;
  partial?: boolean | null;
}

/** The body of every `ingest<Producer>` mutation (access is checked by the schema's @requiresScopes). */
export async function ingestContent(db: Database, ingesters: readonly Ingester[], args: IngestArgs, principal: Principal): Promise<IngestReport> {
  if (Buffer.byteLength(args.content, 'utf8') > MAX_CONTENT_BYTES) throw badUserInput('content is larger than 5 MB: use the ingest CLI or POST /ingest/<producer>, which stream');
  // @requiresScopes already keeps anonymous callers out; an ingestion never runs without someone to record.
  if (principal.kind !== 'user') throw unauthenticated('ingesting a file needs a token');
  try {
    return await ingestInto(db, ingesters, fromString(args.content), {
      channel: 'mutation',
      format: args.format ?? undefined,
      partial: args.partial ?? false,
      actor: principal.subject,
      scopes: scopesOf(principal),
      source: API_UPLOAD_SOURCE,
    });
  } catch (error) {
    // An unrecognised or ambiguous file is the caller's to fix: say which formats exist.
    if (error instanceof IngestFileError) throw badUserInput(error.message, { argument: 'format' });
    throw error;
  }
}
