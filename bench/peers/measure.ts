import fs from 'node:fs';
import { execFileSync } from 'node:child_process';

/** Clock ticks per second of /proc's utime and stime (USER_HZ: 100 on Linux, asked once). */
const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * Command, ppid, utime + stime, and cutime + cstime (its waited-for children's) in ticks of a process; undefined
 * once it is gone. /proc/<pid>/stat fields 2, 4, 14–17.
 */
function stat(pid: number): { comm: string; ppid: number; ticks: number; childTicks: number } | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: fields are counted after its last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return {
      comm: text.slice(text.indexOf('(') + 1, text.lastIndexOf(')')),
      ppid: Number(fields[1]),
      ticks: Number(fields[11]) + Number(fields[12]),
      childTicks: Number(fields[13]) + Number(fields[14]),
    };
  } catch {
    return undefined;
  }
}

/** Every live process's stat, by pid. */
function allStats(): Map<number, NonNullable<ReturnType<typeof stat>>> {
  const stats = new Map<number, NonNullable<ReturnType<typeof stat>>>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const found = stat(Number(entry));
    if (found) stats.set(Number(entry), found);
  }
  return stats;
}

/**
 * CPU time (ms) used so far by the processes whose command is `name` (`postgres`: the server and every backend,
 * whoever's). A backend that has exited is counted too: its time is in its parent's cutime + cstime once the
 * parent (the postmaster) has waited for it, so a pool that closes idle connections does not make the figure
 * drop. Every database of the server is counted: the benchmark's is the only busy one.
 */
export function cpuMsOfCommand(name: string): number {
  const stats = allStats();
  let ticks = 0;
  for (const proc of stats.values()) {
    if (proc.comm !== name) continue;
    ticks += proc.ticks;
    if (stats.get(proc.ppid)?.comm !== name) ticks += proc.childTicks;
  }
  return (ticks * 1000) / TICKS_PER_SECOND;
}

/** The process and every live descendant (a gateway that forks workers is measured whole). */
function tree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, { ppid }] of allStats()) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  const pids = [root];
  for (let i = 0; i < pids.length; i++) pids.push(...(children.get(pids[i]!) ?? []));
  return pids;
}

/** CPU time (user + system, every thread) the processes and their descendants have used so far, in ms. */
export function cpuMs(roots: number[]): number {
  let ticks = 0;
  for (const root of roots) for (const pid of tree(root)) ticks += stat(pid)?.ticks ?? 0;
  return (ticks * 1000) / TICKS_PER_SECOND;
}

/** Hits and misses of each cache a Prometheus exposition counts (`tiga_…cache…` series). */
export type CacheCounts = Map<string, { hits: number; misses: number }>;

const SAMPLE = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})?\s+(\S+)/;

/**
 * Reads the `tiga_*cache*` counters of a /metrics text: a series is a hit or a miss by its `result` (or
 * `outcome`) label, else by its name (`…_hits_total`, `…_misses_total`); the cache is its `cache` label, else
 * the name without those suffixes, and its `kind` label when it has one (`gateway_cache entity`). Other labels
 * (the subgraph…) are summed. Histograms' `_bucket`, `_sum` and `_count` series are not counters of lookups.
 */
export function cacheCounts(metrics: string): CacheCounts {
  const counts: CacheCounts = new Map();
  for (const line of metrics.split('\n')) {
    const match = SAMPLE.exec(line);
    if (!match || !/^tiga_\w*cache/i.test(match[1]!) || /_(bucket|sum|count)$/.test(match[1]!)) continue;
    const [, name, rawLabels = '', value] = match;
    const labels = Object.fromEntries([...rawLabels.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]));
    const said = labels.result ?? labels.outcome ?? name!;
    const outcome = /miss/i.test(said) ? 'misses' : /hit/i.test(said) ? 'hits' : undefined;
    if (!outcome) continue;
    const base = labels.cache ?? name!.replace(/^tiga_/, '').replace(/_total$/, '').replace(/_(hits?|miss(es)?|lookups)$/i, '');
    const cache = labels.kind ? `${base} ${labels.kind}` : base;
    const entry = counts.get(cache) ?? { hits: 0, misses: 0 };
    entry[outcome] += Number(value) || 0;
    counts.set(cache, entry);
  }
  return counts;
}

/** The counters of every URL (summed by cache); a URL that does not answer counts nothing. */
export async function readCaches(metricsUrls: string[]): Promise<CacheCounts> {
  const total: CacheCounts = new Map();
  for (const url of metricsUrls) {
    const text = await fetch(url, { signal: AbortSignal.timeout(5_000) }).then((r) => (r.ok ? r.text() : ''), () => '');
    for (const [cache, { hits, misses }] of cacheCounts(text)) {
      const entry = total.get(cache) ?? { hits: 0, misses: 0 };
      total.set(cache, { hits: entry.hits + hits, misses: entry.misses + misses });
    }
  }
  return total;
}

/** after − before, cache by cache. */
export function cacheDelta(before: CacheCounts, after: CacheCounts): CacheCounts {
  return new Map([...after].map(([cache, { hits, misses }]) => [cache, { hits: hits - (before.get(cache)?.hits ?? 0), misses: misses - (before.get(cache)?.misses ?? 0) }]));
}

/** `planCache 97.1 %, supergraph 100 %`, or `n/a` when no cache is counted (or none was asked). */
export function hitRates(counts: CacheCounts | undefined): string {
  const asked = [...(counts ?? [])].filter(([, c]) => c.hits + c.misses > 0);
  if (!asked.length) return 'n/a';
  return asked.map(([cache, c]) => `${cache} ${((100 * c.hits) / (c.hits + c.misses)).toFixed(1)} % of ${c.hits + c.misses}`).join(', ');
}
