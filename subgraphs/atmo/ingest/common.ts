import type { Knex } from 'knex';
import type { IngestOptions } from '../../../lib/ingest/types.ts';
import type { UpsertCounts } from '../../../lib/ingest/runner.ts';
import { IngestFileError } from '../../../lib/ingest/errors.ts';

/** The civil time of the indice ATMO (a day is a day in metropolitan France) and of ATMO Grand Est's services. */
export const PARIS = 'Europe/Paris';

/** A field of the current row, as its format holds it: text (CSV) or any JSON value; undefined when absent. */
export type Get = (column: string) => unknown;

/** A field as trimmed text; absent, null and empty are all `undefined`. */
export function textOf(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const text = String(value).trim();
  return text === '' ? undefined : text;
}

/** Lower-case, accents removed, for comparing labels written with or without them (Événement, Evénement, Evènement). */
export const fold = (text: string) => text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').trim().toLowerCase();

/** Header names as compared: Unicode NFC, lower case, typographic apostrophes straightened. */
export const headerName = (name: string) => name.normalize('NFC').trim().toLowerCase().replace(/[’‘]/g, "'");

/** Where rows come from when the file does not say it (the CLI passes the file name, the API its channel). */
export const sourceOf = (options: IngestOptions) => options.source ?? 'ATMO Grand Est';

/**
 * A header's column positions. `required` columns must all be there (the file is refused naming those
 * missing, in the file's own spelling); `optional` ones may be; others are ignored.
 */
export function columnsOf(fields: string[], required: readonly string[], optional: readonly string[] = [], format = 'the format'): Map<string, number> {
  const names = fields.map(headerName);
  const missing = required.filter((name) => !names.includes(headerName(name)));
  if (missing.length) throw new IngestFileError(1, `bad header: missing column(s) ${missing.join(', ')} of ${format}`);
  const columns = new Map<string, number>();
  for (const name of [...required, ...optional]) {
    const at = names.indexOf(headerName(name));
    if (at >= 0) columns.set(name, at);
  }
  return columns;
}

/**
 * Upserts `rows` on `key`, updating a stored row only when one of `compare` differs AND `condition` (SQL on
 * the stored row, named by its table, and `excluded`) allows it; counts what changed as the runner's
 * upsertCounting does (a row kept by the condition counts as unchanged).
 */
export async function upsertWhere(trx: Knex.Transaction, table: string, key: string[], compare: string[], rows: Record<string, unknown>[], condition: string): Promise<UpsertCounts> {
  const name = table.split('.').pop()!;
  const list = (prefix: string) => compare.map((c) => `${prefix}.${trx.client.wrapIdentifier(c)}`).join(', ');
  const returned = (await trx(table)
    .insert(rows)
    .onConflict(key)
    .merge(compare)
    .whereRaw(`(${list(trx.client.wrapIdentifier(name))}) is distinct from (${list('excluded')}) and (${condition})`)
    .returning(trx.raw('(xmax = 0) as inserted') as unknown as string)) as { inserted: boolean }[];
  const inserted = returned.filter((r) => r.inserted).length;
  return { inserted, updated: returned.length - inserted, unchanged: rows.length - returned.length };
}
