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
  /** Who ingests (token subject), recorded in provenance where the producer keeps it. */
  actor?: string;
  /** Provenance for rows whose file does not name its source (the CLI passes the file name). @default the producer's name */
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
