import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Ajv } from 'ajv';
import { parse as parseYaml } from 'yaml';
import type { Database } from '../db.ts';
import type { ProducerDefinition } from '../producer.ts';
import { IngestFileError } from './errors.ts';
import { lastPull, recordRun } from './history.ts';
import { ingestInto } from './ingest.ts';
import { mappingsIn } from './route.ts';
import { causeOf } from './runner.ts';
import { fromFile } from './source.ts';
import type { IngestReport } from './types.ts';

/**
 * A source a producer publishes on the web, which the hub pulls on a schedule: declared in the file that
 * `TIGA_SOURCES` names (YAML), e.g.
 *
 *     sources:
 *       - producer: atmo
 *         name: indice-grand-est
 *         url: https://services3.arcgis.com/…/ind_grandest/FeatureServer/0/query?where=…&f=json
 *         everyMinutes: 60
 *         format: atmo-arcgis-json     # optional: recognised from the content otherwise
 *         mapping: ods-urban           # optional: one of the producer's named mappings
 *         encoding: windows-1252       # optional
 */
export interface PullSource {
  producer: string;
  name: string;
  url: string;
  everyMinutes: number;
  format?: string;
  mapping?: string;
  encoding?: string;
}

const SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['sources'],
  properties: {
    sources: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['producer', 'name', 'url', 'everyMinutes'],
        properties: {
          producer: { type: 'string', pattern: '^[a-z][a-z0-9]*$' },
          name: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]*$' },
          url: { type: 'string', pattern: '^https?://' },
          everyMinutes: { type: 'number', minimum: 1 },
          format: { type: 'string' },
          mapping: { type: 'string' },
          encoding: { type: 'string' },
        },
      },
    },
  },
} as const;
const validate = new Ajv({ allErrors: true }).compile(SCHEMA);

/** The sources declared in a file, validated; an invalid file is refused with every problem. */
export function readSources(file: string): PullSource[] {
  const value = parseYaml(fs.readFileSync(file, 'utf8')) as unknown;
  if (!validate(value)) throw new Error(`${file} is not a valid list of sources: ${(validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ')}`);
  const sources = (value as { sources: PullSource[] }).sources;
  const names = sources.map((s) => `${s.producer}/${s.name}`);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new Error(`${file} declares the source ${twice} twice`);
  return sources;
}

export interface PullOutcome {
  status: 'committed' | 'refused' | 'failed' | 'unchanged';
  report?: IngestReport;
  error?: string;
}

/** How long one pull may wait for the source before it counts as failed. */
const PULL_TIMEOUT_MS = 120_000;

/**
 * Pulls one source once: a conditional request with the validators of the last pull that brought content
 * (ETag, Last-Modified); an unchanged source is recorded as such and nothing is read; new content is
 * streamed to disk and ingested like any file of the producer. Every run, failed ones included, is recorded
 * in the ingest history (`ingestRuns`).
 */
export async function pullOnce(db: Database, producer: ProducerDefinition, source: PullSource): Promise<PullOutcome> {
  const startedAt = new Date();
  const record = (status: PullOutcome['status'], extra: { etag?: string | null; lastModified?: string | null; error?: string } = {}) =>
    recordRun(db.knex, { producer: producer.name, channel: 'pull', sourceName: source.name, url: source.url, status, startedAt, durationMs: Date.now() - startedAt.getTime(), ...extra });
  const last = await lastPull(db.knex, producer.name, source.name);
  const headers: Record<string, string> = {};
  if (last?.etag) headers['if-none-match'] = last.etag;
  if (last?.last_modified) headers['if-modified-since'] = last.last_modified;
  let response: Response;
  try {
    response = await fetch(source.url, { headers, signal: AbortSignal.timeout(PULL_TIMEOUT_MS) });
  } catch (error) {
    const message = `could not reach the source: ${(error as Error).message}`;
    await record('failed', { error: message });
    return { status: 'failed', error: message };
  }
  const etag = response.headers.get('etag');
  const lastModified = response.headers.get('last-modified');
  if (response.status === 304) {
    await record('unchanged', { etag: etag ?? last?.etag, lastModified: lastModified ?? last?.last_modified });
    return { status: 'unchanged' };
  }
  if (!response.ok || !response.body) {
    const message = `the source answered HTTP ${response.status}`;
    await record('failed', { error: message });
    return { status: 'failed', error: message };
  }
  const spool = path.join(os.tmpdir(), `tiga-pull-${randomUUID()}`);
  try {
    await pipeline(Readable.fromWeb(response.body as never), fs.createWriteStream(spool));
    const mapping = source.mapping ? (producer.mappings ? mappingsIn(producer.mappings)(source.mapping) : undefined) : undefined;
    if (source.mapping && !mapping) throw new IngestFileError(0, `${producer.name} has no mapping "${source.mapping}"`);
    const report = await ingestInto(db, producer.ingest, fromFile(spool), {
      channel: 'pull',
      fileName: source.name,
      format: source.format,
      encoding: source.encoding,
      mapping,
      partial: false,
      source: `${source.name} (${new URL(source.url).host})`,
      pull: { url: source.url, etag, lastModified },
    });
    return { status: report.committed ? 'committed' : 'refused', report };
  } catch (error) {
    const message = causeOf(error);
    if (error instanceof IngestFileError) await record('refused', { error: message });
    return { status: 'failed', error: message };
  } finally {
    fs.rmSync(spool, { force: true });
  }
}
