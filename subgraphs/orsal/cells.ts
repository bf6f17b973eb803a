import { reject } from '../../lib/ingest/errors.ts';

/**
 * One numeric cell of a health table as French statistical tables fill them: a number (decimal comma or
 * point, thousands separated by a space, a no-break space or a narrow no-break space, as spreadsheets
 * write them), a secret marker (the producer withheld the value: `s`, `c`, `secret`, "secret statistique",
 * `<11`…), a not-available marker (`nd`, `n.d.`, `-`…), or nothing. A marker is never read as 0 and never
 * as a number.
 */
export type Cell =
  | { kind: 'number'; value: number; /** Digits after the decimal mark, for the half-unit the producer rounded to. */ decimals: number }
  | { kind: 'secret'; text: string }
  | { kind: 'unavailable'; text: string }
  | { kind: 'empty' };

/** Markers of a value withheld at source, read in every table (compared lower-case, spaces squeezed). */
export const SECRET_MARKERS = ['s', 'c', 'secret', 'secret statistique', 'confidentiel'] as const;
/** Markers of a value the producer does not have: no value, nothing withheld. */
export const UNAVAILABLE_MARKERS = ['nd', 'n.d.', 'n/d', 'na', 'n.a.', 'n/a', '-', '–', '—', '..', '...'] as const;

const normal = (text: string) => text.normalize('NFC').toLowerCase().replace(/[\s\u00A0\u202F]+/g, ' ').trim();

export interface Markers {
  secret: Set<string>;
  unavailable: Set<string>;
  /** An empty cell is a marker of its own: see readCell. */
}

/** The markers of a table: the usual ones plus those its mapping declares (`secretMarkers`). */
export function markersOf(declared: readonly string[] = []): Markers {
  const secret = new Set<string>([...SECRET_MARKERS, ...declared.map(normal)]);
  return { secret, unavailable: new Set([...UNAVAILABLE_MARKERS].filter((m) => !secret.has(m))) };
}

const NUMBER = /^[+-]?(\d{1,3}(?:[ \u00A0\u202F]\d{3})+|\d+)?(?:[.,](\d+))?$/;

/** Reads one cell; text that is neither a number nor a marker is a row error naming the column. */
export function readCell(text: string | undefined, column: string, markers: Markers): Cell {
  const raw = (text ?? '').trim();
  if (raw === '') return { kind: 'empty' };
  const key = normal(raw);
  if (markers.secret.has(key) || /^[<≤]\s*=?\s*\d+$/.test(key)) return { kind: 'secret', text: raw };
  if (markers.unavailable.has(key)) return { kind: 'unavailable', text: raw };
  const match = NUMBER.exec(raw);
  if (!match || (match[1] === undefined && match[2] === undefined)) {
    return reject(`${column} is not a number nor a marker the hub reads: "${raw}" (withheld at source: ${[...markers.secret].join(', ')}, <N; not available: ${[...markers.unavailable].join(', ')})`);
  }
  const value = Number(`${raw.startsWith('-') ? '-' : ''}${(match[1] ?? '0').replace(/[ \u00A0\u202F]/g, '')}.${match[2] ?? '0'}`);
  return { kind: 'number', value, decimals: match[2]?.length ?? 0 };
}

/** A cell that must hold a whole count ≥ 0 (cases), or nothing. */
export function countOf(cell: Cell, column: string): number | null {
  if (cell.kind !== 'number') return null;
  if (!Number.isInteger(cell.value)) reject(`${column} is not an integer: "${cell.value}"`);
  return cell.value;
}
