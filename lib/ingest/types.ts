import type { Knex } from 'knex';
import type { Source } from './source.ts';
import type { Mapping } from './mapping.ts';

/** One row (CSV line, JSON array element, GeoJSON feature) that was not imported, and why. */
export interface RejectedRow {
  /** 1-based line number in the file for CSV (the header is line 1), or 1-based element/feature number for JSON/GeoJSON. */
  line: number;
  reason: string;
}

export interface IngestOptions {
  /** Import the valid rows and report the rejects instead of refusing the whole file. @default false */
  partial: boolean;
  /**
   * Who ingests (token subject). Kept only where the producer records it restricted (e.g. a community sensor's
   * owner, its moderation history); never written into an open field such as `source`.
   */
  actor?: string;
  /**
   * The API caller's token scopes, for producers whose rows have owners (community sensors: only their owner,
   * or producer:community for an external network's, sends readings). @default undefined: the CLI, which runs
   * with the database's own credentials on the producer's behalf
   */
  scopes?: readonly string[];
  /**
   * Provenance for rows whose file does not name its source (the CLI passes the file name, the API a generic
   * label). Open: it never names a person or a token subject. @default the producer's name
   */
  source?: string;
  /**
   * How writes are committed. `transaction`: the whole file in one transaction (PostgreSQL, where readers go
   * on reading beside it). `batches`: the file is validated in full first, then written in short
   * transactions, so that readers sharing the embedded database's single session are served between them.
   * @default transaction
   */
  commit?: 'transaction' | 'batches';
  /** A declarative mapping of the source's columns onto one of the producer's formats (lib/ingest/mapping.ts). */
  mapping?: Mapping;
  /** The time zone of date-times a format publishes without one, when the producer says it (e.g. `--timezone Europe/Paris`). */
  timezone?: string;
}

/** Rows left out on purpose for one reason (they do not refuse the file). */
export interface SkippedRows {
  reason: string;
  count: number;
  /** The first line (or element) numbers, at most 10. */
  lines: number[];
}

/**
 * What an ingestion did. `inserted + updated + unchanged` rows were accepted and `skipped` rows left out for
 * a counted reason; when `rejected` is not empty and `partial` is false, nothing at all was written
 * (`committed: false`).
 */
export interface IngestReport {
  producer: string;
  format: string;
  encoding: string;
  committed: boolean;
  read: number;
  inserted: number;
  updated: number;
  unchanged: number;
  skipped: SkippedRows[];
  rejected: RejectedRow[];
}

/**
 * How sure a format is that a file is its own, from the file's beginning: 0 not at all, 1 it could be (a
 * generic shape such as any GeoJSON FeatureCollection), 2 its structure matches (a header, JSON members),
 * 3 it carries the format's own signature (the national E2 header, Hub'Eau's fields).
 */
export type Confidence = 0 | 1 | 2 | 3;

/**
 * A producer's reader for one format it publishes. It recognises the format from the file's content (the
 * name is a hint that breaks ties), streams the decoded text (constant memory, whatever the file size),
 * validates each row, and writes with idempotent upserts on natural keys through the runner.
 */
export interface Ingester {
  producer: string;
  format: string;
  /** What it reads, for the list of candidates a refusal names (e.g. "LCSQA E2 hourly file (CSV, ;)"). */
  description: string;
  detect(source: Pick<Source, 'sample' | 'kind' | 'fileName'>): Confidence;
  /** A file name pattern that breaks a tie between formats of equal confidence; never enough alone. */
  nameHint?: RegExp;
  ingest(knex: Knex, source: Source, options: IngestOptions): Promise<IngestReport>;
}
