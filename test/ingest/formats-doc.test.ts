import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatsTable } from '../../scripts/ingest.ts';

/** A newcomer reads the formats in the README: that table is what the hub actually reads, kept so. */
describe('the README lists every format and mapping the hub reads', () => {
  it('holds the table `npm run ingest -- --formats` prints', () => {
    const readme = fs.readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');
    expect(readme).toContain(formatsTable());
  });
});
