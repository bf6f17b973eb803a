import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, it, expect } from 'vitest';
import type { Parsed } from '../../lib/ingest/runner.ts';
import { archiveSamples, hourlyMeans, jsonSamples, SKIP, type Sample } from '../../subgraphs/community/sensor-community.ts';
import { samples } from '../../subgraphs/community/samples/make-samples.ts';

/**
 * The Sensor.Community readers on their own: what a line or an element becomes (a sample, a counted skip,
 * a reject), and how samples become the hourly means the hub stores, whatever the file's size.
 */
const SAMPLES = path.resolve(import.meta.dirname, '../../subgraphs/community/samples');
const NOW = new Date('2026-01-01T00:00:00Z');
const text = (s: string) => Readable.from([s]) as unknown as AsyncIterable<string>;
const collect = async <T>(items: AsyncIterable<T>) => {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
};
const HEADER = 'sensor_id;sensor_type;location;lat;lon;timestamp;P1;durP1;ratioP1;P2;durP2;ratioP2';

describe('community: the Sensor.Community readers', () => {
  it('the projected samples are what make-samples.ts builds, byte for byte', () => {
    for (const [name, content] of Object.entries(samples())) expect(fs.readFileSync(path.join(SAMPLES, name)).equals(Buffer.from(content)), name).toBe(true);
  });

  it('archive CSV: dispatches on the header; nan and empty are no value; a zone-less timestamp is UTC; an SPS30 short line is read', async () => {
    const csv = [
      'sensor_id;sensor_type;location;lat;lon;timestamp;P1;P4;P2;P0;N10;N4;N25;N1;N05;TS',
      '981101;SPS30;991101;48.583;7.746;2025-01-02T07:00:44;10.5;;7.25',
      '981101;SPS30;991101;48.583;7.746;2025-01-02T07:03:14;nan;;NaN;;;;;;;',
      '981101;SPS30;991101;48.583;7.746;2016-07-14T13:02:46.949036+02:00;11;;8;;;;;;;',
    ].join('\n');
    const parsed = await collect(archiveSamples(text(csv), NOW, 'x.csv'));
    expect(parsed).toEqual([
      { line: 2, row: { sensor: { id: 'sc-981101', type: 'SPS30', lon: 7.746, lat: 48.583 }, time: new Date('2025-01-02T07:00:44Z'), values: { pm10: 10.5, pm25: 7.25 }, synthetic: false } },
      { line: 3, skip: SKIP.noValue },
      { line: 4, row: expect.objectContaining({ time: new Date('2016-07-14T11:02:46.949Z') }) },
    ]);
  });

  it('archive CSV: a file named …_indoor.csv is an indoor sensor, skipped and counted; a header without any kept value is refused', async () => {
    const csv = `${HEADER}\n981102;SDS011;991102;48.583;7.746;2025-01-02T07:00:44;10;;;7;;\n`;
    expect(await collect(archiveSamples(text(csv), NOW, '2025-01-02_sds011_sensor_981102_indoor.csv'))).toEqual([{ line: 2, skip: SKIP.indoorByName }]);
    await expect(collect(archiveSamples(text('sensor_id;sensor_type;location;lat;lon;timestamp;pressure\n'), NOW, undefined))).rejects.toMatchObject({ line: 1, message: expect.stringMatching(/none of the values the hub keeps/) });
  });

  it('archive CSV: a malformed line is a reject naming the line; a failure value only skips its sample', async () => {
    const csv = [HEADER, '981103;SDS011;991103;48.583;7.746;2025-13-02T07:00:44;10;;;7;;', '981103;SDS011;991103;48.583;7.746;2025-01-02T07:02:44;-3;;;7;;', '981103;SDS011;991103;48.583;7.746;2025-01-02T07:05:14;1999.9;;;999.9;;'].join('\n');
    expect(await collect(archiveSamples(text(csv), NOW, undefined))).toEqual([
      { line: 2, reason: 'timestamp "2025-13-02T07:00:44" is not an ISO date-time' },
      { line: 3, reason: 'P1 is negative (-3)' },
      { line: 4, skip: SKIP.pmFault },
    ]);
  });

  it('JSON: a note saying the file is synthetic must come first; an indoor sensor and a DS18B20 at 85 °C are skipped', async () => {
    const reading = (id: number, type: string, values: Record<string, string>, indoor = 0) => ({ timestamp: '2025-01-03 10:00:00', location: { latitude: '48.58', longitude: '7.75', indoor }, sensor: { id, sensor_type: { name: type } }, sensordatavalues: Object.entries(values).map(([value_type, value]) => ({ value_type, value })) });
    const note = { source: 'x', synthetic: false };
    const parsed = await collect(jsonSamples(text(JSON.stringify([{ synthetic: true }, reading(1, 'DS18B20', { temperature: '85.00' }), reading(2, 'SDS011', { P1: '5', P2: '3' }, 1)])), NOW, note));
    expect(parsed).toEqual([{ line: 2, skip: SKIP.ds18b20 }, { line: 3, skip: SKIP.indoor }]);
    expect(note.synthetic).toBe(true);
    await expect(collect(jsonSamples(text(JSON.stringify([reading(1, 'SDS011', { P1: '5' }), { synthetic: true }])), NOW, { source: null, synthetic: false }))).rejects.toMatchObject({ line: 2, message: expect.stringMatching(/must come before its readings/) });
  });

  it('hourly means: per sensor and UTC hour, each value over the samples that have it; a sample an hour late still counts, an older one is refused', async () => {
    const sample = (minute: number, values: Sample['values'], sensor = 'sc-1'): Parsed<Sample> => ({
      line: minute,
      row: { sensor: { id: sensor, type: 'SDS011', lon: 7.75, lat: 48.58 }, time: new Date(Date.UTC(2025, 0, 2, 7, minute)), values, synthetic: false },
    });
    const stream = async function* () {
      yield sample(0, { pm10: 10, pm25: 5 });
      yield sample(10, { pm10: 20 });
      yield sample(5, { pm10: 1 }, 'sc-2');
      yield sample(70, { pm10: 30, pm25: 7 });
      yield sample(50, { pm25: 9 }); // 20 minutes late, within the hour before the latest: joins 07:00
      yield sample(185, { pm10: 40 });
      yield sample(75, { pm10: 99 }); // 8:15 after 10:05: its hour is closed
    };
    const out = await collect(hourlyMeans(stream()));
    const rows = out.flatMap((p) => ('row' in p ? [[p.line, p.row.reading.sensor_id, p.row.reading.measured_at, p.row.reading.pm10, p.row.reading.pm25, p.row.sensor.measures]] : []));
    expect(rows).toEqual([
      [0, 'sc-1', '2025-01-02T07:00:00.000Z', 15, 7, ['P1', 'P2']],
      [70, 'sc-1', '2025-01-02T08:00:00.000Z', 30, 7, ['P1', 'P2']],
      [185, 'sc-1', '2025-01-02T10:00:00.000Z', 40, null, ['P1']],
      [5, 'sc-2', '2025-01-02T07:00:00.000Z', 1, null, ['P1']],
    ]);
    expect(out.filter((p) => 'reason' in p)).toEqual([{ line: 75, reason: expect.stringMatching(/sc-1 at 2025-01-02T08:15:00.000Z comes after later hours .* not in time order/) }]);
  });
});
