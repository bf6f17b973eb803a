import type { Knex } from 'knex';
import type { Readable } from 'node:stream';

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
}

/**
 * What an ingestion did. `inserted + updated + unchanged` rows were accepted; when `rejected` is not empty
 * and `partial` is false, nothing at all was written (`committed: false`).
 */
export interface IngestReport {
  producer: string;
  format: string;
  committed: boolean;
  read: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: RejectedRow[];
}

/**
 * A producer's ingester for one native format. It streams `input` (constant memory, whatever the file
 * size), validates each row, and writes in ONE transaction with idempotent upserts on natural keys.
 */
export interface Ingester {
  producer: string;
  format: string;
  /** File name patterns this ingester accepts, e.g. /\.csv$/i. */
  accepts: RegExp;
  ingest(knex: Knex, input: Readable, options: IngestOptions): Promise<IngestReport>;
}
