import type { Database } from '../db.ts';
import { pickIngester } from './detect.ts';
import { openSource, type Reopen } from './source.ts';
import type { Ingester, IngestOptions, IngestReport } from './types.ts';
import { mappedSource } from './mapping.ts';
import { IngestFileError } from './errors.ts';
import { recordRun, type Channel, type RunRecord } from './history.ts';
import { causeOf } from './runner.ts';

export interface IngestRequest extends Omit<IngestOptions, 'commit'> {
  /** What brought the file, for the ingest history. @default cli */
  channel?: Channel;
  /** Extra facts for the history of a scheduled pull. */
  pull?: { url: string; etag: string | null; lastModified: string | null };
  /** The format to read the file as; recognised from its content when absent. */
  format?: string;
  /** The file's name: a hint only. */
  fileName?: string;
  /** The producer's declared encoding. @default utf-8, checked */
  encoding?: string;
}

/**
 * The one way a file goes into a producer, whatever brought it (the CLI, `POST /ingest/<producer>`, an
 * `ingest<Producer>` mutation, a scheduled pull): open and decode it, recognise its format (or apply its
 * mapping), and run its reader — in one transaction on PostgreSQL, in short validated batches on the
 * embedded database, whose single session also serves every reader.
 */
export async function ingestInto(db: Database, ingesters: readonly Ingester[], reopen: Reopen, request: IngestRequest): Promise<IngestReport> {
  const startedAt = new Date();
  const producer = ingesters[0]?.producer ?? '?';
  const history = (status: RunRecord['status'], report?: IngestReport, error?: string) =>
    recordRun(db.knex, {
      producer,
      channel: request.channel ?? 'cli',
      sourceName: request.fileName,
      url: request.pull?.url,
      status,
      report,
      startedAt,
      durationMs: Date.now() - startedAt.getTime(),
      etag: request.pull?.etag,
      lastModified: request.pull?.lastModified,
      error,
      actor: request.actor,
    });
  let report: IngestReport;
  try {
    report = await read(db, ingesters, reopen, request);
  } catch (error) {
    await history('failed', undefined, causeOf(error)).catch(() => {});
    throw error;
  }
  await history(report.committed ? 'committed' : 'refused', report);
  return report;
}

async function read(db: Database, ingesters: readonly Ingester[], reopen: Reopen, request: IngestRequest): Promise<IngestReport> {
  const encoding = request.mapping?.encoding ?? request.encoding;
  let ingester: Ingester;
  let source;
  try {
    // Two answers to one question: refuse rather than pick one silently.
    if (request.mapping?.encoding && request.encoding && normalised(request.mapping.encoding) !== normalised(request.encoding)) {
      throw new IngestFileError(0, `the mapping says the file is ${request.mapping.encoding} but the request says ${request.encoding}: say it once`);
    }
    source = await openSource(reopen, { fileName: request.fileName, encoding });
    let format = request.format;
    if (request.mapping) {
      source = await mappedSource(source, request.mapping);
      format = request.mapping.format;
    }
    ingester = pickIngester(ingesters, source, format);
  } catch (error) {
    // A file that cannot be opened or recognised is refused like a malformed one: a report, nothing written.
    if (!(error instanceof IngestFileError)) throw error;
    return refused(ingesters[0]?.producer ?? '?', request.format ?? 'unrecognised', encoding ?? 'utf-8', error);
  }
  return ingester.ingest(db.knex, source, { ...request, commit: db.engine === 'pglite' ? 'batches' : 'transaction' });
}

function refused(producer: string, format: string, encoding: string, error: IngestFileError): IngestReport {
  return { producer, format, encoding, committed: false, read: 0, inserted: 0, updated: 0, unchanged: 0, skipped: [], rejected: [{ line: error.line, reason: error.message }] };
}

const normalised = (encoding: string) => encoding.toLowerCase().replace(/[^a-z0-9]/g, '');
