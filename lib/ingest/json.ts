import type { Readable } from 'node:stream';
import { IngestFileError } from './errors.ts';

/** A top-level member of a FeatureCollection other than `features` (`crs`, `name`, `_comment`…). */
export type Members = Record<string, unknown>;

export type JsonEvent =
  | { kind: 'element'; index: number; value: unknown }
  | { kind: 'member'; name: string; value: unknown };

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);
/** A non-array member bigger than this is not metadata; refusing it keeps memory bounded. */
const MAX_MEMBER_CHARS = 8 * 1024 * 1024;

/**
 * Streams the elements of a top-level JSON array, or of one array member of a top-level object — `features`
 * of a GeoJSON FeatureCollection by default; `streamed` names others, e.g. `data` of a paged API answer
 * such as Hub'Eau's — without holding the file: only the current element is buffered.
 * Other members of the top-level object are yielded as they are met (`crs` before `features`, as GDAL
 * and QGIS write it, is then known before the first feature). `index` is 1-based. Broken or truncated
 * JSON throws an IngestFileError naming the element where it broke.
 */
export async function* readJsonElements(input: AsyncIterable<string> | Readable, streamed: readonly string[] = ['features']): AsyncGenerator<JsonEvent> {
  if ('setEncoding' in input) input.setEncoding('utf8');
  let top: 'array' | 'object' | undefined;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let index = 0;
  // Capture of the value being read at the element (or member) level.
  let capture: string[] | null = null;
  let captureStart = -1;
  let captureSize = 0;
  let captureIsString = false;
  let captureScalar = false;
  const level = () => (top === 'object' && !inFeatures ? 1 : elementLevel);
  let member: string | undefined;
  let key: string[] | null = null;
  let expect: 'key' | 'colon' | 'value' | 'comma' = 'value';
  let done = false;
  let elementLevel = 1;
  let inFeatures = false;
  let first = true;

  const fail = (reason: string): never => {
    throw new IngestFileError(inFeatures || top === 'array' ? index + (capture ? 1 : 0) || 1 : 1, reason);
  };
  const parse = (text: string): unknown => {
    try {
      return JSON.parse(text);
    } catch (error) {
      const element = inFeatures || top === 'array';
      throw new IngestFileError(element ? index + 1 : 1, `broken JSON in ${element ? `element ${index + 1}` : `member ${member}`}: ${(error as Error).message}`);
    }
  };

  for await (let chunk of input as AsyncIterable<string>) {
    if (first) (chunk = chunk.replace(/^\uFEFF/, '')), (first = false);
    const finish = (end: number): JsonEvent => {
      capture!.push(chunk.slice(captureStart, end));
      const text = capture!.join('');
      capture = null;
      if (inFeatures || top === 'array') {
        const value = parse(text);
        return { kind: 'element', index: ++index, value };
      }
      return { kind: 'member', name: member!, value: parse(text) };
    };
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (inString) {
        if (escaped) escaped = false;
        else if (c === 0x5c) escaped = true;
        else if (c === 0x22) {
          inString = false;
          if (key) {
            key.push(chunk.slice(captureStart, i));
            member = JSON.parse(`"${key.join('')}"`) as string;
            key = null;
            expect = 'colon';
          } else if (capture && captureIsString && depth === level()) {
            yield finish(i + 1);
            expect = 'comma';
          }
        }
        continue;
      }
      if (captureScalar && (WS.has(c) || c === 0x2c || c === 0x5d || c === 0x7d)) {
        captureScalar = false;
        yield finish(i);
        expect = 'comma';
      }
      if (captureScalar || WS.has(c)) continue;
      if (done) fail('unexpected content after the end of the JSON document');
      if (top === undefined) {
        if (c === 0x5b) (top = 'array'), (depth = 1), (elementLevel = 1), (expect = 'value');
        else if (c === 0x7b) (top = 'object'), (depth = 1), (expect = 'key');
        else fail('not a JSON array or object');
        continue;
      }
      const atLevel = depth === level();
      if (atLevel && !capture) {
        if (expect === 'key') {
          if (c === 0x22) {
            key = [];
            captureStart = i + 1;
            inString = true;
          } else if (c === 0x7d) (depth = 0), (done = true);
          else fail('expected a member name');
          continue;
        }
        if (expect === 'colon') {
          if (c !== 0x3a) fail('expected ":"');
          expect = 'value';
          continue;
        }
        if (expect === 'comma') {
          if (c === 0x2c) expect = top === 'object' && !inFeatures ? 'key' : 'value';
          else if (c === 0x5d && (top === 'array' || inFeatures)) {
            depth--;
            if (inFeatures) (inFeatures = false), (expect = 'comma');
            else done = true;
          } else if (c === 0x7d && top === 'object' && !inFeatures) (depth = 0), (done = true);
          else fail('expected "," or the end of the container');
          continue;
        }
        // A value starts.
        if (c === 0x5d && (top === 'array' || inFeatures) && expect === 'value') {
          depth--;
          if (inFeatures) (inFeatures = false), (expect = 'comma');
          else done = true;
          continue;
        }
        if (top === 'object' && !inFeatures && member !== undefined && streamed.includes(member) && c === 0x5b) {
          inFeatures = true;
          depth = 2;
          elementLevel = 2;
          expect = 'value';
          continue;
        }
        capture = [];
        captureStart = i;
        captureSize = 0;
        captureIsString = c === 0x22;
        if (c === 0x7b || c === 0x5b) depth++;
        else if (c === 0x22) inString = true;
        else captureScalar = true;
        continue;
      }
      if (c === 0x22) inString = true;
      else if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) {
        depth--;
        if (capture && depth === level()) {
          yield finish(i + 1);
          expect = 'comma';
        }
      }
    }
    if (capture) {
      const rest = chunk.slice(captureStart);
      (capture as string[]).push(rest);
      captureSize += rest.length;
      captureStart = 0;
      if (captureSize > MAX_MEMBER_CHARS && !(inFeatures || top === 'array')) fail(`member ${member} is too large`);
      if (captureSize > 256 * 1024 * 1024) fail(`element ${index + 1} is larger than 256 MB`);
    }
    if (key) {
      key.push(chunk.slice(captureStart));
      captureStart = 0;
    }
  }
  if (!done) fail(top === undefined ? 'empty file' : `truncated JSON: the file ends inside ${capture ? `element ${index + 1}` : 'the document'}`);
}
