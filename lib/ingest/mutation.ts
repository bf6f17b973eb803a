import { Readable } from 'node:stream';
import type { Knex } from 'knex';
import { badUserInput, unauthenticated } from '../errors.ts';
import { scopesOf, type Principal } from '../auth/principal.ts';
import type { Ingester, IngestReport } from './types.ts';

/** Largest `content` accepted through the API; larger files go through the streaming CLI. */
export const MAX_CONTENT_BYTES = 5 * 1024 * 1024;

/**
 * The open `source` of rows an API upload does not label itself. It names the channel, never the caller:
 * the token subject stays restricted (the caller is passed as `actor`). No date either: ATMO, ORSAL and
 * ADEUS compare `source` on upsert, so a re-upload on another day would update every row.
 */
export const API_UPLOAD_SOURCE = 'upload through the TIGA API';

export interface IngestArgs {
  format: string;
  content: string;
  partial?: boolean | null;
}

/** The body of every `ingest<Producer>` mutation (access is checked by the schema's @requiresScopes). */
export async function ingestContent(knex: Knex, ingesters: Ingester[], args: IngestArgs, principal: Principal): Promise<IngestReport> {
  const ingester = ingesters.find((i) => i.format === args.format);
  if (!ingester) throw badUserInput(`unknown format "${args.format}" (${ingesters.map((i) => i.format).join(', ')})`);
  if (Buffer.byteLength(args.content, 'utf8') > MAX_CONTENT_BYTES) throw badUserInput('content is larger than 5 MB: use the ingest CLI, which streams');
  // @requiresScopes already keeps anonymous callers out; an ingestion never runs without someone to record.
  if (principal.kind !== 'user') throw unauthenticated('ingesting a file needs a token');
  return ingester.ingest(knex, Readable.from([args.content]), {
    partial: args.partial ?? false,
    actor: principal.subject,
    scopes: scopesOf(principal),
    source: API_UPLOAD_SOURCE,
  });
}
