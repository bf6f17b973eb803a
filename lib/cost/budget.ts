/**
 * The largest estimated cost one request may have when `TIGA_COST_BUDGET` says nothing: room for a year of
 * daily indices of every territory (367,000) with a margin, not for 20 of them (7,340,000).
 */
export const DEFAULT_COST_BUDGET = 1_000_000;
