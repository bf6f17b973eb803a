import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

let dataDir: string | undefined;

/** A throw-away data folder for the run: the embedded signing key is generated there. */
export function testDataDir(): string {
  if (!dataDir) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tiga-test-'));
    process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    dataDir = dir;
  }
  return dataDir;
}
