import { badUserInput } from './errors.ts';

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Parses a calendar date 'YYYY-MM-DD' and rejects impossible ones (2025-02-30). */
export function parseDate(value: string, argument: string): string {
  const date = new Date(`${value}T00:00:00Z`);
  if (!ISO_DATE.test(value) || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== value) {
    throw badUserInput(`${argument} must be a date written YYYY-MM-DD, got "${value}"`, { argument });
  }
  return value;
}

/** Days between two ISO dates, inclusive of both ends. */
export function daysInclusive(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000) + 1;
}

/** A validated [from, to] range: both dates real, from ≤ to, at most `maxDays` long. */
export function parseDateRange(from: string, to: string, maxDays: number): { from: string; to: string } {
  parseDate(from, 'from');
  parseDate(to, 'to');
  if (from > to) throw badUserInput(`from (${from}) is after to (${to}): the range is reversed`, { argument: 'from' });
  if (daysInclusive(from, to) > maxDays) {
    throw badUserInput(`the range ${from}..${to} is longer than ${maxDays} days; split it`, { argument: 'to' });
  }
  return { from, to };
}

/** Validates an instant range given as ISO 8601 date-times. */
export function parseInstantRange(from: string, to: string): { from: Date; to: Date } {
  const start = new Date(from);
  const end = new Date(to);
  if (Number.isNaN(start.getTime())) throw badUserInput(`from is not an ISO 8601 date-time: "${from}"`, { argument: 'from' });
  if (Number.isNaN(end.getTime())) throw badUserInput(`to is not an ISO 8601 date-time: "${to}"`, { argument: 'to' });
  // JavaScript reads expanded years ("-000001-12-30T…", "+275760-…") that PostgreSQL does not: four-digit years only.
  for (const [name, value, date] of [['from', from, start], ['to', to, end]] as const) {
    if (date.getUTCFullYear() < 1000 || date.getUTCFullYear() > 9999) throw badUserInput(`${name} must be a date-time between the years 1000 and 9999: "${value}"`, { argument: name });
  }
  if (start > end) throw badUserInput(`from (${from}) is after to (${to}): the range is reversed`, { argument: 'from' });
  return { from: start, to: end };
}
