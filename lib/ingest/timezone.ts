import { IngestFileError } from './errors.ts';

/**
 * Wall-clock times of producers' files and the instants they name, with Node's own Intl time-zone data
 * (no dependency): a time written without a zone is read in the zone its format publishes in (UTC for the
 * LCSQA E2 files, the producer's `--timezone` when it says otherwise), and a day is the civil day of a zone
 * (an indice ATMO's `date_ech` is a day in Europe/Paris, whatever instant a service encodes it as).
 */

/** A date and time as written, without a zone. */
export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let format = formatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formatters.set(zone, format);
  }
  return format;
}

/** The zone's canonical name, or a file error naming it (`--timezone Europe/Paris`, `UTC`). */
export function checkTimeZone(zone: string): string {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone.trim() }).resolvedOptions().timeZone;
  } catch {
    throw new IngestFileError(0, `unknown time zone "${zone}": give an IANA name such as Europe/Paris or UTC`);
  }
}

/** The wall-clock time an instant shows in `zone`. */
export function wallTimeAt(instant: number, zone: string): WallTime {
  const parts: Record<string, number> = {};
  for (const part of formatter(zone).formatToParts(new Date(instant))) if (part.type !== 'literal') parts[part.type] = Number(part.value);
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour!, minute: parts.minute!, second: parts.second! };
}

const asUtc = (w: WallTime) => Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);

/** The zone's offset from UTC at `instant`, in milliseconds (Europe/Paris in winter: +3,600,000). */
export function offsetAt(instant: number, zone: string): number {
  const whole = Math.floor(instant / 1000) * 1000;
  return asUtc(wallTimeAt(whole, zone)) - whole;
}

/**
 * The instant a wall-clock time names in `zone`. A time that does not exist there (skipped when clocks go
 * forward) is `undefined`; one that exists twice (when clocks go back) is its first occurrence.
 */
export function instantOf(wall: WallTime, zone: string): number | undefined {
  const guess = asUtc(wall);
  const offsets = new Set([offsetAt(guess - 86_400_000, zone), offsetAt(guess, zone), offsetAt(guess + 86_400_000, zone)]);
  const candidates = [...offsets].map((offset) => guess - offset).filter((instant) => asUtc(wallTimeAt(instant, zone)) === guess);
  return candidates.length ? Math.min(...candidates) : undefined;
}

/** The civil day (YYYY-MM-DD) an instant falls on in `zone`. */
export function dayIn(instant: number, zone: string): string {
  const w = wallTimeAt(instant, zone);
  return `${String(w.year).padStart(4, '0')}-${String(w.month).padStart(2, '0')}-${String(w.day).padStart(2, '0')}`;
}

/** True when the wall time is a real calendar date and clock time (no 31 April, no 24:00). */
export function isRealWallTime(w: WallTime): boolean {
  const back = new Date(asUtc(w));
  return (
    back.getUTCFullYear() === w.year && back.getUTCMonth() + 1 === w.month && back.getUTCDate() === w.day &&
    back.getUTCHours() === w.hour && back.getUTCMinutes() === w.minute && back.getUTCSeconds() === w.second
  );
}
