import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { postGraphQL } from '../support/subgraph.ts';
import { seedOrsal, ORSAL_SYNTHETIC_SOURCE } from '../../seeds/orsal.ts';
import { settings } from '../../subgraphs/orsal/settings.ts';

const SECRECY_THRESHOLD = settings.secrecyThreshold.default;
import { startOrsal, storedValue, type OrsalFixture } from './fixture.ts';

const STRASBOURG = '67482';
const EMS = '246700488';
const SAVERNE_CC = '200068112';
const IRIS_IN_STRASBOURG = '674820101';
// One wording for primary and secondary suppression: a reader must not learn which cells hold few cases.
const REASON = 'statistical secrecy: fewer than 11 cases, or withheld so that no other withheld value, and no count, can be deduced from the open values';
const VALUE_FIELDS = 'territoryCode indicator label period value unit confidenceInterval { low high } precision cases population suppressed suppressionReason source synthetic';

let orsal: OrsalFixture;

/** Every number anywhere in a response, except under the named keys. */
function numbersIn(value: unknown, except: string[]): number[] {
  if (typeof value === 'number') return [value];
  if (Array.isArray(value)) return value.flatMap((item) => numbersIn(item, except));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) => (except.includes(key) ? [] : numbersIn(item, except)));
  }
  return [];
}

beforeAll(async () => {
  orsal = await startOrsal();
});

afterAll(async () => {
  await orsal?.close();
});

describe('a citizen app reads the open health indicators of a territory', () => {
  it('gets Strasbourg’s values through the public contract query, ordered by indicator then period', async () => {
    const { data, errors } = await orsal.territories([STRASBOURG], 'health { indicator period value unit }');
    expect(errors).toBeUndefined();
    const health = data!._entities[0].health as { indicator: string; period: string; value: number; unit: string }[];
    expect(health).toHaveLength(5 * 6);
    const order = health.map((v) => `${v.indicator}|${v.period}`);
    expect(order).toEqual([...order].sort());
    expect(health[0]).toMatchObject({ indicator: 'ASTHMA_PREVALENCE', period: '2019', unit: '% of population' });
    expect(new Set(health.map((v) => v.period))).toEqual(new Set(['2019', '2020', '2021', '2022', '2023', '2024']));
    expect(health.every((v) => typeof v.value === 'number')).toBe(true);
  });

  it('reads Strasbourg’s 2023 treated asthma prevalence with its interval, precision, source and synthetic label', async () => {
    const { data, errors } = await orsal.territories([STRASBOURG], `health(indicator: "ASTHMA_PREVALENCE", period: "2023") { ${VALUE_FIELDS} }`);
    expect(errors).toBeUndefined();
    const [value] = data!._entities[0].health;
    const stored = await storedValue(orsal.db, STRASBOURG, 'ASTHMA_PREVALENCE', '2023');
    // Published rounded to a step that keeps its ~21,000 cases uncertain by ±1 % at least: 0.2 points here.
    expect(value.precision).toBe(0.2);
    expect(Math.abs(value.value - stored.rate)).toBeLessThanOrEqual(0.1 + 1e-9);
    expect(value).toEqual({
      territoryCode: STRASBOURG,
      indicator: 'ASTHMA_PREVALENCE',
      label: 'Treated asthma prevalence',
      period: '2023',
      value: stored.open_rate,
      unit: '% of population',
      confidenceInterval: { low: stored.open_ci_low, high: stored.open_ci_high },
      precision: 0.2,
      cases: stored.cases,
      population: 293771,
      suppressed: false,
      suppressionReason: null,
      source: ORSAL_SYNTHETIC_SOURCE,
      synthetic: true,
    });
    expect(value.value).toBeGreaterThan(5);
    expect(value.value).toBeLessThan(9);
    expect(value.confidenceInterval.low).toBeLessThan(value.value);
    expect(value.confidenceInterval.high).toBeGreaterThan(value.value);
  });

  it('reads an EPCI, whose cases and population are the sums of its communes', async () => {
    const members = orsal.referential.communes.filter((c) => c.epci === SAVERNE_CC).map((c) => c.code);
    const filter = '(indicator: "COPD_HOSPITALISATION", period: "2022")';
    const epci = await orsal.territories([SAVERNE_CC], `healthDetailed${filter} { cases population }`);
    const communes = await orsal.territories(members, `healthDetailed${filter} { cases population }`);
    const sum = (key: 'cases' | 'population') =>
      communes.data!._entities.reduce((total, t) => total + t.healthDetailed[0][key], 0);
    expect(epci.data!._entities[0].healthDetailed[0]).toEqual({ cases: sum('cases'), population: sum('population') });
    const open = await orsal.territories([SAVERNE_CC], `health${filter} { value unit suppressed }`);
    expect(open.data!._entities[0].health[0]).toMatchObject({ unit: 'per 100,000 inhabitants, age-standardised', suppressed: false });
  });
});

describe('statistical secrecy protects small numbers in the open values', () => {
  it('has real cases to act on: many commune/indicator/year values rest on fewer than 11 cases', async () => {
    const row = await orsal.db.knex('orsal.indicator_value').where('territory_level', 'COMMUNE').where('cases', '<', SECRECY_THRESHOLD).count({ n: '*' }).first();
    expect(Number(row!.n)).toBeGreaterThan(10);
    expect(SECRECY_THRESHOLD).toBe(11);
  });

  it('withholds a small commune’s lung cancer incidence, and never leaks the rate', async () => {
    const secret = await orsal.db
      .knex('orsal.indicator_value')
      .where({ territory_level: 'COMMUNE', indicator: 'LUNG_CANCER_INCIDENCE' })
      .whereBetween('cases', [1, SECRECY_THRESHOLD - 1])
      .orderBy([{ column: 'population' }, { column: 'territory_code' }, { column: 'period' }])
      .first();
    expect(secret.rate).toBeGreaterThan(0);

    const response = await orsal.territories([secret.territory_code], `health(indicator: "LUNG_CANCER_INCIDENCE", period: "${secret.period}") { ${VALUE_FIELDS} }`);
    expect(response.errors).toBeUndefined();
    const [value] = response.data!._entities[0].health;
    expect(value).toMatchObject({
      territoryCode: secret.territory_code,
      period: secret.period,
      value: null,
      confidenceInterval: null,
      suppressed: true,
      suppressionReason: REASON,
      population: secret.population,
    });
    const disclosed = numbersIn(response.data, ['cases', 'population']);
    for (const figure of [secret.rate, secret.ci_low, secret.ci_high]) expect(disclosed).not.toContain(figure);
  });

  it('still gives the same value, unsuppressed, to a researcher through healthDetailed', async () => {
    const secret = await orsal.db
      .knex('orsal.indicator_value')
      .where({ territory_level: 'COMMUNE', indicator: 'LUNG_CANCER_INCIDENCE' })
      .whereBetween('cases', [1, SECRECY_THRESHOLD - 1])
      .first();
    const { data } = await orsal.territories(
      [secret.territory_code],
      `healthDetailed(indicator: "LUNG_CANCER_INCIDENCE", period: "${secret.period}") { territoryLevel value cases population suppressedInOpenData }`,
    );
    expect(data!._entities[0].healthDetailed).toEqual([
      { territoryLevel: 'COMMUNE', value: secret.rate, cases: secret.cases, population: secret.population, suppressedInOpenData: true },
    ]);
  });
});

describe('IRIS-level health values are restricted', () => {
  it('gives an IRIS no open values', async () => {
    const { data, errors } = await orsal.territories([IRIS_IN_STRASBOURG], 'health { indicator value }');
    expect(errors).toBeUndefined();
    expect(data!._entities[0].health).toEqual([]);
  });

  it('gives a researcher every IRIS value, with cases and the synthetic population split labelled', async () => {
    if (!orsal.referential.iris.length) {
      // The approximate referential (no ../shared/data) has no IRIS, so ORSAL holds no IRIS value to give.
      const iris = await orsal.db.knex('orsal.indicator_value').where('territory_level', 'IRIS').count({ n: '*' }).first();
      expect(Number(iris!.n)).toBe(0);
      return;
    }
    const { data, errors } = await orsal.territories([IRIS_IN_STRASBOURG], 'healthDetailed { territoryCode territoryLevel indicator period value cases population source synthetic }');
    expect(errors).toBeUndefined();
    const records = data!._entities[0].healthDetailed;
    expect(records).toHaveLength(5 * 6);
    expect(records.every((r: { territoryLevel: string; territoryCode: string }) => r.territoryLevel === 'IRIS' && r.territoryCode === IRIS_IN_STRASBOURG)).toBe(true);
    expect(records.some((r: { cases: number }) => r.cases < SECRECY_THRESHOLD)).toBe(true);
    expect(records[0].source).toMatch(/synthetic split of the commune population/);
    expect(records[0].synthetic).toBe(true);
  });
});

describe('filters', () => {
  it('keeps one indicator and one period', async () => {
    const { data } = await orsal.territories([EMS], 'health(indicator: "CHILD_RESPIRATORY_EMERGENCY") { indicator period unit }');
    const values = data!._entities[0].health;
    expect(values.map((v: { period: string }) => v.period)).toEqual(['2019', '2020', '2021', '2022', '2023', '2024']);
    expect(values[0]).toMatchObject({ indicator: 'CHILD_RESPIRATORY_EMERGENCY', unit: 'per 1,000 children under 15' });
  });

  it('gives an empty list for a well-formed indicator code the catalogue does not hold, or a period without data', async () => {
    const unknown = await orsal.territories([STRASBOURG], 'health(indicator: "MALARIA_INCIDENCE") { value } healthDetailed(indicator: "MALARIA_INCIDENCE") { value }');
    expect(unknown.errors).toBeUndefined();
    expect(unknown.data!._entities[0]).toEqual({ health: [], healthDetailed: [] });
    const future = await orsal.territories([STRASBOURG], 'health(period: "2031") { value }');
    expect(future.data!._entities[0].health).toEqual([]);
  });

  it('rejects a malformed indicator or period with BAD_USER_INPUT', async () => {
    const indicator = await orsal.territories([STRASBOURG], 'health(indicator: "asthma; drop table") { value }');
    expect(indicator.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(indicator.errors?.[0]?.extensions?.argument).toBe('indicator');
    const period = await orsal.territories([STRASBOURG], 'healthDetailed(period: "2023-01-01") { value }');
    expect(period.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(period.errors?.[0]?.extensions?.argument).toBe('period');
  });
});

describe('the indicator catalogue', () => {
  it('lists every indicator with its unit, periodicity and source, ordered by code', async () => {
    const { data, errors } = await postGraphQL(orsal.server.url, '{ healthIndicators { code label description unit periodicity source synthetic } }');
    expect(errors).toBeUndefined();
    const codes = data.healthIndicators.map((i: { code: string }) => i.code);
    expect(codes).toEqual(['ASTHMA_PREVALENCE', 'CARDIOVASCULAR_HOSPITALISATION', 'CHILD_RESPIRATORY_EMERGENCY', 'COPD_HOSPITALISATION', 'LUNG_CANCER_INCIDENCE']);
    const copd = data.healthIndicators.find((i: { code: string }) => i.code === 'COPD_HOSPITALISATION');
    expect(copd).toMatchObject({ unit: 'per 100,000 inhabitants, age-standardised', periodicity: 'yearly', synthetic: true });
    expect(copd.source).toMatch(/PMSI/);
  });

  it('is seeded once: seeding again writes nothing', async () => {
    const report = await seedOrsal(orsal.db.knex, orsal.referential, { scale: 1 });
    expect(report.rows).toEqual({});
  });
});
