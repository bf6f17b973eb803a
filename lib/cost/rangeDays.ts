const DAY_MS = 86_400_000;

/**
 * The calendar days (UTC) a range touches, both ends included: 2025-01-01..2025-01-31 is 31. Dates
 * (YYYY-MM-DD) and ISO 8601 date-times alike. A range that cannot be read or is reversed counts 1: the
 * field refuses it with BAD_USER_INPUT before any work.
 */
export function rangeDays(from: unknown, to: unknown): number {
  if (typeof from !== 'string' || typeof to !== 'string') return 1;
  const start = Date.parse(from);
  const end = Date.parse(to);
  if (Number.isNaN(start) || Number.isNaN(end) || end < start) return 1;
  return Math.floor(end / DAY_MS) - Math.floor(start / DAY_MS) + 1;
}
