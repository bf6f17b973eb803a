import { createHash, type Hash } from 'node:crypto';
import type { OpenCollection, OpenFeature, OpenFilter, ReadContext, Segment } from '../opendata/openCollection.ts';
import type { ExportFormat, ExportSettings } from './exportFormat.ts';

/** Features per write: a territory outline is kilobytes, so a write stays well under a megabyte. */
const BATCH = 256;

/** One export to generate: a collection's segments for a filter, in a format. */
export interface ExportJob {
  collection: OpenCollection;
  ctx: ReadContext;
  filter: OpenFilter;
  /** Read once, before the first byte (where a bad filter or an unknown territory fails). */
  segments: Segment[];
  format: ExportFormat;
  settings: ExportSettings;
}

/**
 * The selected features in order, in batches, read segment by segment through the collection (the open
 * layer's `features`, as `streamFeatures` does, on segments already read for the response's headers).
 */
export async function* featureBatches(job: ExportJob): AsyncGenerator<OpenFeature[]> {
  for (const segment of job.segments) {
    for await (const chunk of job.collection.features(job.ctx, job.filter, segment)) {
      for (let i = 0; i < chunk.length; i += BATCH) yield chunk.slice(i, i + BATCH);
    }
  }
}

const bytesOf = (part: string | Uint8Array): Buffer => (typeof part === 'string' ? Buffer.from(part, 'utf8') : Buffer.from(part.buffer, part.byteOffset, part.byteLength));

/** The body, head to tail, as the bytes to send next (the uncompressed representation). */
export async function* exportBody(job: ExportJob, batches: AsyncIterable<OpenFeature[]>): AsyncGenerator<Buffer> {
  const writer = job.format.writer(job.settings);
  const head = bytesOf(writer.head());
  if (head.length) yield head;
  for await (const batch of batches) {
    const bytes = bytesOf(writer.features(batch));
    if (bytes.length) yield bytes;
  }
  const tail = bytesOf(writer.tail());
  if (tail.length) yield tail;
}

/** A body's validator: the base64url SHA-256 of its uncompressed bytes (a client can compute it from the file). */
export const digestHash = (): Hash => createHash('sha256');
export const digestText = (hash: Hash): string => hash.digest('base64url');

/** Generates the whole body once, sending nothing, for its digest and length: constant memory, one more read of the data. */
export async function digestOf(job: ExportJob): Promise<{ digest: string; length: number }> {
  const hash = digestHash();
  let length = 0;
  for await (const bytes of exportBody(job, featureBatches(job))) {
    hash.update(bytes);
    length += bytes.length;
  }
  return { digest: digestText(hash), length };
}
