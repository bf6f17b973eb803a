import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserFacingError } from './lifecycle.ts';

/** Who holds the embedded data folder: written into `<dataDir>/pglite.lock`. */
export interface LockHolder {
  pid: number;
  /** The process's start time as the kernel counts it (/proc/<pid>/stat field 22): a reused pid has another one. */
  processStart: string | null;
  host: string;
  /** What the holder is: `hub`, `subgraph atmo`, `seed`… */
  role: string;
  since: string;
  /** Where the holder's gateway answers, once it listens (the ingest CLI hands files to it). */
  gatewayUrl?: string;
}

export class DataFolderInUseError extends UserFacingError {
  constructor(
    readonly folder: string,
    readonly holder: LockHolder,
  ) {
    super(
      `data folder in use by process ${holder.pid} (${holder.role}, since ${holder.since}): ${folder} has one owner at a time. ` +
        'Stop that process, or point TIGA_DATA_DIR at another folder.',
      1,
    );
  }
}

export interface DataLock {
  file: string;
  holder: LockHolder;
  /** Records where this process's gateway answers. */
  update(fields: Partial<Pick<LockHolder, 'gatewayUrl'>>): void;
  release(): void;
}

function processStart(pid: number): string | null {
  try {
    // Field 2 (comm) may hold spaces and parentheses: count from the last ')'.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** True when the process that wrote `holder` still runs (same pid, same start time, this host). */
export function isAlive(holder: LockHolder): boolean {
  if (holder.host !== os.hostname()) return true; // another machine's process: never guess it dead
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const start = processStart(holder.pid);
  return holder.processStart === null || start === null || start === holder.processStart;
}

export const lockFileOf = (dataDir: string) => path.join(dataDir, 'pglite.lock');

/** The current holder of the folder's lock, or null (no lock, or a lock left by a dead process). */
export function readLockHolder(dataDir: string): LockHolder | null {
  const holder = readHolder(lockFileOf(dataDir));
  return holder && isAlive(holder) ? holder : null;
}

function readHolder(file: string): LockHolder | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as LockHolder;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    // A lock file cut short (power loss while writing it) belongs to no live process.
    return { pid: 0, processStart: null, host: os.hostname(), role: 'unreadable lock', since: '?' };
  }
}

/**
 * Takes the exclusive lock on the embedded data folder, before anything opens it: PGlite has no
 * multi-process safety, and a second opener corrupts the folder. The lock file is created atomically
 * (a hard link of a complete temporary file, which fails when the name exists). A lock whose process is
 * dead (SIGKILL, out-of-memory kill, power loss) is taken over and `log` says so.
 */
export function acquireDataLock(dataDir: string, role: string, log: (line: string) => void = () => {}): DataLock {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = lockFileOf(dataDir);
  const holder: LockHolder = { pid: process.pid, processStart: processStart(process.pid), host: os.hostname(), role, since: new Date().toISOString() };
  const write = (content: LockHolder, target: string) => {
    const temporary = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, JSON.stringify(content));
    try {
      fs.linkSync(temporary, target);
    } finally {
      fs.rmSync(temporary, { force: true });
    }
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      write(holder, file);
      let released = false;
      return {
        file,
        holder,
        update(fields) {
          Object.assign(holder, fields);
          const temporary = `${file}.${process.pid}.tmp`;
          fs.writeFileSync(temporary, JSON.stringify(holder));
          fs.renameSync(temporary, file);
        },
        release() {
          if (released) return;
          released = true;
          const current = readHolder(file);
          if (current?.pid === process.pid) fs.rmSync(file, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const current = readHolder(file);
    if (current && isAlive(current)) throw new DataFolderInUseError(dataDir, current);
    // Stale: move it aside under a name of our own, then check we moved the stale lock and not a fresh one
    // another process has just written (two processes restarting at the same moment).
    const aside = `${file}.stale-${process.pid}`;
    try {
      fs.renameSync(file, aside);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    const moved = readHolder(aside);
    if (moved && current && moved.pid !== current.pid && isAlive(moved)) {
      write(moved, file);
      fs.rmSync(aside, { force: true });
      throw new DataFolderInUseError(dataDir, moved);
    }
    fs.rmSync(aside, { force: true });
    log(`took over the data folder lock left by process ${current?.pid ?? '?'} (${current?.role ?? 'unknown'}), which is no longer running`);
  }
  throw new Error(`could not take the lock on ${dataDir}`);
}
