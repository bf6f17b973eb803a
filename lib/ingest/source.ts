import fs from 'node:fs';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import iconv from 'iconv-lite';
import { IngestFileError } from './errors.ts';

/**
 * A producer's file as the readers see it: decoded text (or, for a zip archive, its bytes), a sample of its
 * beginning for recognising its format, and a way to read it again from the start (the embedded database
 * validates a file in full before it writes a row: see runner.ts).
 */
export interface Source {
  /** The file's name, a hint only: formats are recognised by content. */
  fileName: string | undefined;
  kind: 'text' | 'zip';
  /** The encoding the text was decoded from: `utf-8` (checked), or one the producer declared. */
  encoding: string;
  /** The first decoded characters (about 64 KB), BOM removed; empty for a zip archive. */
  sample: string;
  /** The decoded text from the start, in chunks. Fails with an IngestFileError on a byte the encoding does not allow. */
  text(): AsyncIterable<string>;
  /** The raw (decompressed) bytes, whole: for zip archives (shapefiles), whose directory sits at their end. */
  bytes(): Promise<Buffer>;
}

export interface SourceOptions {
  fileName?: string;
  /** The producer's declared encoding (`--encoding`, or a source mapping): windows-1252, latin1, iso-8859-15, utf-8. @default utf-8, checked */
  encoding?: string;
}

/** Reads the bytes again from the start: a file, a spooled upload, or a string. */
export type Reopen = () => Readable;

const SAMPLE_BYTES = 64 * 1024;
/** Zip archives are read whole (their directory is at their end); beyond this they are refused. */
const MAX_ZIP_BYTES = 512 * 1024 * 1024;

export const fromFile = (file: string): Reopen => () => fs.createReadStream(file, { highWaterMark: 256 * 1024 });
export const fromString = (text: string): Reopen => () => Readable.from([Buffer.from(text, 'utf8')]);

const ENCODINGS: Record<string, string> = {
  'utf-8': 'utf-8', utf8: 'utf-8',
  'windows-1252': 'windows-1252', cp1252: 'windows-1252', win1252: 'windows-1252', '1252': 'windows-1252', 'ansi 1252': 'windows-1252',
  latin1: 'latin1', 'iso-8859-1': 'latin1', 'iso8859-1': 'latin1',
  'iso-8859-15': 'iso-8859-15', latin9: 'iso-8859-15',
};

/** The canonical name of an encoding a producer declares, or an error naming those the hub reads. */
export function canonicalEncoding(declared: string): string {
  const name = ENCODINGS[declared.trim().toLowerCase()];
  if (!name) throw new IngestFileError(0, `unknown encoding "${declared}": the hub reads ${[...new Set(Object.values(ENCODINGS))].join(', ')}`);
  return name;
}

/** Bytes from the start, gunzipped when they are gzip (a producer may send `Content-Encoding: gzip` or a .gz file). */
async function* decompressed(reopen: Reopen): AsyncGenerator<Buffer> {
  const input = reopen();
  const iterator = input[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) return;
  const head = Buffer.from(first.value as Buffer);
  const rest = async function* () {
    yield head;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield Buffer.from(next.value as Buffer);
  };
  if (head[0] === 0x1f && head[1] === 0x8b) {
    const gunzip = createGunzip();
    const piped = Readable.from(rest()).pipe(gunzip);
    try {
      for await (const chunk of piped) yield chunk as Buffer;
    } catch {
      throw new IngestFileError(1, 'the gzip stream is truncated or corrupt');
    }
    return;
  }
  yield* rest();
}

/**
 * Decodes a byte stream: checked UTF-8 (a BOM is removed; an invalid byte fails the file, naming its line,
 * so that no U+FFFD is ever stored), or the declared single-byte encoding through iconv-lite (Node 20's
 * own TextDecoder maps windows-1252's 0x80–0x9F wrongly).
 */
async function* decode(bytes: AsyncIterable<Buffer>, encoding: string): AsyncGenerator<string> {
  let line = 1;
  if (encoding !== 'utf-8') {
    const decoder = iconv.getDecoder(encoding);
    for await (const chunk of bytes) {
      const text = decoder.write(chunk);
      if (text) yield text;
    }
    const end = decoder.end();
    if (end) yield end;
    return;
  }
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  for await (const chunk of bytes) {
    let text: string;
    try {
      text = decoder.decode(chunk, { stream: true });
    } catch {
      // Count the lines of what decodes before the bad byte: the producer is told where to look.
      const valid = new TextDecoder('utf-8', { fatal: false }).decode(chunk).split('\uFFFD')[0] ?? '';
      throw new IngestFileError(line + (valid.match(/\n/g)?.length ?? 0), 'the file is not valid UTF-8 here; if it was saved as Windows-1252 or Latin-1 (French spreadsheets often are), declare it: --encoding windows-1252, or `encoding` in its mapping');
    }
    line += text.match(/\n/g)?.length ?? 0;
    if (text) yield text;
  }
  try {
    const end = decoder.decode();
    if (end) yield end;
  } catch {
    throw new IngestFileError(line, 'the file ends in the middle of a UTF-8 character (truncated?)');
  }
}

/** Opens a producer's file: decompresses, recognises a zip archive, decodes, and samples its beginning. */
export async function openSource(reopen: Reopen, options: SourceOptions = {}): Promise<Source> {
  const encoding = options.encoding ? canonicalEncoding(options.encoding) : 'utf-8';
  let headBytes = Buffer.alloc(0);
  for await (const chunk of decompressed(reopen)) {
    headBytes = Buffer.concat([headBytes, chunk]);
    if (headBytes.length >= 4) break;
  }
  const zip = headBytes[0] === 0x50 && headBytes[1] === 0x4b && headBytes[2] === 0x03 && headBytes[3] === 0x04;
  const text = () => decode(decompressed(reopen), encoding);
  let sample = '';
  if (!zip) {
    for await (const chunk of text()) {
      sample += chunk;
      if (sample.length >= SAMPLE_BYTES) break;
    }
  }
  return {
    fileName: options.fileName,
    kind: zip ? 'zip' : 'text',
    encoding,
    sample: sample.replace(/^\uFEFF/, ''),
    text,
    bytes: async () => {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of decompressed(reopen)) {
        size += chunk.length;
        if (size > MAX_ZIP_BYTES) throw new IngestFileError(0, `an archive larger than ${MAX_ZIP_BYTES / 1024 / 1024} MB is refused`);
        chunks.push(chunk);
      }
      return Buffer.concat(chunks);
    },
  };
}
