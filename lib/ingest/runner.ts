import type { Knex } from 'knex';
import type { IngestOptions, IngestReport, RejectedRow } from './types.ts';
import { IngestFileError, RowError } from './errors.ts';

/** What an ingester's reader yields per row: a value to write, or a reason it was refused. */
export type Parsed<T> = { line: number; row: T } | { line: number; reason: string };

export interface UpsertCounts {
  inserted: number;
  updated: number;
  unchanged: number;
}

export interface Plan<T> {
  producer: string;
  format: string;
  options: IngestOptions;
  /** Reads and validates the file; may use `trx` to look up reference data. Throws IngestFileError on a malformed file. */
  rows(trx: Knex.Transaction): AsyncIterable<Parsed<T>>;
  /** The natural key of a row: two rows of one batch never share it (a later one starts a new batch). */
  key(row: T): string;
  write(trx: Knex.Transaction, batch: T[]): Promise<UpsertCounts>;
  /** Runs once after the last batch, inside the transaction (e.g. recomputing derived state). */
  finish?(trx: Knex.Transaction): Promise<void>;
  batchSize?: number;
}

/** More rejects than this are counted, not listed: a wholly wrong file would otherwise fill memory. */
export const MAX_LISTED_REJECTS = 10_000;

class Refused extends Error {}

/**
 * Runs one ingestion in ONE transaction: validated rows are upserted in batches; when any row is
 * rejected and `partial` is off, or the file is malformed, everything is rolled back and the report
 * says `committed: false` with every reason. Never throws for bad input, only for database failures.
 */
export async function runIngestion<T>(knex: Knex, plan: Plan<T>): Promise<IngestReport> {
  const report: IngestReport = { producer: plan.producer, format: plan.format, committed: false, read: 0, inserted: 0, updated: 0, unchanged: 0, rejected: [] };
  let omitted = 0;
  const rejectRow = (row: RejectedRow) => (report.rejected.length < MAX_LISTED_REJECTS ? report.rejected.push(row) : omitted++);
  const size = plan.batchSize ?? 1000;
  try {
    await knex.transaction(async (trx) => {
      let batch: T[] = [];
      let keys = new Set<string>();
      const flush = async () => {
        if (!batch.length) return;
        const counts = await plan.write(trx, batch);
        report.inserted += counts.inserted;
        report.updated += counts.updated;
        report.unchanged += counts.unchanged;
        batch = [];
        keys = new Set();
      };
      try {
        for await (const parsed of plan.rows(trx)) {
          report.read++;
          if ('reason' in parsed) {
            rejectRow({ line: parsed.line, reason: parsed.reason });
            continue;
          }
          // Once the file is refused, only validation goes on (to report every reject); nothing more is written.
          if (report.rejected.length && !plan.options.partial) continue;
          const key = plan.key(parsed.row);
          if (keys.has(key)) await flush();
          keys.add(key);
          batch.push(parsed.row);
          if (batch.length >= size) await flush();
        }
      } catch (error) {
        if (!(error instanceof IngestFileError)) throw error;
        rejectRow({ line: error.line, reason: error.message });
        throw new Refused();
      }
      if (report.rejected.length && !plan.options.partial) throw new Refused();
      await flush();
      await plan.finish?.(trx);
    });
    report.committed = true;
  } catch (error) {
    if (!(error instanceof Refused)) throw error;
    report.inserted = report.updated = report.unchanged = 0;
  }
  if (omitted) report.rejected.push({ line: 0, reason: `${omitted} more rejected rows not listed` });
  return report;
}

/** Validates one row inside a reader: a RowError becomes a reject with the row's line. */
export function check<T>(line: number, validate: () => T): Parsed<T> {
  try {
    return { line, row: validate() };
  } catch (error) {
    if (error instanceof RowError) return { line, reason: error.message };
    throw error;
  }
}

/**
 * Upserts `rows` on `key` and counts what changed: a conflicting row is updated only when one of
 * `compare` differs (IS DISTINCT FROM), so re-importing a file updates nothing. `xmax = 0` tells a
 * fresh insert from an update in PostgreSQL's RETURNING.
 */
export async function upsertCounting(
  trx: Knex.Transaction,
  table: string,
  key: string[],
  compare: string[],
  rows: Record<string, unknown>[],
): Promise<UpsertCounts> {
  const name = table.split('.').pop()!;
  const list = (prefix: string) => compare.map((c) => `${prefix}.${trx.client.wrapIdentifier(c)}`).join(', ');
  const returned = (await trx(table)
    .insert(rows)
    .onConflict(key)
    .merge(compare)
    .whereRaw(`(${list(trx.client.wrapIdentifier(name))}) is distinct from (${list('excluded')})`)
    .returning(trx.raw('(xmax = 0) as inserted') as unknown as string)) as { inserted: boolean }[];
  const inserted = returned.filter((r) => r.inserted).length;
  return { inserted, updated: returned.length - inserted, unchanged: rows.length - returned.length };
}

/** Rows say they are synthetic in their source text (sample files do); ingested producer data is real-as-sent. */
export const isSynthetic = (source: string) => /synth[eé]ti[cq]/i.test(source);

/** Parses a number the way producers write them: `12.5`, `12,5` (French decimal comma), no thousands separator. */
export function parseNumber(text: string | undefined, column: string, { required = true } = {}): number | null {
  const value = (text ?? '').trim();
  if (value === '') {
    if (required) throw new RowError(`${column} is empty`);
    return null;
  }
  if (!/^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$/.test(value)) throw new RowError(`${column} is not a number: "${value}"`);
  return Number(value.replace(',', '.'));
}

export function parseInteger(text: string | undefined, column: string): number {
  const value = parseNumber(text, column)!;
  if (!Number.isInteger(value)) throw new RowError(`${column} is not an integer: "${text}"`);
  return value;
}

/** Today as YYYY-MM-DD in UTC. */
export const todayUtc = () => new Date().toISOString().slice(0, 10);
