import { reject } from '../../../lib/ingest/errors.ts';
import { dayIn, instantOf, isRealWallTime, type WallTime } from '../../../lib/ingest/timezone.ts';
import { PARIS, textOf } from './common.ts';

/**
 * The dates ATMO's files carry, in every shape the national flux and ATMO Grand Est's services write them:
 * a day (`2024-01-15`, `2024/01/15`, GeoServer's `2024-01-15Z`), an instant (ISO 8601 with `Z` or an
 * offset, or ArcGIS epoch milliseconds), or a wall-clock time without a zone.
 */
type Moment = { kind: 'day'; day: string } | { kind: 'instant'; instant: number } | { kind: 'wall'; wall: WallTime; day: string };

const DAY = /^(\d{4})[-/](\d{2})[-/](\d{2})Z?$/i;
const DATE_TIME = /^(\d{4})[-/](\d{2})[-/](\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
/** ArcGIS `esriFieldTypeDate`: milliseconds since 1970, sometimes sent as text. */
const EPOCH_MS = /^-?\d{11,14}$/;
/** Instants outside these years are a unit mistake (seconds for milliseconds), not a date. */
const EARLIEST = Date.UTC(1990, 0, 1);
const LATEST = Date.UTC(2100, 0, 1);

const pad = (n: number, size = 2) => String(n).padStart(size, '0');

function parseMoment(value: unknown, column: string): Moment | undefined {
  if (typeof value === 'number' || (typeof value === 'string' && EPOCH_MS.test(value.trim()))) {
    const instant = Number(value);
    if (!Number.isInteger(instant) || instant < EARLIEST || instant > LATEST) reject(`${column} ${String(value)} is not a date in epoch milliseconds`);
    return { kind: 'instant', instant };
  }
  const text = textOf(value);
  if (text === undefined) return undefined;
  const day = DAY.exec(text);
  if (day) {
    const wall = { year: Number(day[1]), month: Number(day[2]), day: Number(day[3]), hour: 0, minute: 0, second: 0 };
    if (!isRealWallTime(wall)) reject(`${column} is not a valid date: "${text}"`);
    return { kind: 'day', day: `${day[1]}-${day[2]}-${day[3]}` };
  }
  const time = DATE_TIME.exec(text);
  if (!time) return reject(`${column} is not a date: "${text}"`);
  const wall = { year: Number(time[1]), month: Number(time[2]), day: Number(time[3]), hour: Number(time[4]), minute: Number(time[5]), second: Number(time[6] ?? 0) };
  if (!isRealWallTime(wall)) reject(`${column} is not a valid date and time: "${text}"`);
  const zone = time[7];
  if (zone) {
    const offset = zone.toUpperCase() === 'Z' ? 'Z' : /^[+-]\d{2}$/.test(zone) ? `${zone}:00` : zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
    const iso = `${time[1]}-${time[2]}-${time[3]}T${time[4]}:${time[5]}:${pad(wall.second)}${offset}`;
    const instant = Date.parse(iso);
    if (Number.isNaN(instant)) reject(`${column} is not a valid date and time: "${text}"`);
    return { kind: 'instant', instant };
  }
  return { kind: 'wall', wall, day: `${time[1]}-${time[2]}-${time[3]}` };
}

function resolve(wall: WallTime, zone: string, column: string): number {
  return instantOf(wall, zone) ?? reject(`${column} ${pad(wall.year, 4)}-${pad(wall.month)}-${pad(wall.day)} ${pad(wall.hour)}:${pad(wall.minute)} does not exist in ${zone} (clocks go forward then)`);
}

/**
 * The day in Europe/Paris a value names. An instant (`…T23:00:00Z`, epoch ms at 22:00Z or 23:00Z) is the
 * local day it falls on, never its UTC date; a day is itself; a time without a zone is the day it is
 * written on, unless the producer says which zone it was written in (`zone`).
 */
export function parisDay(value: unknown, column: string, zone?: string): string | undefined {
  const moment = parseMoment(value, column);
  if (!moment) return undefined;
  if (moment.kind === 'day') return moment.day;
  if (moment.kind === 'instant') return dayIn(moment.instant, PARIS);
  return zone ? dayIn(resolve(moment.wall, zone, column), PARIS) : moment.day;
}

/** The instant a value names: a day is its midnight in Europe/Paris, a time without a zone is read in `zone` (Europe/Paris by default). */
export function instantFrom(value: unknown, column: string, zone = PARIS): number | undefined {
  const moment = parseMoment(value, column);
  if (!moment) return undefined;
  if (moment.kind === 'instant') return moment.instant;
  if (moment.kind === 'wall') return resolve(moment.wall, zone, column);
  const [year, month, day] = moment.day.split('-').map(Number) as [number, number, number];
  return resolve({ year, month, day, hour: 0, minute: 0, second: 0 }, PARIS, column);
}

/** `day` plus `days` calendar days. */
export const addDays = (day: string, days: number) => new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
