/**
 * npm run ingest -- <producer> <file> [--partial] [--format <name>] [--encoding <enc>] [--mapping <file|name>]
 *                   [--timezone <tz>] [--hub <gateway URL>] [--token <JWT>]
 * A producer's file, as it publishes it, into the hub: read by the producer's own readers (recognised from
 * the content), in one transaction on PostgreSQL or in short validated batches on the embedded database.
 * With --hub, or when a running hub holds the embedded folder, the file is pushed to that hub's
 * `POST /ingest/<producer>` instead (streamed). Prints the report; exits 1 when the file was refused (or rows
 * were rejected), 2 on a usage error. With --partial, rejects go to <file>.rejects.csv.
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Knex } from 'knex';
import { loadConfig } from '../lib/config.ts';
import type { Database } from '../lib/db.ts';
import { runMain, UserFacingError } from '../lib/runtime/lifecycle.ts';
import { readLockHolder } from '../lib/runtime/dataLock.ts';
import { ensureEmbeddedKeys } from '../lib/auth/keys.ts';
import { signToken } from '../lib/auth/sign.ts';
import { ingestInto } from '../lib/ingest/ingest.ts';
import { fromFile } from '../lib/ingest/source.ts';
import { readMappingFile, type Mapping } from '../lib/ingest/mapping.ts';
import { mappingsIn } from '../lib/ingest/route.ts';
import { IngestFileError } from '../lib/ingest/errors.ts';
import type { IngestReport } from '../lib/ingest/types.ts';
import { PRODUCER_NAMES, PRODUCERS, producerNamed } from '../subgraphs/registry.ts';
import { bootProducers } from '../hub/boot.ts';

export interface FileOptions {
  partial?: boolean;
  format?: string;
  encoding?: string;
  mapping?: Mapping;
  timezone?: string;
}

/** What the CLI does with a local database, callable from tests: reads `file` and writes `<file>.rejects.csv` with `partial`. */
export async function ingestFile(db: Database | Knex, producer: string, file: string, options: FileOptions = {}): Promise<IngestReport> {
  // A bare knex (tests) runs as on PostgreSQL: in one transaction.
  const database: Database = 'knex' in db ? db : { knex: db, engine: 'postgres', close: async () => {} };
  const report = await ingestInto(database, producerNamed(producer).ingest, fromFile(file), { ...options, fileName: path.basename(file), source: path.basename(file), partial: options.partial ?? false });
  if (options.partial && report.rejected.length) {
    const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;
    fs.writeFileSync(`${file}.rejects.csv`, ['line,reason', ...report.rejected.map((r) => `${r.line},${quote(r.reason)}`)].join('\n') + '\n');
  }
  return report;
}

export function formatReport(report: IngestReport, file: string): string {
  const lines = [
    `${report.producer}/${report.format} ${file} (${report.encoding}): ${report.committed ? 'committed' : 'REFUSED, nothing written'}`,
    `  read ${report.read}, inserted ${report.inserted}, updated ${report.updated}, unchanged ${report.unchanged}, skipped ${report.skipped.reduce((n, s) => n + s.count, 0)}, rejected ${report.rejected.length}`,
    ...report.skipped.map((s) => `  skipped ${s.count}: ${s.reason} (lines ${s.lines.join(', ')}${s.count > s.lines.length ? ', …' : ''})`),
    ...report.rejected.slice(0, 50).map((r) => `  line ${r.line}: ${r.reason}`),
  ];
  if (report.rejected.length > 50) lines.push(`  … ${report.rejected.length - 50} more`);
  return lines.join('\n');
}

/** Streams `file` to a hub's `POST /ingest/<producer>` and returns its report. */
export async function pushFile(gatewayUrl: string, producer: string, file: string, token: string, options: FileOptions = {}): Promise<IngestReport> {
  const url = new URL(`/ingest/${producer}`, gatewayUrl);
  for (const [key, value] of Object.entries({ format: options.format, encoding: options.encoding, timezone: options.timezone, partial: options.partial ? 'true' : undefined, name: path.basename(file) })) {
    if (value) url.searchParams.set(key, value);
  }
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' };
  if (options.mapping) headers['x-ingest-mapping'] = Buffer.from(JSON.stringify(options.mapping)).toString('base64');
  const body = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const request = (url.protocol === 'https:' ? https : http).request(url, { method: 'POST', headers }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
    });
    request.on('error', reject);
    fs.createReadStream(file).pipe(request);
  });
  const parsed = JSON.parse(body.text) as IngestReport | { errors: { message: string }[] };
  if ('errors' in parsed) throw new UserFacingError(`the hub refused the file (HTTP ${body.status}): ${parsed.errors.map((e) => e.message).join('; ')}`, 1);
  return parsed;
}

/**
 * Every format and named mapping the hub reads, as a Markdown table (`npm run ingest -- --formats`): the
 * README's table is this output (test/ingest/formats-doc.test.ts keeps them equal).
 */
export function formatsTable(): string {
  const rows = ['| producer | `--format` | what it reads |', '|---|---|---|'];
  for (const producer of PRODUCERS) {
    for (const ingester of producer.ingest) rows.push(`| ${producer.name} | \`${ingester.format}\` | ${ingester.description.replace(/\|/g, '\\|')} |`);
    const folder = producer.mappings && fileURLToPath(producer.mappings);
    if (folder && fs.existsSync(folder)) {
      for (const file of fs.readdirSync(folder).filter((f) => /\.ya?ml$/.test(f)).sort()) {
        const mapping = readMappingFile(path.join(folder, file));
        // The first sentence: the mapping file says the rest.
        const summary = (mapping.description ?? 'named mapping').split(/(?<=[.:])\s/)[0]!.replace(/[.:]$/, '');
        rows.push(`| ${producer.name} | \`--mapping ${file.replace(/\.ya?ml$/, '')}\` | ${summary.replace(/\|/g, '\\|')} (read as \`${mapping.format}\`) |`);
      }
    }
  }
  return rows.join('\n');
}

function parseArgs(argv: string[]) {
  const valueOf = (flag: string) => {
    const at = argv.indexOf(flag);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const valued = ['--format', '--encoding', '--mapping', '--timezone', '--hub', '--token'];
  const positional = argv.filter((a, i) => !a.startsWith('--') && !valued.includes(argv[i - 1] ?? ''));
  const [producer, file] = positional;
  if (!producer || !file) {
    throw new UserFacingError(`usage: npm run ingest -- <${PRODUCER_NAMES.join('|')}> <file> [--partial] [--format <name>] [--encoding <enc>] [--mapping <file|name>] [--timezone <tz>] [--hub <url>] [--token <jwt>]`);
  }
  if (!fs.existsSync(file)) throw new UserFacingError(`no such file: ${file}`);
  const definition = producerNamed(producer);
  const mappingArg = valueOf('--mapping');
  let mapping: Mapping | undefined;
  if (mappingArg) {
    mapping = fs.existsSync(mappingArg) ? readMappingFile(mappingArg) : definition.mappings ? mappingsIn(definition.mappings)(mappingArg) : undefined;
    if (!mapping) throw new UserFacingError(`no mapping file or ${producer} mapping named "${mappingArg}"`);
  }
  return {
    producer,
    file,
    hub: valueOf('--hub'),
    token: valueOf('--token'),
    options: { partial: argv.includes('--partial'), format: valueOf('--format'), encoding: valueOf('--encoding'), mapping, timezone: valueOf('--timezone') } satisfies FileOptions,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runMain(async (lifecycle) => {
    if (process.argv.includes('--formats')) {
      console.log(formatsTable());
      return { done: true, exitCode: 0 };
    }
    const { producer, file, hub, token, options } = parseArgs(process.argv.slice(2));
    const config = loadConfig();
    const definition = producerNamed(producer);
    let report: IngestReport;
    try {
      const holder = !config.service(producer, definition.defaultPort).databaseUrl ? readLockHolder(config.dataDir) : null;
      if (hub) {
        const bearer = token ?? config.ingestToken;
        if (!bearer) throw new UserFacingError('--hub needs a token: --token <jwt> or TIGA_TOKEN, with the scope producer:' + producer);
        report = await pushFile(hub, producer, file, bearer, options);
      } else if (holder?.gatewayUrl && !config.auth.jwks) {
        // The running hub owns the embedded folder: hand it the file, with a short-lived token of this folder's own key.
        const keys = await ensureEmbeddedKeys(config.dataDir);
        const signed = await signToken(keys, { subject: `ingest-cli@${process.pid}`, scopes: [`producer:${producer}`], ttlSeconds: 600, issuer: config.auth.issuer, audience: config.auth.audience });
        console.error(`the hub (process ${holder.pid}) holds ${config.dataDir}: pushing the file to it`);
        report = await pushFile(holder.gatewayUrl, producer, file, signed, options);
      } else {
        const booted = await bootProducers(config, lifecycle, { role: `ingest ${producer}`, producers: [producer], seed: false, log: (line) => console.error(line) });
        report = await ingestFile(booted.dbs.of(producer), producer, file, options);
      }
    } catch (error) {
      if (error instanceof IngestFileError) throw new UserFacingError(`${file}: ${error.message}`, 1);
      throw error;
    }
    console.log(formatReport(report, file));
    if (options.partial && report.rejected.length && !hub) console.log(`  rejects written to ${file}.rejects.csv`);
    return { done: true, exitCode: report.committed && (options.partial || report.rejected.length === 0) ? 0 : 1 };
  });
}
