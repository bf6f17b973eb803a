import type { Knex } from 'knex';
import type { IngestOptions, IngestReport, RejectedRow } from './types.ts';
import { IngestFileError, RowError } from './errors.ts';
import { liftStatementTimeout } from '../db.ts';

/**
 * What an ingester's reader yields per row: a value to write, a reason it was refused, or a reason it was
 * left out on purpose (counted, it does not refuse the file).
 */
export type Parsed<T> = { line: number; row: T } | { line: number; reason: string } | { line: number; skip: string };

export interface UpsertCounts {
  inserted: number;
  updated: number;
  unchanged: number;
}

export interface Plan<T> {
  producer: string;
  format: string;
  /** The encoding the file was decoded from. @default utf-8 */
  encoding?: string;
  options: IngestOptions;
  /**
   * Reads and validates the file from its start; may use `db` to look up reference data. Throws
   * IngestFileError on a malformed file. Called twice when `options.commit` is `batches`.
   */
  rows(db: Knex): AsyncIterable<Parsed<T>>;
  /** The natural key of a row: two rows of one batch never share it (a later one starts a new batch). */
  key(row: T): string;
  write(trx: Knex.Transaction, batch: T[]): Promise<UpsertCounts>;
  /**
   * Runs once after the last row, in the same transaction as every row (e.g. recomputing derived state that
   * must never be seen stale, like ORSAL's secrecy decision): a plan with `finish` is written in one
   * transaction even where others are written in batches — a failed finish then writes nothing.
   */
  finish?(trx: Knex.Transaction): Promise<void>;
  batchSize?: number;
}

/** More rejects than this are counted, not listed: a wholly wrong file would otherwise fill memory. */
export const MAX_LISTED_REJECTS = 10_000;
const MAX_SKIP_LINES = 10;

class Refused extends Error {}

/** One lock key per producer: two ingests of one producer never interleave (they would deadlock on overlapping rows). */
const lockKey = (producer: string) => `tiga-ingest:${producer}`;
const processLocks = new Map<string, Promise<unknown>>();

/** Runs `work` while no other ingest of `producer` runs in this process. */
async function serialised<R>(producer: string, work: () => Promise<R>): Promise<R> {
  const previous = processLocks.get(producer) ?? Promise.resolve();
  const current = previous.then(work, work);
  processLocks.set(producer, current.catch(() => {}));
  return current;
}

/**
 * The cause of a database failure, as a producer can read it: the driver's message, never the statement
 * (knex prefixes its errors with the SQL it ran).
 */
export function causeOf(error: unknown): string {
  const e = error as { nativeError?: { message?: string }; message?: string; code?: string };
  const message = e?.nativeError?.message ?? e?.message ?? String(error);
  const cut = message.lastIndexOf(' - ');
  return cut >= 0 && /^(insert|update|select|delete|with|create|alter)\b/i.test(message) ? message.slice(cut + 3) : message;
}

/**
 * Runs one ingestion. Validated rows are upserted in batches; when any row is rejected and `partial` is
 * off, or the file is malformed, nothing is written and the report says `committed: false` with every
 * reason. Rows a reader skips are counted by reason. With `commit: 'transaction'` everything happens in ONE
 * transaction; with `commit: 'batches'` the file is first read in full without writing (so a refusal still
 * writes nothing), then written in short transactions between which other queries are served. Ingests of
 * one producer are serialised (an advisory lock on PostgreSQL, a queue in this process). Never throws for
 * bad input, only for database failures (with their cause, without SQL).
 */
export async function runIngestion<T>(knex: Knex, plan: Plan<T>): Promise<IngestReport> {
  return serialised(plan.producer, () => (plan.options.commit === 'batches' && !plan.finish ? inBatches(knex, plan) : inOneTransaction(knex, plan)));
}

interface Tally<T> {
  report: IngestReport;
  skips: Map<string, { count: number; lines: number[] }>;
  omitted: number;
  onRow(parsed: Parsed<T>): T | null;
  close(): IngestReport;
}

function tally<T>(plan: Plan<T>): Tally<T> {
  const report: IngestReport = { producer: plan.producer, format: plan.format, encoding: plan.encoding ?? 'utf-8', committed: false, read: 0, inserted: 0, updated: 0, unchanged: 0, skipped: [], rejected: [] };
  const t: Tally<T> = {
    report,
    skips: new Map(),
    omitted: 0,
    onRow(parsed) {
      report.read++;
      if ('reason' in parsed) {
        if (report.rejected.length < MAX_LISTED_REJECTS) report.rejected.push({ line: parsed.line, reason: parsed.reason });
        else t.omitted++;
        return null;
      }
      if ('skip' in parsed) {
        const entry = t.skips.get(parsed.skip) ?? { count: 0, lines: [] };
        entry.count++;
        if (entry.lines.length < MAX_SKIP_LINES) entry.lines.push(parsed.line);
        t.skips.set(parsed.skip, entry);
        return null;
      }
      return parsed.row;
    },
    close() {
      if (t.omitted) report.rejected.push({ line: 0, reason: `${t.omitted} more rejected rows not listed` });
      report.skipped = [...t.skips].map(([reason, { count, lines }]) => ({ reason, count, lines })).sort((a, b) => b.count - a.count);
      return report;
    },
  };
  return t;
}

function refusesFile(report: IngestReport, partial: boolean): boolean {
  return report.rejected.length > 0 && !partial;
}

async function inOneTransaction<T>(knex: Knex, plan: Plan<T>): Promise<IngestReport> {
  const t = tally(plan);
  const { report } = t;
  const size = plan.batchSize ?? 1000;
  try {
    await knex.transaction(async (trx) => {
      // Waiting for another ingest of the producer, and the bulk statements after, are not bounded by the
      // serving statement timeout.
      await liftStatementTimeout(trx);
      if (knex.client.config.client === 'pg') await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [lockKey(plan.producer)]);
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
          const row = t.onRow(parsed);
          // Once the file is refused, only validation goes on (to report every reject); nothing more is written.
          if (row === null || refusesFile(report, plan.options.partial)) continue;
          const key = plan.key(row);
          if (keys.has(key)) await flush();
          keys.add(key);
          batch.push(row);
          if (batch.length >= size) await flush();
        }
      } catch (error) {
        if (!(error instanceof IngestFileError)) throw error;
        report.rejected.push({ line: error.line, reason: error.message });
        throw new Refused();
      }
      if (refusesFile(report, plan.options.partial)) throw new Refused();
      await flush();
      await plan.finish?.(trx);
    });
    report.committed = true;
  } catch (error) {
    if (!(error instanceof Refused)) throw error;
    report.inserted = report.updated = report.unchanged = 0;
  }
  return t.close();
}

/** About 50 ms of writing on the embedded database: readers wait no longer than one batch. */
const SHORT_BATCH = 250;

async function inBatches<T>(knex: Knex, plan: Plan<T>): Promise<IngestReport> {
  // Pass 1: read and validate everything, write nothing.
  const check = tally(plan);
  try {
    for await (const parsed of plan.rows(knex)) check.onRow(parsed);
  } catch (error) {
    if (!(error instanceof IngestFileError)) throw error;
    check.report.rejected.push({ line: error.line, reason: error.message });
    return check.close();
  }
  if (refusesFile(check.report, plan.options.partial)) return check.close();

  // Pass 2: the same rows, written in short transactions.
  const t = tally(plan);
  const { report } = t;
  const size = Math.min(plan.batchSize ?? SHORT_BATCH, SHORT_BATCH);
  let batch: T[] = [];
  let keys = new Set<string>();
  let written = 0;
  const flush = async () => {
    if (!batch.length) return;
    const rows = batch;
    batch = [];
    keys = new Set();
    try {
      const counts = await knex.transaction(async (trx) => (await liftStatementTimeout(trx), plan.write(trx, rows)));
      report.inserted += counts.inserted;
      report.updated += counts.updated;
      report.unchanged += counts.unchanged;
      written += rows.length;
    } catch (error) {
      throw new Error(`the database failed after ${written} rows were written (${causeOf(error)}); ingesting the same file again completes it (ingestion is idempotent)`);
    }
    // Let the queries waiting for the embedded database's one session run between two batches.
    await new Promise((resolve) => setImmediate(resolve));
  };
  for await (const parsed of plan.rows(knex)) {
    const row = t.onRow(parsed);
    if (row === null) continue;
    const key = plan.key(row);
    if (keys.has(key)) await flush();
    keys.add(key);
    batch.push(row);
    if (batch.length >= size) await flush();
  }
  await flush();
  report.committed = true;
  return t.close();
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
