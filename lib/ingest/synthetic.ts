import { reject } from './errors.ts';

/**
 * Whether a row was generated rather than measured is said explicitly by the file — a `synthetic` column
 * (`true`/`false`, `1`/`0`, `oui`/`non`) or a file-level `"synthetic": true` — and never guessed from other
 * text: a source that merely mentions the word must not flip the label, and a real value mislabelled
 * synthetic (or the reverse) would mislead every user of it. A missing column means not synthetic.
 */
export function syntheticFlag(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'boolean') return value;
  const text = String(value).trim().toLowerCase();
  if (text === '' || text === 'false' || text === '0' || text === 'non' || text === 'no') return false;
  if (text === 'true' || text === '1' || text === 'oui' || text === 'yes') return true;
  return reject(`synthetic must be true or false, not "${String(value)}"`);
}
