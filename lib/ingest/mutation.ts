import { Readable } from 'node:stream';
import type { Knex } from 'knex';
import { badUserInput } from '../errors.ts';
import type { Principal } from '../auth/principal.ts';
import type { Ingester, IngestReport } from './types.ts';

/** Largest `content` accepted through the API; larger files go through the streaming CLI. */
export const MAX_CONTENT_BYTES = 5 * 1024 * 1024;

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
  const actor = principal.kind === 'user' ? principal.subject : undefined;
  return ingester.ingest(knex, Readable.from([args.content]), { partial: args.partial ?? false, actor, source: `API upload by ${actor ?? 'unknown'}` });
}
