import { describe, expect, it } from 'vitest';
import { RowError } from '../../lib/ingest/errors.ts';
import { markersOf, readCell } from '../../subgraphs/orsal/cells.ts';
import { convertRate, parseRateUnit } from '../../subgraphs/orsal/units.ts';
import { contradictions, type CountBounds } from '../../subgraphs/orsal/totals.ts';

describe('an ORS table’s cells, read the way French statistical tables write them', () => {
  const markers = markersOf(['secret stat.']);

  it('numbers with a decimal comma or point, thousands spaced by a space, a no-break or a narrow no-break space', () => {
    expect(readCell('14,21', 'rate', markers)).toEqual({ kind: 'number', value: 14.21, decimals: 2 });
    expect(readCell('14.2', 'rate', markers)).toEqual({ kind: 'number', value: 14.2, decimals: 1 });
    for (const text of ['97 763', '97\u00A0763', '97\u202F763']) expect(readCell(text, 'population', markers)).toEqual({ kind: 'number', value: 97763, decimals: 0 });
    expect(readCell('1 234,5', 'rate', markers)).toEqual({ kind: 'number', value: 1234.5, decimals: 1 });
  });

  it('secret markers (s, c, secret statistique, <11, those a mapping declares) are withheld at source, never 0', () => {
    for (const text of ['s', 'S', 'c', 'secret', 'Secret statistique', '<11', '< 5', 'secret stat.']) expect(readCell(text, 'cases', markers).kind, text).toBe('secret');
    for (const text of ['nd', 'n.d.', '-', 'NA']) expect(readCell(text, 'cases', markers).kind, text).toBe('unavailable');
    expect(readCell('', 'cases', markers)).toEqual({ kind: 'empty' });
    expect(() => readCell('12 cas', 'cases', markers)).toThrow(RowError);
    expect(() => readCell('1 23', 'cases', markers)).toThrow(/cases is not a number nor a marker the hub reads: "1 23"/);
  });

  it('a mapping that calls nd secret makes it secret', () => {
    expect(readCell('nd', 'cases', markersOf(['nd'])).kind).toBe('secret');
  });
});

describe('rate units as producers write them', () => {
  it('reads the scale and, when said, the standardisation', () => {
    const cases: [string, number, boolean | null][] = [
      ['%', 100, null],
      ['% of population', 100, null],
      ['‰', 1000, null],
      ['pour mille', 1000, null],
      ['p. 1 000', 1000, null],
      ['pour 10 000', 10_000, null],
      ['pour 10\u00A0000 enfants de moins de 15 ans', 10_000, null],
      ['per 100,000 inhabitants, age-standardised', 100_000, true],
      ['taux standardisé pour 100 000 habitants', 100_000, true],
      ['taux brut pour 100 000', 100_000, false],
      ['pour cent mille', 100_000, null],
      ['/100000', 100_000, null],
    ];
    for (const [text, perUnit, standardised] of cases) expect(parseRateUnit(text), text).toEqual({ perUnit, standardised });
  });

  it('reads nothing into what is not a unit', () => {
    for (const text of ['', 'par habitant', '2013', 'pour 12', 'taux']) expect(parseRateUnit(text), text).toBeNull();
  });

  it('converts between scales without floating-point noise', () => {
    expect(convertRate(14.21, 10_000, 100)).toBe(0.1421);
    expect(convertRate(352.5, 10_000, 1000)).toBe(35.25);
    expect(convertRate(5.83, 10_000, 100_000)).toBe(58.3);
  });
});

describe('totals that a value withheld at source cannot make add up', () => {
  const cell = (code: string, level: 'COMMUNE' | 'EPCI', low: number, high: number, line: number | null, withheldAtSource = false): CountBounds => ({
    key: `${code}|X|2013`, code, level, indicator: 'X', period: '2013', parent: level === 'COMMUNE' ? 'E' : null, low, high, withheldAtSource, line,
  });

  it('names the total’s line when its parts cannot sum to it', () => {
    const cells = new Map([cell('E', 'EPCI', 100, 100, 2), cell('a', 'COMMUNE', 60, 60, 3), cell('b', 'COMMUNE', 0, 10, 4, true)].map((c) => [c.key, c]));
    expect(contradictions(cells, new Map(), new Map([['E', ['a', 'b']]]), 11)).toEqual([{ line: 2, reason: expect.stringMatching(/^E 2013 \(100 cases\) cannot be the sum of its 2 member communes, which hold 60 to 70 cases/) }]);
  });

  it('lets through totals its parts can make, and totals with parts nobody published', () => {
    const cells = new Map([cell('E', 'EPCI', 65, 65, 2), cell('a', 'COMMUNE', 60, 60, 3), cell('b', 'COMMUNE', 0, 10, 4, true)].map((c) => [c.key, c]));
    expect(contradictions(cells, new Map(), new Map([['E', ['a', 'b']]]), 11)).toEqual([]);
    expect(contradictions(cells, new Map(), new Map([['E', ['a', 'b', 'c']]]), 11)).toEqual([]);
  });
});
