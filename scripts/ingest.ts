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
import { runMain, UserFacingError } from '../lib/runtime/lifecycle.ts';
import type { Ingester, IngestReport } from '../lib/ingest/types.ts';
import { PRODUCER_NAMES, producerNamed } from '../subgraphs/registry.ts';
import { bootProducers } from '../hub/boot.ts';

/** The ingester for a producer's file: by --format, else the first whose name pattern matches. */
export function pickIngester(producer: string, file: string, format?: string): Ingester {
  const list = producerNamed(producer).ingest;
  if (!list.length) throw new UserFacingError(`${producer} ingests no files`);
  const found = format ? list.find((i) => i.format === format) : list.find((i) => i.accepts.test(path.basename(file)));
  if (!found) {
    throw new UserFacingError(`no ${producer} format ${format ? `"${format}"` : `for the file name "${path.basename(file)}"`}; use --format (${list.map((i) => i.format).join(', ')})`);
  }
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

function parseArgs(argv: string[]) {
  const partial = argv.includes('--partial');
  const formatAt = argv.indexOf('--format');
  const format = formatAt >= 0 ? argv[formatAt + 1] : undefined;
  const positional = argv.filter((a, i) => !a.startsWith('--') && (formatAt < 0 || i !== formatAt + 1));
  const [producer, file] = positional;
  if (!producer || !file) throw new UserFacingError(`usage: npm run ingest -- <${PRODUCER_NAMES.join('|')}> <file> [--partial] [--format <name>]`);
  if (!fs.existsSync(file)) throw new UserFacingError(`no such file: ${file}`);
  return { producer, file, partial, format };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runMain(async (lifecycle) => {
    const { producer, file, partial, format } = parseArgs(process.argv.slice(2));
    pickIngester(producer, file, format);
    const config = loadConfig();
    // The producer's PostgreSQL, or the embedded folder (refused while a hub holds it).
    const booted = await bootProducers(config, lifecycle, { role: `ingest ${producer}`, producers: [producer], seed: false, log: (line) => console.error(line) });
    const report = await ingestFile(booted.dbs.of(producer).knex, producer, file, { partial, format });
    console.log(formatReport(report, file));
    if (partial && report.rejected.length) console.log(`  rejects written to ${file}.rejects.csv`);
    return { done: true, exitCode: report.committed && (partial || report.rejected.length === 0) ? 0 : 1 };
  });
}
