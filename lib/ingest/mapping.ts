import fs from 'node:fs';
import { Ajv } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { readCsv, splitRecord } from './csv.ts';
import { IngestFileError } from './errors.ts';
import type { Source } from './source.ts';

/**
 * A declarative mapping: how a source whose columns differ from a producer format's (a portal export, a
 * partner's table) becomes that format, written as data (YAML or JSON) rather than as code. The mapped
 * file is read by the target format's own reader, so it is validated exactly like a native file.
 */
export interface Mapping {
  /** The producer format the rows become, e.g. `indicators-csv` (ORSAL) or `urban-indicators-csv` (ADEUS). */
  format: string;
  /** The source's encoding when it is not UTF-8, e.g. `windows-1252`. */
  encoding?: string;
  /** Source column (as in its header) → the format's column. Unmapped source columns are dropped. */
  columns: Record<string, string>;
  /** Columns of the format that hold one value for the whole source, e.g. `indicator: ASTHMA_PREVALENCE`. */
  constants?: Record<string, string>;
  /** Codes whose leading zeros a spreadsheet dropped: column of the format → its length (e.g. `territory_code: 5`). */
  pad?: Record<string, number>;
  /** Decimal mark of the source's numbers. @default "." (a "," is also read where unambiguous) */
  decimal?: ',' | '.';
  /** A "lat, lon" text column (Opendatasoft's `Geo Point`) split into the format's `lat` and `lon` columns. */
  point?: { column: string; order: 'lat,lon' | 'lon,lat' };
  /** The unit the source's values are in, by column of the format, checked by the format's reader. */
  units?: Record<string, string>;
  /** Cell values meaning "withheld at source" (e.g. `s`, `c`, `secret`), passed to the format as such. */
  secretMarkers?: string[];
  /** The producer declares the table already secrecy-treated: rates without counts may enter (ORSAL). */
  secrecyTreated?: boolean;
  /** Why this mapping exists and where the source comes from. */
  description?: string;
}

const SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['format', 'columns'],
  properties: {
    format: { type: 'string', minLength: 1 },
    encoding: { type: 'string' },
    columns: { type: 'object', minProperties: 1, additionalProperties: { type: 'string', minLength: 1 } },
    constants: { type: 'object', additionalProperties: { type: 'string' } },
    pad: { type: 'object', additionalProperties: { type: 'integer', minimum: 1, maximum: 20 } },
    decimal: { enum: [',', '.'] },
    point: {
      type: 'object',
      additionalProperties: false,
      required: ['column', 'order'],
      properties: { column: { type: 'string' }, order: { enum: ['lat,lon', 'lon,lat'] } },
    },
    units: { type: 'object', additionalProperties: { type: 'string' } },
    secretMarkers: { type: 'array', items: { type: 'string' } },
    secrecyTreated: { type: 'boolean' },
    description: { type: 'string' },
  },
} as const;

const validate = new Ajv({ allErrors: true }).compile(SCHEMA);

/** A mapping from its text (YAML or JSON), validated; an invalid one is refused with every problem. */
export function parseMapping(text: string, name = 'mapping'): Mapping {
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    throw new IngestFileError(0, `${name} is not YAML or JSON: ${(error as Error).message}`);
  }
  if (!validate(value)) {
    const problems = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`);
    throw new IngestFileError(0, `${name} is not a valid mapping: ${problems.join('; ')}`);
  }
  return value as Mapping;
}

export const readMappingFile = (file: string) => parseMapping(fs.readFileSync(file, 'utf8'), file);

const quote = (value: string) => (/[",;\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

/**
 * The source seen through its mapping: a `;`-separated text with the format's header, one line for each
 * line of the source (so that every reject still names the source's own line).
 */
export async function mappedSource(source: Source, mapping: Mapping): Promise<Source> {
  if (source.kind !== 'text') throw new IngestFileError(0, 'a mapping applies to a text file (CSV)');
  const header = splitHeader(source.sample);
  const missing = Object.keys(mapping.columns).filter((column) => !header.includes(column));
  if (mapping.point && !header.includes(mapping.point.column)) missing.push(mapping.point.column);
  if (missing.length) throw new IngestFileError(1, `the source has no column ${missing.map((m) => `"${m}"`).join(', ')} that its mapping names (its header: ${header.join(', ')})`);
  const targets = [...new Set([...Object.values(mapping.columns), ...Object.keys(mapping.constants ?? {}), ...(mapping.point ? ['lat', 'lon'] : [])])];
  const text = async function* (): AsyncGenerator<string> {
    let columns: Map<string, number> | undefined;
    let line = 0;
    for await (const record of readCsv(source.text())) {
      if (!columns) {
        columns = new Map(record.fields.map((name, i) => [name.trim(), i]));
        yield `${targets.join(';')}\n`;
        line = record.line;
        continue;
      }
      // Blank lines the CSV reader skipped are kept, so line numbers stay the source's.
      for (; line + 1 < record.line; line++) yield '\n';
      line = record.line;
      const values = new Map<string, string>();
      for (const [from, to] of Object.entries(mapping.columns)) values.set(to, record.fields[columns.get(from)!]?.trim() ?? '');
      for (const [to, value] of Object.entries(mapping.constants ?? {})) values.set(to, value);
      if (mapping.point) {
        const [a, b] = (record.fields[columns.get(mapping.point.column)!] ?? '').split(/\s*,\s*/);
        const [lat, lon] = mapping.point.order === 'lat,lon' ? [a, b] : [b, a];
        values.set('lat', lat ?? '');
        values.set('lon', lon ?? '');
      }
      for (const [column, length] of Object.entries(mapping.pad ?? {})) {
        const value = values.get(column);
        if (value && /^\d+$/.test(value) && value.length < length) values.set(column, value.padStart(length, '0'));
      }
      if (mapping.decimal === ',') for (const [k, v] of values) if (/^-?\d+,\d+$/.test(v)) values.set(k, v.replace(',', '.'));
      yield `${targets.map((t) => quote(values.get(t) ?? '')).join(';')}\n`;
    }
  };
  let sample = '';
  for await (const chunk of text()) {
    sample += chunk;
    if (sample.length > 64 * 1024) break;
  }
  return { ...source, sample, text };
}

function splitHeader(sample: string): string[] {
  const line = sample.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  const counts = [';', '\t', ','].map((d) => [d, line.split(d).length - 1] as const).sort((a, b) => b[1] - a[1]);
  return splitRecord(line, counts[0]![1] > 0 ? counts[0]![0] : ',').map((f) => f.trim());
}
