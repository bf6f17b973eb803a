import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import express from 'express';
import type { Database } from '../db.ts';
import type { TokenVerifier } from '../auth/verify.ts';
import { isAllowed, scopesOf, describeRule, type AccessRule } from '../auth/principal.ts';
import { IngestFileError } from './errors.ts';
import { countAuthFailure } from '../observability/metrics.ts';
import { ingestInto } from './ingest.ts';
import { parseMapping, readMappingFile, type Mapping } from './mapping.ts';
import { causeOf } from './runner.ts';
import { fromFile } from './source.ts';
import type { Ingester } from './types.ts';

/** The open `source` of rows pushed over HTTP without a source of their own: the channel, never the caller. */
export const PUSH_SOURCE = 'upload through the TIGA API';

export interface IngestRouteOptions {
  producer: string;
  ingesters: readonly Ingester[];
  db: Database;
  verifier: TokenVerifier;
  /** Who may push: the rule of the producer's `ingest<Name>` mutation, read from its SDL. */
  rule: AccessRule;
  /** Named mappings the producer keeps (`subgraphs/<name>/mappings/<name>.yaml`). */
  mappings: (name: string) => Mapping | undefined;
}

const flag = (value: unknown) => value === 'true' || value === '1';
const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

/**
 * `POST /ingest` of a producer's subgraph: the request body is the file, as the producer publishes it (any
 * size; gzip accepted), spooled to disk so that memory stays flat and the embedded database can read it
 * twice; `?format=`, `?encoding=`, `?mapping=`, `?partial=true`, `?name=` say what the CLI's flags say.
 * Answers the ingest report as JSON: 200 when written, 422 when the file was refused (nothing written).
 */
export function ingestRoute(options: IngestRouteOptions): express.Router {
  const router = express.Router();
  router.post('/ingest', async (req, res) => {
    const fail = (status: number, code: string, message: string) => res.status(status).json({ errors: [{ message, extensions: { code } }] });
    let principal;
    try {
      principal = await options.verifier(req.headers.authorization);
    } catch (error) {
      countAuthFailure(`subgraph:${options.producer}`);
      return void fail(401, 'UNAUTHENTICATED', (error as Error).message);
    }
    if (principal.kind !== 'user') return void fail(401, 'UNAUTHENTICATED', `pushing a file needs a token with ${describeRule(options.rule)}`);
    if (!isAllowed(options.rule, principal)) return void fail(403, 'FORBIDDEN', `pushing a file to ${options.producer} needs ${describeRule(options.rule)}`);
    const mappingName = text(req.query.mapping);
    let mapping = mappingName ? options.mappings(mappingName) : undefined;
    if (mappingName && !mapping) return void fail(400, 'BAD_USER_INPUT', `${options.producer} has no mapping "${mappingName}"`);
    // A mapping of the caller's own travels in a header (base64 of its YAML or JSON), validated like a file.
    const inline = req.headers['x-ingest-mapping'];
    if (typeof inline === 'string') {
      try {
        mapping = parseMapping(Buffer.from(inline, 'base64').toString('utf8'), 'the X-Ingest-Mapping header');
      } catch (error) {
        return void fail(400, 'BAD_USER_INPUT', (error as Error).message);
      }
    }
    const spool = path.join(os.tmpdir(), `tiga-ingest-${randomUUID()}`);
    try {
      await pipeline(req, fs.createWriteStream(spool));
      const report = await ingestInto(options.db, options.ingesters, fromFile(spool), {
        channel: 'push',
        format: text(req.query.format),
        encoding: text(req.query.encoding),
        fileName: text(req.query.name),
        partial: flag(req.query.partial),
        timezone: text(req.query.timezone),
        mapping,
        actor: principal.subject,
        scopes: scopesOf(principal),
        source: PUSH_SOURCE,
      });
      res.status(report.committed ? 200 : 422).json(report);
    } catch (error) {
      if (error instanceof IngestFileError) return void fail(400, 'BAD_USER_INPUT', error.message);
      // The cause goes to the log only; the caller quotes the request id.
      const requestId = String(res.getHeader('x-request-id') ?? '-');
      console.error(`[${requestId}] ${options.producer} ingest failed: ${causeOf(error)}`);
      res.status(500).json({ errors: [{ message: 'internal error', extensions: { code: 'INTERNAL_SERVER_ERROR', requestId } }] });
    } finally {
      fs.rmSync(spool, { force: true });
    }
  });
  return router;
}

/** A producer's named mappings: YAML files in its `mappings/` folder. */
export function mappingsIn(folder: URL): (name: string) => Mapping | undefined {
  return (name) => {
    if (!/^[a-z0-9-]+$/.test(name)) return undefined;
    const file = new URL(`./${name}.yaml`, folder.href.endsWith('/') ? folder : new URL(`${folder.href}/`));
    return fs.existsSync(file) ? readMappingFile(file.pathname) : undefined;
  };
}
