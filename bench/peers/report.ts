import { hitRates, type CacheCounts } from './measure.ts';

/** One stack measured in one round. */
export interface Measurement {
  round: number;
  ok: number;
  failed: number;
  seconds: number;
  p50: number;
  p99: number;
  gatewayCpuMs: number;
  subgraphsCpuMs: number;
  /** Every `postgres` process on the machine (the benchmark's database is the only busy one): an estimate. */
  databaseCpuMs: number;
  /** The benchmark's own process: autocannon and the mix. Not the stack's, but it shares the same cores. */
  loadCpuMs: number;
  /** The gateway's own cache counters over the round (ours only: the peers expose none). */
  gatewayCaches: CacheCounts | undefined;
  subgraphCaches: CacheCounts;
}

export interface Summary {
  label: string;
  ours: boolean;
  /** Our gateway again (`tiga-b`), compared with ours rather than counted as a peer. */
  variant: boolean;
  rps: number;
  p50: number;
  p99: number;
  gatewayCpuPerRequest: number;
  subgraphsCpuPerRequest: number;
  databaseCpuPerRequest: number;
  loadCpuPerRequest: number;
  failed: number;
  gatewayCaches: string;
  subgraphCaches: string;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const sumCaches = (all: (CacheCounts | undefined)[]): CacheCounts | undefined => {
  if (all.every((c) => c === undefined)) return undefined;
  const total: CacheCounts = new Map();
  for (const counts of all) {
    for (const [cache, { hits, misses }] of counts ?? []) {
      const entry = total.get(cache) ?? { hits: 0, misses: 0 };
      total.set(cache, { hits: entry.hits + hits, misses: entry.misses + misses });
    }
  }
  return total;
};

/** Medians over the rounds for throughput and latency; CPU per request over all the rounds' answers together. */
export function summarise(label: string, ours: boolean, rounds: Measurement[], variant = false): Summary {
  const answered = rounds.reduce((sum, r) => sum + r.ok, 0) || 1;
  return {
    label,
    ours,
    variant,
    rps: median(rounds.map((r) => r.ok / r.seconds)),
    p50: median(rounds.map((r) => r.p50)),
    p99: median(rounds.map((r) => r.p99)),
    gatewayCpuPerRequest: rounds.reduce((sum, r) => sum + r.gatewayCpuMs, 0) / answered,
    subgraphsCpuPerRequest: rounds.reduce((sum, r) => sum + r.subgraphsCpuMs, 0) / answered,
    databaseCpuPerRequest: rounds.reduce((sum, r) => sum + r.databaseCpuMs, 0) / answered,
    loadCpuPerRequest: rounds.reduce((sum, r) => sum + r.loadCpuMs, 0) / answered,
    failed: rounds.reduce((sum, r) => sum + r.failed, 0),
    gatewayCaches: ours || variant ? hitRates(sumCaches(rounds.map((r) => r.gatewayCaches))) : 'n/a (none exposed)',
    subgraphCaches: hitRates(sumCaches(rounds.map((r) => r.subgraphCaches))),
  };
}

const ms = (value: number) => (value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2));

/** The Markdown table, the cache hit rates, and how ours compares with the best peer. */
export function report(summaries: Summary[]): string {
  const lines = [
    '| gateway in front of the same subgraphs | req/s (median) | p50 ms | p99 ms | gateway CPU ms/req | subgraphs CPU ms/req | PostgreSQL CPU ms/req (est.) | load generator CPU ms/req | failed |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...summaries.map(
      (s) =>
        `| ${s.label} | ${s.rps.toFixed(0)} | ${ms(s.p50)} | ${ms(s.p99)} | ${ms(s.gatewayCpuPerRequest)} | ${ms(s.subgraphsCpuPerRequest)} | ${ms(s.databaseCpuPerRequest)} | ${ms(s.loadCpuPerRequest)} | ${s.failed} |`,
    ),
    '',
    '| gateway | its caches (hit rate) | the subgraphs\' caches (hit rate) |',
    '|---|---|---|',
    ...summaries.map((s) => `| ${s.label} | ${s.gatewayCaches} | ${s.subgraphCaches} |`),
  ];
  const ours = summaries.find((s) => s.ours);
  const peers = summaries.filter((s) => !s.ours && !s.variant);
  const ratio = (a: number, b: number) => (b ? `${(a / b).toFixed(2)}×` : 'n/a');
  const variant = summaries.find((s) => s.variant);
  if (ours && variant) {
    const total = (s: Summary) => s.gatewayCpuPerRequest + s.subgraphsCpuPerRequest;
    lines.push(
      '',
      `B / ours: req/s ${ratio(variant.rps, ours.rps)}, p99 ${ratio(variant.p99, ours.p99)}, gateway CPU ms/req ${ratio(variant.gatewayCpuPerRequest, ours.gatewayCpuPerRequest)}, ` +
        `gateway + subgraphs CPU ms/req ${ratio(total(variant), total(ours))}`,
    );
  }
  if (ours && peers.length) {
    const best = peers.reduce((a, b) => (b.rps > a.rps ? b : a));
    lines.push(
      '',
      `ours / best peer (${best.label}, by req/s): req/s ${ratio(ours.rps, best.rps)}, p50 ${ratio(ours.p50, best.p50)}, p99 ${ratio(ours.p99, best.p99)}, ` +
        `gateway CPU ms/req ${ratio(ours.gatewayCpuPerRequest, best.gatewayCpuPerRequest)}, subgraphs CPU ms/req ${ratio(ours.subgraphsCpuPerRequest, best.subgraphsCpuPerRequest)}`,
    );
  }
  return lines.join('\n');
}
