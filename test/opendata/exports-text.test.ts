import { parse as parseCsv } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { csvExport } from '../../gateway/exports/csvExport.ts';
import type { ExportLicence } from '../../gateway/exports/exportLicence.ts';
import { plainNumber, wktOf } from '../../gateway/exports/geometryText.ts';
import type { OpenCollection, OpenFeature } from '../../gateway/opendata/openCollection.ts';

const collection = {
  id: 'probes',
  geometryType: 'Point',
  properties: [
    { name: 'label', type: 'string', description: '' },
    { name: 'value', type: 'number', description: '' },
    { name: 'valid', type: 'boolean', description: '' },
  ],
} as unknown as OpenCollection;
const licence: ExportLicence = { datasetUri: 'https://example.org/licence', attribution: 'Producer', uriOf: () => 'https://example.org/licence', uris: () => ['https://example.org/licence'] };
const features: OpenFeature[] = [
  { id: 'a', geometry: { type: 'Point', coordinates: [7.75, 48.58] }, properties: { label: 'comma, "quote"; semicolon', value: 1e-7, valid: true } },
  { id: 'b', geometry: { type: 'Point', coordinates: [-0.5, 1e21] }, properties: { label: 'two\r\nlines', value: -2.5, valid: false } },
  { id: 'c', geometry: null, properties: { label: '', value: null, valid: null } },
];

function csvOf(french: boolean): string {
  const writer = csvExport.writer({ collection, licence, licences: ['https://example.org/licence'], crs: 'EPSG:4326', french, wkt: false });
  return [writer.head(), writer.features(features), writer.tail()].join('');
}

describe('what a spreadsheet and a CSV reader read back', () => {
  it('numbers are plain decimals, never exponents: the shortest digits that round-trip', () => {
    expect(['1e-7', '1.5e21', '-2.5e-8', '123.456', '0', '-0', '1e21', '4.35e-5', '9007199254740993'].map((n) => plainNumber(Number(n)))).toEqual([
      '0.0000001', '1500000000000000000000', '-0.000000025', '123.456', '0', '0', '1000000000000000000000', '0.0000435', '9007199254740992',
    ]);
    for (const n of [1e-7, 1.5e21, -2.5e-8, 0.1 + 0.2, 5e-324, 1.7976931348623157e308]) expect(Number(plainNumber(n))).toBe(n);
  });

  it('RFC 4180: quotes, separators and line breaks are quoted; an empty text is "" and an absent value empty', () => {
    const text = csvOf(false);
    expect(text.split('\r\n')[0]).toBe('id,label,value,valid,longitude,latitude,licence,attribution');
    expect(text).toContain('a,"comma, ""quote""; semicolon",0.0000001,true,7.75,48.58,');
    expect(text).toContain('c,"",,,,,https://example.org/licence,Producer\r\n');
    const rows = parseCsv(text, { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => [r.label, r.value, r.valid, r.latitude])).toEqual([
      ['comma, "quote"; semicolon', '0.0000001', 'true', '48.58'],
      ['two\r\nlines', '-2.5', 'false', '1000000000000000000000'],
      ['', '', '', ''],
    ]);
  });

  it('for French spreadsheets: a byte order mark, semicolons and decimal commas (texts unchanged)', () => {
    const text = csvOf(true);
    expect(text.startsWith('\uFEFFid;label;value;valid;longitude;latitude;licence;attribution\r\n')).toBe(true);
    expect(text).toContain('a;"comma, ""quote""; semicolon";0,0000001;true;7,75;48,58;');
    const rows = parseCsv(text, { columns: true, delimiter: ';', bom: true }) as Record<string, string>[];
    expect(rows.map((r) => [r.value, r.longitude])).toEqual([['0,0000001', '7,75'], ['-2,5', '-0,5'], ['', '']]);
  });

  it('WKT of the open geometries', () => {
    expect(wktOf({ type: 'Point', coordinates: [1045464.68, 6831944.96] })).toBe('POINT (1045464.68 6831944.96)');
    expect(wktOf({ type: 'MultiPolygon', coordinates: [[[[0, 0], [1, 0], [1, 1], [0, 0]]], [[[2, 2], [3, 2], [3, 3], [2, 2]]]] })).toBe('MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)), ((2 2, 3 2, 3 3, 2 2)))');
    expect(wktOf({ type: 'Polygon', coordinates: [[[0, 0], [1e-7, 0], [0, 1], [0, 0]]] })).toBe('POLYGON ((0 0, 0.0000001 0, 0 1, 0 0))');
    expect(wktOf(null)).toBeNull();
  });
});
