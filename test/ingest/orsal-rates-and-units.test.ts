import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Mapping } from '../../lib/ingest/mapping.ts';
import { ingestFile } from '../../scripts/ingest.ts';
import { applySecrecy, storedRule } from '../../subgraphs/orsal/secrecy.ts';
import { DEFAULT_RULE } from '../../subgraphs/orsal/settings.ts';
import { bearer } from '../support/auth.ts';
import { gatewayQuery, testHub } from '../support/hub.ts';

/**
 * ORS tables in the hub's own layout, as French statistical tables fill them: rates in the unit their
 * producer uses, rates without counts, secret markers, an explicit synthetic flag. Each story once went
 * wrong (a rate per 10,000 stored as a percentage without a word; a secret marker refusing the whole file;
 * a source mentioning "synthétique" flipping the synthetic label) and now either lands in the indicator's
 * unit or is refused with its line and reason.
 */
const SAMPLE = path.resolve(import.meta.dirname, '../../seeds/samples/orsal-indicators-sample.csv');
const HEADER = 'territory_code;territory_level;indicator;period;cases;population;rate;ci_low;ci_high;unit;source';
/** Years the seed does not cover: the rows of this file only. */
const YEARS = ['2010', '2011', '2012'];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tiga-orsal-rates-'));
let knex: Knex;

function table(name: string, lines: string[], header = HEADER): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, `${[header, ...lines].join('\n')}\n`);
  return file;
}

/** The same columns onto themselves, declaring what a mapping declares. */
const declaring = (extra: Partial<Mapping>): Mapping => ({
  format: 'indicators-csv',
  columns: Object.fromEntries(HEADER.split(';').map((c) => [c, c])),
  ...extra,
});

const row = (code: string, indicator: string, period: string) => knex('orsal.indicator_value').where({ territory_code: code, indicator, period }).first();

async function detailed(code: string, indicator: string, period: string) {
  const response = await gatewayQuery(
    `query ($code: ID!, $indicator: String, $period: String) { territory(code: $code) {
      health(indicator: $indicator, period: $period) { value unit suppressed source synthetic }
      healthDetailed(indicator: $indicator, period: $period) { value unit confidenceInterval { low high } cases casesDerived withheldAtSource population source synthetic } } }`,
    { code, indicator, period },
    await bearer(['orsal:restricted'], 'rates-researcher'),
  );
  expect(response.errors).toBeUndefined();
  return { open: response.data.territory.health[0], detailed: response.data.territory.healthDetailed[0] };
}

beforeAll(async () => {
  knex = (await testHub()).subgraph('orsal').db.knex;
});

afterAll(async () => {
  // The shared test database goes back to the seed: these years' rows leave, and the decision with them.
  await knex('orsal.indicator_value').whereIn('period', YEARS).delete();
  const indicators = (await knex('orsal.indicator').select('code')).map((r: { code: string }) => r.code);
  await applySecrecy(knex, (await storedRule(knex)) ?? DEFAULT_RULE, indicators);
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('a table says the unit of its rates; the hub converts them to the indicator’s unit or refuses the row', () => {
  it('a rate per 10,000 in a table that declares no unit is refused on every line, naming the unit it looks like', async () => {
    // The sample as it was before it said its unit: its asthma rates are per 10,000, the indicator is in %.
    const [header, ...lines] = fs.readFileSync(SAMPLE, 'utf8').trim().split('\n').map((l) => l.split(';').slice(0, 11).join(';').replace(';2015;', ';2012;'));
    expect(header).toBe('territory_code;territory_level;indicator;period;cases;population;rate;ci_low;ci_high;parent_code;source');
    const report = await ingestFile(knex, 'orsal', table('no-unit.csv', lines, header));
    expect(report).toMatchObject({ committed: false, inserted: 0 });
    expect(report.rejected.map((r) => r.line)).toEqual([2, 3, 4, 5]);
    expect(report.rejected[0]!.reason).toBe(
      "the rate 14.21 in % of population (the indicator's unit; the table declares none) is not its count over its population: 412 cases among 290000 make 0.1421 %: it looks like a rate per 10,000. Declare the table's unit (a `unit` column, or `units: {rate: …}` in its mapping) and the hub converts it",
    );
    expect(await row('67482', 'ASTHMA_PREVALENCE', '2012')).toBeUndefined();
  });

  it('declared in a unit column, the same rates are stored and served in % of population', async () => {
    const [header, ...lines] = fs.readFileSync(SAMPLE, 'utf8').trim().split('\n').map((l) => l.replace(';2015;', ';2012;'));
    expect(header).toMatch(/;unit;synthetic$/);
    const report = await ingestFile(knex, 'orsal', table('pour-10-000.csv', lines, header));
    expect(report).toMatchObject({ committed: true, inserted: 4, rejected: [] });
    const { detailed: strasbourg } = await detailed('67482', 'ASTHMA_PREVALENCE', '2012');
    expect(strasbourg).toEqual({
      value: 0.1421, unit: '% of population', confidenceInterval: { low: 0.1279, high: 0.1563 }, cases: 412, casesDerived: false, withheldAtSource: false,
      population: 290000, source: 'TIGA synthetic sample (not real ORS data)', synthetic: true,
    });
  });

  it('each row may say its own unit (per 10,000, %, per 100,000, standardised or not): all land in their indicator’s scale', async () => {
    const report = await ingestFile(knex, 'orsal', table('mixed-units.csv', [
      '67482;COMMUNE;LUNG_CANCER_INCIDENCE;2012;170;290000;5,83;4,98;6,77;taux standardisé pour 10 000 habitants;ORS Grand Est',
      '67482;COMMUNE;CHILD_RESPIRATORY_EMERGENCY;2012;2125;56974;3,73;3,57;3,89;%;ORS Grand Est',
      '67218;COMMUNE;COPD_HOSPITALISATION;2012;45;27000;171,2;124,9;229,1;pour 100 000 habitants, standardisé;ORS Grand Est',
    ]));
    expect(report).toMatchObject({ committed: true, inserted: 3, rejected: [] });
    expect(await row('67482', 'LUNG_CANCER_INCIDENCE', '2012')).toMatchObject({ rate: 58.3, ci_low: 49.8, ci_high: 67.7 });
    expect(await row('67482', 'CHILD_RESPIRATORY_EMERGENCY', '2012')).toMatchObject({ rate: 37.3, ci_low: 35.7, ci_high: 38.9 });
    expect(await row('67218', 'COPD_HOSPITALISATION', '2012')).toMatchObject({ rate: 171.2 });
  });

  it('a crude unit for an age-standardised indicator, an unreadable unit, a standardised rate ten times off its count, and a pooled rate over one year’s population are refused on their lines', async () => {
    const report = await ingestFile(knex, 'orsal', table('bad-units.csv', [
      '67482;COMMUNE;COPD_HOSPITALISATION;2012;500;290000;172,4;;;taux brut pour 100 000;ORS Grand Est',
      '67043;COMMUNE;COPD_HOSPITALISATION;2012;40;23000;174,0;;;par habitant;ORS Grand Est',
      '67447;COMMUNE;LUNG_CANCER_INCIDENCE;2012;20;33000;6,1;;;;ORS Grand Est',
      '67218;COMMUNE;ASTHMA_PREVALENCE;2010-2012;153;27000;0,19;;;%;ORS Grand Est',
    ]));
    expect(report).toMatchObject({ committed: false, inserted: 0 });
    expect(report.rejected).toEqual([
      { line: 2, reason: 'the unit "taux brut pour 100 000" is crude, but COPD_HOSPITALISATION is age-standardised (per 100,000 inhabitants, age-standardised): one cannot be converted into the other' },
      { line: 3, reason: expect.stringMatching(/^unit "par habitant" is not a rate unit the hub reads/) },
      { line: 4, reason: expect.stringMatching(/^the age-standardised rate 6.1 in per 100,000 inhabitants, age-standardised .* is 0\.1\d* times the crude rate of its count .*it looks like a rate per 10,000/) },
      { line: 5, reason: expect.stringMatching(/^the rate 0.19 in "%" is not its count over its population: 153 cases among 27000 make 0.5667 %: it is the count over 3 times the population.*person-years/) },
    ]);
  });
});

describe('codes a spreadsheet stripped of their leading zero', () => {
  it('are refused as ambiguous; with the mapping’s pad they are restored by level (commune 5 digits, IRIS 9)', async () => {
    const file = table('leading-zeros.csv', [
      '8105;COMMUNE;ASTHMA_PREVALENCE;2012;3100;46000;6,74;;;%;ORS Grand Est',
      '81050101;IRIS;ASTHMA_PREVALENCE;2012;140;2100;6,67;;;%;ORS Grand Est',
    ]);
    const refused = await ingestFile(knex, 'orsal', file);
    expect(refused.rejected).toEqual([
      { line: 2, reason: expect.stringMatching(/^territory_code "8105" has 4 digits, a COMMUNE code has 5/) },
      { line: 3, reason: expect.stringMatching(/^territory_code "81050101" has 8 digits, an IRIS code has 9/) },
    ]);
    const padded = await ingestFile(knex, 'orsal', file, { mapping: declaring({ pad: { territory_code: 5 } }) });
    expect(padded).toMatchObject({ committed: true, inserted: 2, rejected: [] });
    expect(await row('08105', 'ASTHMA_PREVALENCE', '2012')).toMatchObject({ territory_level: 'COMMUNE', cases: 3100 });
    expect(await row('081050101', 'ASTHMA_PREVALENCE', '2012')).toMatchObject({ territory_level: 'IRIS', cases: 140 });
  });
});

describe('a rate without its count', () => {
  it('a crude rate with its population: the count is derived, and researchers are told it is', async () => {
    const report = await ingestFile(knex, 'orsal', table('rate-only.csv', ['67218;COMMUNE;ASTHMA_PREVALENCE;2011;;27000;0,19;;;%;ORS Grand Est']));
    expect(report).toMatchObject({ committed: true, inserted: 1, rejected: [] });
    const { detailed: illkirch } = await detailed('67218', 'ASTHMA_PREVALENCE', '2011');
    expect(illkirch).toMatchObject({ value: 0.19, cases: 51, casesDerived: true, withheldAtSource: false, population: 27000, synthetic: false });
  });

  it('refused without a declared unit, and when the count it gives may lie under the secrecy threshold', async () => {
    const report = await ingestFile(knex, 'orsal', table('rate-only-bad.csv', [
      '67043;COMMUNE;ASTHMA_PREVALENCE;2011;;23000;6,9;;;;ORS Grand Est',
      '67447;COMMUNE;ASTHMA_PREVALENCE;2011;;28000;0,04;;;%;ORS Grand Est',
    ]));
    expect(report).toMatchObject({ committed: false, inserted: 0 });
    expect(report.rejected).toEqual([
      { line: 2, reason: expect.stringMatching(/^a rate without its count needs its unit declared/) },
      { line: 3, reason: 'the count behind the rate 0.04 (11, but 10 to 12 given the rate\'s rounding) may be under the secrecy threshold (11): send the count' },
    ]);
  });

  it('an age-standardised rate gives no count: refused, unless the table is declared secrecy-treated; then researchers read it and open data withholds it', async () => {
    const file = table('standardised-only.csv', ['67482;COMMUNE;LUNG_CANCER_INCIDENCE;2011;;290000;58,3;52,1;65,0;pour 100 000;Registre des cancers du Bas-Rhin']);
    const refused = await ingestFile(knex, 'orsal', file);
    expect(refused).toMatchObject({ committed: false, inserted: 0 });
    expect(refused.rejected).toEqual([{ line: 2, reason: expect.stringMatching(/^an age-standardised rate without its count: no count can be derived from it .*`secrecyTreated: true`/) }]);
    const treated = await ingestFile(knex, 'orsal', file, { mapping: declaring({ secrecyTreated: true }) });
    expect(treated).toMatchObject({ committed: true, inserted: 1, rejected: [] });
    expect(await row('67482', 'LUNG_CANCER_INCIDENCE', '2011')).toMatchObject({ cases: null, rate: 58.3, withheld_at_source: false, treated_at_source: true, open_status: 'PRIMARY' });
    const { open, detailed: strasbourg } = await detailed('67482', 'LUNG_CANCER_INCIDENCE', '2011');
    expect(open).toMatchObject({ value: null, suppressed: true });
    expect(strasbourg).toMatchObject({ value: 58.3, confidenceInterval: { low: 52.1, high: 65 }, cases: null, casesDerived: false, withheldAtSource: false });
  });
});

describe('secret markers are values withheld at source, not errors', () => {
  it('s, c, <11 and empty cells enter as withheld at source: no count, no rate, suppressed in open data', async () => {
    const report = await ingestFile(knex, 'orsal', table('secret.csv', [
      '67482;COMMUNE;ASTHMA_PREVALENCE;2010;20100;290000;6,93;;;%;ORS Grand Est',
      '67218;COMMUNE;ASTHMA_PREVALENCE;2010;s;27000;s;;;%;ORS Grand Est',
      '67043;COMMUNE;ASTHMA_PREVALENCE;2010;<11;23000;0,03;;;%;ORS Grand Est',
      '67447;COMMUNE;ASTHMA_PREVALENCE;2010;;33000;;;;;ORS Grand Est',
      '67267;COMMUNE;ASTHMA_PREVALENCE;2010;c;17000;c;;;%;ORS Grand Est',
    ]));
    expect(report).toMatchObject({ committed: true, inserted: 5, rejected: [] });
    for (const code of ['67218', '67043', '67447', '67267']) {
      expect(await row(code, 'ASTHMA_PREVALENCE', '2010'), code).toMatchObject({ cases: null, rate: null, ci_low: null, withheld_at_source: true, open_status: 'PRIMARY' });
    }
    const { open, detailed: bischheim } = await detailed('67043', 'ASTHMA_PREVALENCE', '2010');
    expect(open).toMatchObject({ value: null, suppressed: true });
    // The rate next to "<11" would give the count back: it is not kept.
    expect(bischheim).toMatchObject({ value: null, cases: null, withheldAtSource: true, population: 23000 });
  });

  it('nd with nothing else skips the row, counted; an unknown marker or a withheld population is refused on its line', async () => {
    const skipped = await ingestFile(knex, 'orsal', table('nd.csv', ['67482;COMMUNE;COPD_HOSPITALISATION;2010;nd;290000;nd;;;;ORS Grand Est']));
    expect(skipped).toMatchObject({ committed: true, read: 1, inserted: 0, rejected: [], skipped: [{ reason: expect.stringMatching(/^no value at source/), count: 1, lines: [2] }] });
    const report = await ingestFile(knex, 'orsal', table('bad-markers.csv', [
      '67482;COMMUNE;COPD_HOSPITALISATION;2010;abc;290000;;;;;ORS Grand Est',
      '67218;COMMUNE;COPD_HOSPITALISATION;2010;45;s;;;;;ORS Grand Est',
    ]));
    expect(report.committed).toBe(false);
    expect(report.rejected).toEqual([
      { line: 2, reason: expect.stringMatching(/^cases is not a number nor a marker the hub reads: "abc" \(withheld at source: s, c, secret/) },
      { line: 3, reason: 'population is "s": the hub needs the population of every value (the denominator a withheld count is bounded by)' },
    ]);
  });

  it("a producer's own secondary suppression (a withheld EPCI total over communes holding hundreds of cases) is refused on the total's line", async () => {
    const report = await ingestFile(knex, 'orsal', table('secondary-at-source.csv', [
      '67482;COMMUNE;CARDIOVASCULAR_HOSPITALISATION;2010;5100;290000;;;;;ORS Grand Est',
      '246700488;EPCI;CARDIOVASCULAR_HOSPITALISATION;2010;s;505000;s;;;;ORS Grand Est',
      '67218;COMMUNE;CARDIOVASCULAR_HOSPITALISATION;2010;480;27000;;;;;ORS Grand Est',
    ]));
    expect(report).toMatchObject({ committed: false, inserted: 0 });
    expect(report.rejected).toEqual([{ line: 3, reason: expect.stringMatching(/^246700488 2010 \(0 to 10 cases\) cannot be the sum of its 33 member communes, which hold at least 5,580 cases when every value withheld at source holds fewer than 11 cases/) }]);
    expect(await row('67482', 'CARDIOVASCULAR_HOSPITALISATION', '2010')).toBeUndefined();
  });
});

describe('whether a value is synthetic is said by the file, never guessed from its source', () => {
  it('a real table whose source reads "tableau synthétique" stays real; a synthetic column says otherwise; an unreadable flag is refused', async () => {
    const real = await ingestFile(knex, 'orsal', table('synthese.csv', ['67482;COMMUNE;COPD_HOSPITALISATION;2011;500;290000;;;;;ORS Grand Est, tableau synthétique 2011']));
    expect(real).toMatchObject({ committed: true, inserted: 1 });
    expect(await row('67482', 'COPD_HOSPITALISATION', '2011')).toMatchObject({ synthetic: false, source: 'ORS Grand Est, tableau synthétique 2011' });
    const flagged = await ingestFile(knex, 'orsal', table('flagged.csv', [
      '67218;COMMUNE;COPD_HOSPITALISATION;2011;45;27000;;;;;ORS Grand Est;oui',
      '67043;COMMUNE;COPD_HOSPITALISATION;2011;40;23000;;;;;ORS Grand Est;false',
    ], `${HEADER};synthetic`));
    expect(flagged).toMatchObject({ committed: true, inserted: 2 });
    expect(await row('67218', 'COPD_HOSPITALISATION', '2011')).toMatchObject({ synthetic: true });
    expect(await row('67043', 'COPD_HOSPITALISATION', '2011')).toMatchObject({ synthetic: false });
    const unreadable = await ingestFile(knex, 'orsal', table('unreadable.csv', ['67447;COMMUNE;COPD_HOSPITALISATION;2011;60;33000;;;;;ORS Grand Est;peut-être'], `${HEADER};synthetic`));
    expect(unreadable.rejected).toEqual([{ line: 2, reason: 'synthetic must be true or false, not "peut-être"' }]);
  });

  it('a Latin-1 table keeps its accents and its flag when declared (--encoding latin1); undeclared, it is refused on the line of its first accent', async () => {
    const file = path.join(tmp, 'latin1.csv');
    const source = 'Observatoire régional de la santé Grand Est, données d’exemple'.replace('’', "'");
    fs.writeFileSync(file, Buffer.from(`${HEADER};synthetic\n67447;COMMUNE;CHILD_RESPIRATORY_EMERGENCY;2011;1210;5955;203,2;;;pour 1 000;${source};true\n`, 'latin1'));
    const undeclared = await ingestFile(knex, 'orsal', file);
    expect(undeclared.rejected).toEqual([{ line: 2, reason: expect.stringMatching(/not valid UTF-8.*--encoding windows-1252/) }]);
    const declared = await ingestFile(knex, 'orsal', file, { encoding: 'latin1' });
    expect(declared).toMatchObject({ committed: true, encoding: 'latin1', inserted: 1 });
    const { detailed: schiltigheim } = await detailed('67447', 'CHILD_RESPIRATORY_EMERGENCY', '2011');
    expect(schiltigheim).toMatchObject({ value: 203.2, cases: 1210, source, synthetic: true });
  });
});
