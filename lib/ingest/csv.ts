import type { Readable } from 'node:stream';
import { IngestFileError } from './errors.ts';

/** One CSV record: `line` is the 1-based line where it starts (the header is line 1). */
export interface CsvRecord {
  line: number;
  fields: string[];
}

/** Splits one complete record (its quotes balanced) into fields; `""` inside quotes is a quote. */
export function splitRecord(text: string, delimiter: string): string[] {
  if (!text.includes('"')) return text.split(delimiter);
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c !== '"') field += c;
      else if (text[i + 1] === '"') (field += '"'), i++;
      else quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === delimiter) fields.push(field), (field = '');
    else field += c;
  }
  fields.push(field);
  return fields;
}

const quoteCount = (text: string) => {
  let n = 0;
  for (let i = text.indexOf('"'); i !== -1; i = text.indexOf('"', i + 1)) n++;
  return n;
};

/**
 * Streams CSV records line by line (constant memory): RFC 4180 quoting, fields may hold newlines,
 * delimiter `,` or `;` detected on the header line, BOM and CRLF tolerated, blank lines skipped.
 * An unterminated quote at the end of the stream (a truncated file) is a file error.
 */
export async function* readCsv(input: AsyncIterable<string> | Readable): AsyncGenerator<CsvRecord & { delimiter: string }> {
  if ('setEncoding' in input) input.setEncoding('utf8');
  let buffer = '';
  let pending = '';
  let pendingQuotes = 0;
  let pendingLine = 0;
  let line = 0;
  let delimiter: string | undefined;
  let first = true;
  const emit = (text: string, at: number) => {
    if (delimiter === undefined) {
      const counts = [';', '\t', ','].map((d) => [d, text.split(d).length - 1] as const).sort((a, b) => b[1] - a[1]);
      delimiter = counts[0]![1] > 0 ? counts[0]![0] : ',';
    }
    return { line: at, fields: splitRecord(text, delimiter), delimiter };
  };
  const take = function* (raw: string) {
    line++;
    let text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (first) (text = text.replace(/^\uFEFF/, '')), (first = false);
    if (pending || pendingQuotes % 2 === 1) {
      pending += '\n' + text;
      pendingQuotes += quoteCount(text);
    } else {
      pending = text;
      pendingQuotes = quoteCount(text);
      pendingLine = line;
    }
    if (pendingQuotes % 2 === 0) {
      const complete = pending;
      pending = '';
      pendingQuotes = 0;
      if (complete.trim() !== '') yield emit(complete, pendingLine);
    }
  };
  for await (const chunk of input as AsyncIterable<string>) {
    buffer += chunk;
    let start = 0;
    for (let end = buffer.indexOf('\n'); end !== -1; end = buffer.indexOf('\n', start)) {
      yield* take(buffer.slice(start, end));
      start = end + 1;
    }
    buffer = buffer.slice(start);
    if (buffer.length > 16 * 1024 * 1024) throw new IngestFileError(line + 1, 'a line is longer than 16 MB (not a CSV file?)');
  }
  if (buffer !== '') yield* take(buffer);
  if (pendingQuotes % 2 === 1) throw new IngestFileError(pendingLine, 'unterminated quoted field at the end of the file (truncated file?)');
}

/**
 * Maps a header to column positions. `required` columns must all be present (else the file is refused,
 * naming the missing ones); `optional` ones may be; any other column is ignored.
 */
export function readHeader(fields: string[], required: readonly string[], optional: readonly string[] = []): Map<string, number> {
  const names = fields.map((f) => f.trim().toLowerCase());
  const missing = required.filter((name) => !names.includes(name));
  if (missing.length) throw new IngestFileError(1, `bad header: missing column(s) ${missing.join(', ')} (expected ${required.join(', ')})`);
  const columns = new Map<string, number>();
  for (const name of [...required, ...optional]) if (names.includes(name)) columns.set(name, names.indexOf(name));
  return columns;
}
