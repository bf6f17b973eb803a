import { Readable } from 'node:stream';
import { describe, it, expect } from 'vitest';
import { readCsv } from '../../lib/ingest/csv.ts';
import { readJsonElements } from '../../lib/ingest/json.ts';
import { IngestFileError } from '../../lib/ingest/errors.ts';

/** A stream that hands over `text` a few characters at a time, so every token can straddle two chunks. */
const trickle = (text: string, size = 3) => Readable.from(Array.from({ length: Math.ceil(text.length / size) }, (_, i) => text.slice(i * size, i * size + size)));
const collect = async <T>(items: AsyncIterable<T>) => {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
};

describe('the streaming readers every ingester shares', () => {
  it('CSV: quoted fields with delimiters, quotes and newlines keep their line numbers; `;` is detected', async () => {
    const text = '\uFEFFa;b;c\r\n1;"x;y";2\r\n\r\n3;"say ""hi""\nagain";4\n5;6;7';
    const records = await collect(readCsv(trickle(text)));
    expect(records.map((r) => [r.line, r.fields])).toEqual([
      [1, ['a', 'b', 'c']],
      [2, ['1', 'x;y', '2']],
      [4, ['3', 'say "hi"\nagain', '4']],
      [6, ['5', '6', '7']],
    ]);
  });

  it('CSV: an unterminated quote at the end (a truncated file) is a file error on its line', async () => {
    await expect(collect(readCsv(trickle('a,b\n1,"unfinished\n')))).rejects.toMatchObject({ line: 2, message: expect.stringMatching(/unterminated/) });
  });

  it('JSON: a FeatureCollection streams its features with the members around them, whatever the chunking', async () => {
    const text = '{"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "EPSG:2154"}}, "n": -1.5e3, "features": [{"a": "x,]}\\"y"}, {"b": [1, {"c": null}]}], "z": true}';
    for (const size of [1, 2, 5, 1000]) {
      const events = await collect(readJsonElements(trickle(text, size)));
      expect(events).toEqual([
        { kind: 'member', name: 'type', value: 'FeatureCollection' },
        { kind: 'member', name: 'crs', value: { type: 'name', properties: { name: 'EPSG:2154' } } },
        { kind: 'member', name: 'n', value: -1500 },
        { kind: 'element', index: 1, value: { a: 'x,]}"y' } },
        { kind: 'element', index: 2, value: { b: [1, { c: null }] } },
        { kind: 'member', name: 'z', value: true },
      ]);
    }
  });

  it('JSON: a top-level array streams its elements; truncated or broken JSON names the element', async () => {
    expect(await collect(readJsonElements(trickle('[{"id": 1}, {"id": 2}]')))).toHaveLength(2);
    await expect(collect(readJsonElements(trickle('[{"id": 1}, {"id": 2')))).rejects.toBeInstanceOf(IngestFileError);
    await expect(collect(readJsonElements(trickle('[{"id": 1}, {"id": 2')))).rejects.toMatchObject({ line: 2, message: expect.stringMatching(/truncated JSON.*element 2/) });
    await expect(collect(readJsonElements(trickle('[{"id": 1}, {"id" 2}]')))).rejects.toMatchObject({ line: 2, message: expect.stringMatching(/broken JSON in element 2/) });
    await expect(collect(readJsonElements(trickle('[{"id": 1}] x')))).rejects.toMatchObject({ message: expect.stringMatching(/after the end/) });
  });
});

describe('the JSON reader streams a named array member of a paged API answer', () => {
  it('reads the `data` array of an envelope, with the envelope members as metadata', async () => {
    const text = '{"count": 2, "first": "http://x/?page=1", "data": [{"id": 1}, {"id": 2}], "next": null}';
    for (const size of [1, 3, 64]) {
      const events = await collect(readJsonElements(trickle(text, size), ['data']));
      expect(events.filter((e) => e.kind === 'element').map((e) => (e as { value: unknown }).value)).toEqual([{ id: 1 }, { id: 2 }]);
      expect(events.filter((e) => e.kind === 'member').map((e) => (e as { name: string }).name)).toEqual(['count', 'first', 'next']);
    }
  });
});
