/**
 * A message with what varies from one occurrence to the next taken out: ids, numbers, quoted values, hosts and
 * ports. During a database outage every request fails with `connect ECONNREFUSED 10.0.0.5:5432` or
 * `… 3f1c…: timeout after 15000 ms`: one template, so one log line per interval rather than 837 stack traces.
 */
export function templateOf(message: string): string {
  return (message.split('\n', 1)[0] ?? '')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<id>')
    .replace(/"[^"]*"|'[^']*'/g, '<value>')
    .replace(/\b[0-9a-f]{16,}\b/gi, '<hex>')
    .replace(/\d+(\.\d+)*/g, '<n>')
    .slice(0, 300);
}

interface Window {
  /** When the window opened by the last logged line closes (ms since the epoch). */
  endsAt: number;
  /** Occurrences left out since the last logged line. */
  suppressed: number;
  /** Reports `suppressed` if no occurrence follows the window for a whole interval. */
  flush?: NodeJS.Timeout;
}

/** The most distinct keys remembered; past it, windows that ended without suppressing anything are dropped. */
const MAX_KEYS = 1000;

/**
 * Decides which occurrences of a repeated event are written: the first of each key, then at most one per
 * interval. The line that ends a window of suppressed occurrences carries their count: the next occurrence's
 * own line, or, when none comes within one more interval, a summary line (`onSummary`).
 */
export class RepeatLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly intervalMs: () => number,
    private readonly onSummary: (key: string, suppressed: number) => void,
  ) {}

  /**
   * `undefined` when this occurrence must not be written; otherwise how many occurrences of the same key
   * were left out before it (0 for the first).
   */
  admit(key: string, now = Date.now()): number | undefined {
    const interval = this.intervalMs();
    if (interval <= 0) return 0;
    const open = this.windows.get(key);
    if (open && now < open.endsAt) {
      open.suppressed++;
      if (!open.flush) {
        open.flush = setTimeout(() => this.summarise(key), open.endsAt + interval - now);
        open.flush.unref();
      }
      return undefined;
    }
    const suppressed = open?.suppressed ?? 0;
    if (open?.flush) clearTimeout(open.flush);
    if (!open && this.windows.size >= MAX_KEYS) {
      this.prune(now);
      // Still full: too many distinct events at once to remember; this one is written, untracked.
      if (this.windows.size >= MAX_KEYS) return 0;
    }
    this.windows.set(key, { endsAt: now + interval, suppressed: 0 });
    return suppressed;
  }

  /** Forgets every window, reporting none (tests, and a change of interval). */
  reset(): void {
    for (const window of this.windows.values()) if (window.flush) clearTimeout(window.flush);
    this.windows.clear();
  }

  private summarise(key: string): void {
    const window = this.windows.get(key);
    this.windows.delete(key);
    if (window?.suppressed) this.onSummary(key, window.suppressed);
  }

  private prune(now: number): void {
    for (const [key, window] of this.windows) if (window.endsAt <= now && !window.suppressed) this.windows.delete(key);
  }
}
