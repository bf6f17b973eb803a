import { once } from 'node:events';
import { pipeline, type Writable } from 'node:stream';
import zlib from 'node:zlib';
import type { Response } from 'express';
import { digestHash, digestText } from './exportBody.ts';

export type ContentCoding = 'gzip' | 'br' | 'identity';

/** The compressor of a content coding; Brotli at quality 4: about gzip's speed, smaller files (11, its default, costs tens of times more CPU). */
function compressor(coding: Exclude<ContentCoding, 'identity'>): zlib.Gzip | zlib.BrotliCompress {
  return coding === 'gzip' ? zlib.createGzip({ level: 6 }) : zlib.createBrotliCompress({ params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 } });
}

/** Why a body was not sent whole. */
export class ExportAborted extends Error {
  constructor(
    message: string,
    /** The client went away (nothing to report to anyone) rather than the export failing. */
    readonly byClient: boolean,
  ) {
    super(message);
    this.name = 'ExportAborted';
  }
}

/**
 * Sends a body that is generated while it is sent, in constant memory: each piece is written once the
 * previous ones are taken (`drain`), compressed on the way when asked. The status line and headers go at
 * once. When `expected` is given (the digest the ETag announced), the bytes sent are hashed and the last chunk
 * is withheld unless they match it; when `contentLength` is (HTTP/1.0), no byte past it is sent.
 *
 * A body that cannot be sent whole (a read failing after the first byte, data changing under an announced
 * ETag) is never made to look complete: the connection is destroyed before the terminating chunk of the
 * chunked encoding (and before the gzip trailer), so every HTTP client reports a truncated transfer instead
 * of a short file. Throws ExportAborted then, after destroying the response; the caller logs it.
 */
export async function streamExport(res: Response, body: AsyncIterable<Buffer>, coding: ContentCoding, expected?: string, contentLength?: number): Promise<void> {
  const gone = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) gone.abort();
  });
  // The first batch is read: the status is now known to be 200, and a client's first byte need not wait for the compressor.
  res.flushHeaders();
  const zip = coding === 'identity' ? undefined : compressor(coding);
  if (zip) pipeline(zip, res, () => undefined);
  const out: Writable = zip ?? res;
  const hash = expected ? digestHash() : undefined;
  const write = async (bytes: Buffer) => {
    if (!out.write(bytes)) await once(out, 'drain', { signal: gone.signal });
  };
  // Each piece goes once the next one is ready, the last once the whole body is checked: under a
  // Content-Length too (where the last byte completes the message), a body that fails the check stays short.
  let held: Buffer | undefined;
  let sent = 0;
  try {
    for await (const bytes of body) {
      if (gone.signal.aborted) throw new ExportAborted('the client closed the connection', true);
      // Past an announced Content-Length the bytes would read as a whole file made of two different ones.
      if (contentLength !== undefined && (sent += bytes.length) > contentLength) throw new ExportAborted('the body outgrew the Content-Length announced: the data changed between the two reads', false);
      hash?.update(bytes);
      if (held) await write(held);
      held = bytes;
    }
    if (hash && digestText(hash) !== expected) throw new ExportAborted('the data changed between the validator pass and the body: the body does not match its ETag', false);
    if (contentLength !== undefined && sent !== contentLength) throw new ExportAborted('the body is shorter than the Content-Length announced: the data changed between the two reads', false);
    if (held) await write(held);
  } catch (error) {
    const aborted = error instanceof ExportAborted ? error : gone.signal.aborted ? new ExportAborted('the client closed the connection', true) : undefined;
    // Without an error argument: the socket closes, no 'error' event is left unhandled, and the client sees the truncation.
    zip?.destroy();
    res.destroy();
    throw aborted ?? error;
  }
  out.end();
  if (!res.writableFinished) await once(res, 'finish', { signal: gone.signal }).catch(() => undefined);
}
