import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../lib/db.ts';
import type { Mapping } from '../../lib/ingest/mapping.ts';
import { mappingsIn } from '../../lib/ingest/route.ts';
import { ingestFile } from '../../scripts/ingest.ts';
import { orsal } from '../../subgraphs/orsal/index.ts';
import { applySecrecy, storedRule } from '../../subgraphs/orsal/secrecy.ts';
import { countModel } from '../../subgraphs/orsal/publication.ts';
import { DEFAULT_RULE } from '../../subgraphs/orsal/settings.ts';
import { bearer } from '../support/auth.ts';
import { gatewayQuery, testHub } from '../support/hub.ts';
import { attack, type PublishedCell } from '../protection/attacker.ts';

/**
 * ORS Grand Est downloads a table from Santé publique France's Odissé portal (an Opendatasoft export),
 * opens it in a spreadsheet and saves it again: Windows-1252, `;`, decimal commas, thousands spaced with a
 * no-break space, Charleville-Mézières' code 08105 become 8105, small counts shown as `s`, `c` or nothing,
 * some rates without their count, Sedan `nd`. The hub takes it whole, through the CLI and through
 * `POST /ingest/orsal`, and serves what the file says — in the indicator's unit, accents intact, withheld
 * values withheld.
 */
const FIXTURE = path.resolve(import.meta.dirname, '../../subgraphs/orsal/samples/odisse-urgences-respiratoires-enfants-2013.csv');
const MAPPING = 'odisse-urgences-respiratoires-enfants-sample';
const INDICATOR = 'CHILD_RESPIRATORY_EMERGENCY';
const PERIOD = '2013';
const EMS = '246700488';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tiga-odisse-'));
const named = mappingsIn(orsal.mappings!);

/** The fixture as the producer's eyes read it: one entry per line, keyed by code (padded as the hub stores it). */
interface Line {
  line: number;
  level: string;
  code: string;
  cases: string;
  population: number;
  rate: string;
  low: string;
  high: string;
  source: string;
}
const text = iconv.decode(fs.readFileSync(FIXTURE), 'windows-1252');
const lines: Line[] = text.trim().split(/\r?\n/).slice(1).map((l, i) => {
  const [, level, code, , cases, population, rate, low, high, source] = l.split(';') as string[];
  return { line: i + 2, level: level!, code: code!.padStart(5, '0'), cases: cases!, population: Number(population!.replace(/\s/g, '')), rate: rate!, low: low!, high: high!, source: source! };
});
const number = (s: string) => Number(s.replace(',', '.'));
const perThousand = (s: string) => Number((number(s) / 10).toPrecision(12));
const SECRET = new Set(['s', 'c', '']);
const withheld = lines.filter((l) => SECRET.has(l.cases) && SECRET.has(l.rate));
const derived = lines.filter((l) => l.cases === '' && l.rate !== '');
const counted = lines.filter((l) => /^\d+$/.test(l.cases));

const QUERY = `query ($indicator: String, $period: String) {
  epci: territory(code: "${EMS}") { code ...values }
  communes: territories(kind: COMMUNE, in: "${EMS}") { code ...values }
}
fragment values on Territory {
  health(indicator: $indicator, period: $period) { value unit precision confidenceInterval { low high } population suppressed suppressionReason source synthetic }
  healthDetailed(indicator: $indicator, period: $period) { territoryLevel value unit confidenceInterval { low high } cases casesDerived withheldAtSource population suppressedInOpenData source synthetic }
}`;

/** Every EMS value of the fixture's indicator and year, as a researcher reads it through the gateway. */
async function readBack() {
  const response = await gatewayQuery(QUERY, { indicator: INDICATOR, period: PERIOD }, await bearer(['orsal:restricted'], 'odisse-researcher'));
  expect(response.errors).toBeUndefined();
  const territories = [response.data.epci, ...response.data.communes] as { code: string; health: any[]; healthDetailed: any[] }[];
  return new Map(territories.map((t) => [t.code, { open: t.health[0], detailed: t.healthDetailed[0] }]));
}

/** What the gateway serves equals what the file says, in the indicator's unit (per 1,000) rather than the file's (per 10,000). */
function expectTheFile(values: Map<string, { open: any; detailed: any }>) {
  expect(values.size).toBe(34);
  for (const l of lines.filter((l) => l.code.startsWith('67') || l.code === EMS)) {
    const { open, detailed } = values.get(l.code)!;
    expect(detailed, l.code).toMatchObject({ population: l.population, source: l.source, synthetic: true, unit: 'per 1,000 children under 15' });
    expect(open, l.code).toMatchObject({ population: l.population, source: l.source, synthetic: true });
    if (withheld.includes(l)) {
      expect(detailed, l.code).toMatchObject({ value: null, cases: null, confidenceInterval: null, withheldAtSource: true, casesDerived: false, suppressedInOpenData: true });
      expect(open, l.code).toMatchObject({ value: null, confidenceInterval: null, precision: null, suppressed: true, suppressionReason: expect.stringMatching(/^statistical secrecy/) });
      continue;
    }
    expect(detailed.value, l.code).toBeCloseTo(perThousand(l.rate), 9);
    expect(detailed.confidenceInterval, l.code).toEqual({ low: perThousand(l.low), high: perThousand(l.high) });
    expect(detailed, l.code).toMatchObject({ withheldAtSource: false, casesDerived: l.cases === '' });
    if (l.cases !== '') expect(detailed.cases, l.code).toBe(Number(l.cases));
    else expect(detailed.cases, l.code).toBe(Math.round((perThousand(l.rate) * l.population) / 1000));
    // Open values are the hub's own rounding of the count's rate, never the producer's digits.
    if (!open.suppressed) expect(Math.abs(open.value - perThousand(l.rate))).toBeLessThanOrEqual(open.precision / 2 + 0.01);
  }
  expect(JSON.stringify([...values.values()])).not.toContain('\uFFFD');
}

const stored = async (db: Database) => Number((await db.knex('orsal.indicator_value').where({ indicator: INDICATOR, period: PERIOD }).count({ n: '*' }).first())!.n);

async function removeFixtureRows(db: Database) {
  await db.knex('orsal.indicator_value').where({ indicator: INDICATOR, period: PERIOD }).delete();
  await applySecrecy(db.knex, (await storedRule(db.knex)) ?? DEFAULT_RULE, [INDICATOR]);
}

describe('an Odissé export re-saved by a spreadsheet goes into the hub whole', () => {
  let db: Database;
  let gatewayUrl: string;
  let mapping: Mapping;

  beforeAll(async () => {
    const hub = await testHub();
    db = hub.subgraph('orsal').db;
    gatewayUrl = hub.gatewayUrl;
    mapping = named(MAPPING)!;
    await removeFixtureRows(db);
  });
  afterAll(async () => {
    await removeFixtureRows(db);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('the fixture is what the story says: Windows-1252, secret markers, rates without counts, a code without its leading zero', () => {
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(fs.readFileSync(FIXTURE))).toThrow();
    expect(text).toContain('Hœnheim');
    expect(withheld.map((l) => l.cases).sort()).toEqual(['', 'c', 's', 's', 's', 's', 's']);
    expect(derived).toHaveLength(2);
    expect(text).toMatch(/;8105;Charleville-Mézières;/);
    expect(text).toMatch(/;8409;Sedan;nd;3051;nd;/);
    expect(text).toMatch(/97\u00A0763/);
  });

  it('through the CLI (--encoding windows-1252 --mapping): committed whole, Sedan’s nd counted as skipped, and read back as the file says', async () => {
    const report = await ingestFile(db, 'orsal', FIXTURE, { encoding: 'windows-1252', mapping });
    expect(report.rejected).toEqual([]);
    expect(report).toMatchObject({ committed: true, encoding: 'windows-1252', read: 36, inserted: 35, updated: 0 });
    expect(report.skipped).toEqual([{ reason: expect.stringMatching(/^no value at source/), count: 1, lines: [37] }]);
    expectTheFile(await readBack());
    // Charleville-Mézières got its leading zero back; the hub stores it under 08105.
    const charleville = await db.knex('orsal.indicator_value').where({ territory_code: '08105', indicator: INDICATOR, period: PERIOD }).first();
    expect(charleville).toMatchObject({ cases: 246, population: 8873, rate: 27.72, territory_level: 'COMMUNE', treated_at_source: true, synthetic: true });
    expect(await db.knex('orsal.indicator_value').where({ territory_code: '8105' }).first()).toBeUndefined();
  });

  it('again: nothing changes', async () => {
    const report = await ingestFile(db, 'orsal', FIXTURE, { encoding: 'windows-1252', mapping });
    expect(report).toMatchObject({ committed: true, read: 36, inserted: 0, updated: 0, unchanged: 35, rejected: [] });
  });

  it('no attacker combining the open values narrows a withheld count, nor any open one, below the protection interval', async () => {
    const { data, errors } = await gatewayQuery(`{ epci: territory(code: "${EMS}") { code ...v } communes: territories(kind: COMMUNE, in: "${EMS}") { code ...v } }
      fragment v on Territory { health(indicator: "${INDICATOR}", period: "${PERIOD}") { value confidenceInterval { low high } precision population suppressed } }`);
    expect(errors).toBeUndefined();
    const scale = await db.knex('orsal.indicator').where('code', INDICATOR).first('per_unit', 'standardised');
    const truths = new Map((await db.knex('orsal.indicator_value').where({ indicator: INDICATOR, period: PERIOD })).map((r: any) => [r.territory_code, r]));
    const cells: PublishedCell[] = [data.epci, ...data.communes].map((t: any) => {
      const h = t.health[0];
      const truth = truths.get(t.code);
      return {
        key: `${t.code}|${INDICATOR}|${PERIOD}`, code: t.code, indicator: INDICATOR, period: PERIOD, population: h.population, suppressed: h.suppressed,
        value: h.value, low: h.confidenceInterval?.low ?? null, high: h.confidenceInterval?.high ?? null, precision: h.precision,
        model: countModel(truth, scale), trueCases: truth.cases, withheldAtSource: truth.withheld_at_source,
      };
    });
    expect(cells.filter((c) => c.withheldAtSource)).toHaveLength(withheld.length);
    const members = new Map([[EMS, data.communes.map((c: { code: string }) => c.code)]]);
    const result = await attack(cells, members, DEFAULT_RULE);
    expect(result.findings).toEqual([]);
    // The seven values withheld at source keep at least the protection width (2 × 5 cases) each.
    expect(result.narrowestWithheld![0]).toBeGreaterThanOrEqual(10);
  });

  it('through POST /ingest/orsal?encoding=windows-1252&mapping=… on the gateway: the same rows, the same values', async () => {
    await removeFixtureRows(db);
    const push = async () =>
      fetch(new URL(`/ingest/orsal?encoding=windows-1252&mapping=${MAPPING}&name=${path.basename(FIXTURE)}`, gatewayUrl), {
        method: 'POST',
        body: new Uint8Array(fs.readFileSync(FIXTURE)),
        headers: { authorization: (await bearer(['producer:orsal'], 'ors-feed')).authorization! },
      });
    const response = await push();
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ producer: 'orsal', format: 'indicators-csv', encoding: 'windows-1252', committed: true, read: 36, inserted: 35, rejected: [], skipped: [{ count: 1, lines: [37] }] });
    expectTheFile(await readBack());
    expect(await (await push()).json()).toMatchObject({ committed: true, inserted: 0, updated: 0, unchanged: 35 });
  });

  it('undeclared, the Windows-1252 file is refused on its first line, naming the flag to declare it; nothing is written', async () => {
    await removeFixtureRows(db);
    const report = await ingestFile(db, 'orsal', FIXTURE, { mapping });
    expect(report).toMatchObject({ committed: false, inserted: 0 });
    expect(report.rejected).toEqual([{ line: 1, reason: expect.stringMatching(/not valid UTF-8.*--encoding windows-1252/) }]);
    expect(await stored(db)).toBe(0);
  });

  it('without the mapping’s pad, 8105 and 8409 are refused on their lines as ambiguous, and nothing is written', async () => {
    const { pad: _pad, ...unpadded } = mapping;
    const report = await ingestFile(db, 'orsal', FIXTURE, { encoding: 'windows-1252', mapping: unpadded });
    expect(report.committed).toBe(false);
    expect(report.rejected).toEqual([
      { line: 36, reason: expect.stringMatching(/^territory_code "8105" has 4 digits, a COMMUNE code has 5: a spreadsheet may have dropped its leading zero \(08105\?\).*pad: \{territory_code: 5\}/) },
      { line: 37, reason: expect.stringMatching(/^territory_code "8409" has 4 digits/) },
    ]);
    expect(await stored(db)).toBe(0);
  });

  it('the sample mapping is the real export’s mapping, only labelling the made-up rows synthetic', () => {
    const real = named('odisse-urgences-respiratoires-enfants')!;
    const { description: _a, constants: sampleConstants, ...sample } = mapping;
    const { description: _b, constants: realConstants, ...rest } = real;
    expect(sample).toEqual(rest);
    expect(sampleConstants).toEqual({ ...realConstants, synthetic: 'true' });
    expect(realConstants).not.toHaveProperty('synthetic');
  });
});
