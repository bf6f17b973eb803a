/**
 * npm run ingest -- <producer> <file> [--partial] [--format <name>]
 * Streams a producer's file into its subgraph in one transaction; prints the report; exits 1 when the
 * file was refused (or rows were rejected), 2 on a usage error. With --partial, rejects go to <file>.rejects.csv.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Knex } from 'knex';
import { loadConfig } from '../lib/config.ts';
import { openDatabase } from '../lib/db.ts';
import { prepareDatabase } from '../lib/subgraph.ts';
import type { Ingester, IngestReport } from '../lib/ingest/types.ts';
import { ingesters as atmoIngesters } from '../subgraphs/atmo/ingest.ts';
import { ingesters as orsalIngesters } from '../subgraphs/orsal/ingest.ts';
import { ingesters as adeusIngesters } from '../subgraphs/adeus/ingest.ts';
import { ingesters as communityIngesters } from '../subgraphs/community/ingest.ts';
import { atmo } from '../subgraphs/atmo/index.ts';
import { orsal } from '../subgraphs/orsal/index.ts';
import { adeus } from '../subgraphs/adeus/index.ts';
import { community } from '../subgraphs/community/index.ts';

export const INGESTERS: Record<string, Ingester[]> = { atmo: atmoIngesters, orsal: orsalIngesters, adeus: adeusIngesters, community: communityIngesters };
export const DEFINITIONS = { atmo, orsal, adeus, community };

/** The ingester for a producer's file: by --format, else the first whose name pattern matches. */
export function pickIngester(producer: string, file: string, format?: string): Ingester {
  const list = INGESTERS[producer];
  if (!list) throw new Error(`unknown producer "${producer}" (${Object.keys(INGESTERS).join(', ')})`);
  const found = format ? list.find((i) => i.format === format) : list.find((i) => i.accepts.test(path.basename(file)));
  if (!found) throw new Error(`no ${producer} format ${format ? `"${format}"` : `for the file name "${path.basename(file)}"`}; use --format (${list.map((i) => i.format).join(', ')})`);
  return found;
}

/** What the CLI does, callable from tests: streams `file` and writes `<file>.rejects.csv` with `partial`. */
export async function ingestFile(knex: Knex, producer: string, file: string, options: { partial?: boolean; format?: string } = {}): Promise<IngestReport> {
  const ingester = pickIngester(producer, file, options.format);
  const input = fs.createReadStream(file, { highWaterMark: 256 * 1024 });
  try {
    const report = await ingester.ingest(knex, input, { partial: options.partial ?? false, source: path.basename(file) });
    if (options.partial && report.rejected.length) {
      const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;
      fs.writeFileSync(`${file}.rejects.csv`, ['line,reason', ...report.rejected.map((r) => `${r.line},${quote(r.reason)}`)].join('\n') + '\n');
    }
    return report;
  } finally {
    input.destroy();
  }
}

export function formatReport(report: IngestReport, file: string): string {
  const lines = [
    `${report.producer}/${report.format} ${file}: ${report.committed ? 'committed' : 'REFUSED, nothing written'}`,
    `  read ${report.read}, inserted ${report.inserted}, updated ${report.updated}, unchanged ${report.unchanged}, rejected ${report.rejected.length}`,
    ...report.rejected.slice(0, 50).map((r) => `  line ${r.line}: ${r.reason}`),
  ];
  if (report.rejected.length > 50) lines.push(`  … ${report.rejected.length - 50} more`);
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  const args = [...argv];
  const partial = args.includes('--partial');
  const formatAt = args.indexOf('--format');
  const format = formatAt >= 0 ? args[formatAt + 1] : undefined;
  const positional = args.filter((a, i) => !a.startsWith('--') && (formatAt < 0 || i !== formatAt + 1));
  const [producer, file] = positional;
  if (!producer || !file) {
    console.error('usage: npm run ingest -- <atmo|orsal|adeus|community> <file> [--partial] [--format <name>]');
    return 2;
  }
  const config = loadConfig();
  const name = producer as keyof typeof DEFINITIONS;
  // The hub's embedded database (stop `npm start` first: PGlite has one session), or the producer's PostgreSQL.
  const db = await openDatabase(config.subgraphs[name]?.databaseUrl ?? config.databaseUrl, path.join(config.dataDir, 'pglite'));
  try {
    await prepareDatabase(DEFINITIONS[name] ?? atmo, db);
    const report = await ingestFile(db.knex, producer, file, { partial, format });
    console.log(formatReport(report, file));
    if (partial && report.rejected.length) console.log(`  rejects written to ${file}.rejects.csv`);
    return report.committed && (partial || report.rejected.length === 0) ? 0 : 1;
  } finally {
    await db.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: Error) => {
      console.error(`ingest failed: ${error.message}`);
      process.exit(2);
    },
  );
}
