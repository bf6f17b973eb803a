import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

let dataDir: string | undefined;

/** A throw-away data folder for the run: the embedded signing key is generated there. */
export function testDataDir(): string {
  dataDir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'tiga-test-'));
  return dataDir;
}
