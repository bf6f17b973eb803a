import type { Knex } from 'knex';
import type { Ingester } from '../../lib/ingest/types.ts';
import type { Mapping } from '../../lib/ingest/mapping.ts';
import { readCsv, readHeader } from '../../lib/ingest/csv.ts';
import { hasColumns } from '../../lib/ingest/detect.ts';
import { IngestFileError, reject } from '../../lib/ingest/errors.ts';
import { check, runIngestion, upsertCounting } from '../../lib/ingest/runner.ts';
import { syntheticFlag } from '../../lib/ingest/synthetic.ts';
import { TERRITORY_CODE_PATTERNS } from '../../lib/territory-codes.ts';
import { applySecrecy, cellKey, storedRule } from './secrecy.ts';
import { membersOf, membershipOf } from './hierarchy.ts';
import { DEFAULT_RULE } from './settings.ts';
import { countOf, markersOf, readCell, type Cell } from './cells.ts';
import { convertRate, describePerUnit, parseRateUnit, type RateUnit } from './units.ts';
import { contradictions, type CountBounds } from './totals.ts';

type Level = keyof typeof TERRITORY_CODE_PATTERNS;

const REQUIRED = ['territory_code', 'territory_level', 'indicator', 'period', 'population'] as const;
const OPTIONAL = ['cases', 'rate', 'ci_low', 'ci_high', 'unit', 'parent_code', 'source', 'synthetic'] as const;
/** The lengths a spreadsheet's lost leading zero is restored to, by level (`pad` in a mapping). */
const CODE_LENGTH: Record<Level, number> = { COMMUNE: 5, IRIS: 9, EPCI: 9 };
const LEVEL_NAMES: Record<string, Level> = { commune: 'COMMUNE', iris: 'IRIS', epci: 'EPCI', intercommunalité: 'EPCI', intercommunalite: 'EPCI' };
/** Relative disagreement tolerated between a crude rate and its count over its population (rounded populations, pooled periods). */
const RATE_TOLERANCE = 0.05;
/** An age-standardised rate further than this factor from its crude rate is in another unit, not another age structure. */
const STANDARDISATION_FACTOR = 5;

interface ValueRow {
  territory_code: string;
  territory_level: Level;
  indicator: string;
  period: string;
  /** null when withheld at source, or (a secrecy-treated table only) when no count can be derived. */
  cases: number | null;
  population: number;
  /** In the indicator's unit. */
  rate: number | null;
  ci_low: number | null;
  ci_high: number | null;
  parent_code: string | null;
  source: string;
  synthetic: boolean;
  withheld_at_source: boolean;
  cases_derived: boolean;
  treated_at_source: boolean;
}

interface IndicatorScale {
  code: string;
  unit: string;
  per_unit: number | null;
  standardised: boolean;
}

/** Units a mapping declares, by column of the format. */
interface DeclaredUnits {
  rate?: RateUnit & { text: string };
  ci_low?: RateUnit & { text: string };
  ci_high?: RateUnit & { text: string };
}

function declaredUnits(mapping: Mapping | undefined): DeclaredUnits {
  const units: DeclaredUnits = {};
  for (const [column, text] of Object.entries(mapping?.units ?? {})) {
    if (column !== 'rate' && column !== 'ci_low' && column !== 'ci_high') {
      throw new IngestFileError(0, `the mapping's units name "${column}": ORSAL's tables take a unit for rate, ci_low and ci_high (counts and populations are people)`);
    }
    const unit = parseRateUnit(text) ?? (() => { throw new IngestFileError(0, `the mapping's units.${column} "${text}" is not a rate unit the hub reads (e.g. "%", "‰", "pour 10 000", "per 100,000, age-standardised")`); })();
    units[column] = { ...unit, text };
  }
  return units;
}

const fmt = (n: number) => String(Number(n.toPrecision(4)));

/** The power of ten a rate is off by from what its count says, when it is one (a unit mistake, not noise). */
function powerOfTenOff(rate: number, expected: number): number | null {
  if (rate <= 0 || expected <= 0) return null;
  const k = Math.round(Math.log10(rate / expected));
  return k !== 0 && Math.abs(rate / expected / 10 ** k - 1) <= RATE_TOLERANCE ? k : null;
}

/**
 * ORS indicator tables (CSV, `,` or `;`, decimal point or comma, thousands spaced): territory_code,
 * territory_level (COMMUNE|IRIS|EPCI), indicator (a code of orsal.indicator), period (YYYY or YYYY-YYYY),
 * population, and cases and/or rate; optionally ci_low, ci_high, unit (the rate's unit: converted to the
 * indicator's, or the row is refused), parent_code (the unit a value sums into), source and synthetic
 * (true/false; never guessed). French statistical tables are read as their producers publish them:
 * - a secret marker (`s`, `c`, "secret statistique", `<11`, an empty count and rate, or a mapping's
 *   `secretMarkers`) in the count or the rate makes the value withheld at source: stored without count
 *   or rate (the open value is never derived from anything in the row), it enters the secrecy decision as
 *   a primary cell; a not-available marker (`nd`, `-`) with no other value skips the row (counted);
 * - a crude rate without its count is taken with its population: the count is derived as
 *   round(rate × population / per_unit) and flagged; an age-standardised rate gives no count and is
 *   refused, unless the table's mapping declares it secrecy-treated (then it is stored without a count,
 *   withheld from open data, readable by researchers). A rate without a count needs its unit declared;
 * - a rate with its count is checked against it (crude rates) or for plausibility (standardised ones), so
 *   that a rate per 10,000 is never stored as a percentage;
 * - a commune code that lost its leading zero in a spreadsheet (`8105`) is refused unless the mapping
 *   pads territory_code (then codes are padded to their level's length).
 * Territory codes are checked for form only: ORSAL does not read ADEUS's referential. After the rows are
 * written, statistical secrecy is recomputed for the indicators touched, in the same transaction.
 */
export const indicatorCsv: Ingester = {
  producer: 'orsal',
  format: 'indicators-csv',
  description: 'ORS indicator table, CSV (territory_code, territory_level, indicator, period, population, cases and/or rate, unit…)',
  nameHint: /\.csv$/i,
  detect: (s) => (hasColumns(s, 'territory_code', 'territory_level', 'indicator', 'period') ? 3 : 0),
  ingest: (knex, source, options) => {
    const touched = new Set<string>();
    const treated = options.mapping?.secrecyTreated === true;
    const padByLevel = options.mapping?.pad?.territory_code !== undefined;
    const markers = markersOf(options.mapping?.secretMarkers);
    return runIngestion<ValueRow>(knex, {
      producer: 'orsal',
      format: 'indicators-csv',
      encoding: source.encoding,
      options,
      key: (r) => `${r.territory_code}|${r.indicator}|${r.period}`,
      write: (trx, batch) =>
        upsertCounting(
          trx,
          'orsal.indicator_value',
          ['territory_code', 'indicator', 'period'],
          ['territory_level', 'cases', 'population', 'rate', 'ci_low', 'ci_high', 'parent_code', 'source', 'synthetic', 'withheld_at_source', 'cases_derived', 'treated_at_source'],
          batch as unknown as Record<string, unknown>[],
        ),
      finish: async (trx) => {
        if (!touched.size) return;
        await applySecrecy(trx, (await storedRule(trx)) ?? DEFAULT_RULE, [...touched]);
      },
      rows: async function* (db) {
        const units = declaredUnits(options.mapping);
        const scales = new Map(((await db('orsal.indicator').select('code', 'unit', 'per_unit', 'standardised')) as IndicatorScale[]).map((r) => [r.code, r]));
        const { threshold } = (await storedRule(db)) ?? DEFAULT_RULE;
        const bounds = new Map<string, CountBounds>();
        let columns: Map<string, number> | undefined;
        for await (const { line, fields } of readCsv(source.text())) {
          if (!columns) {
            columns = readHeader(fields, REQUIRED, OPTIONAL);
            if (!columns.has('cases') && !columns.has('rate')) throw new IngestFileError(1, `bad header: a table needs cases, rate or both (found ${fields.join(', ')})`);
            continue;
          }
          const map = columns;
          const get = (c: string) => { const i = map.get(c); return i === undefined ? undefined : fields[i]?.trim(); };
          let skip: string | null = null;
          let derivedFrom: { low: number; high: number } | null = null;
          const parsed = check(line, (): ValueRow => {
            if (fields.length < Math.max(...map.values()) + 1) reject(`expected ${map.size} fields, found ${fields.length} (truncated line?)`);
            const level = LEVEL_NAMES[get('territory_level')!.toLowerCase()] ?? reject(`territory_level must be COMMUNE, IRIS or EPCI, not "${get('territory_level')}"`);
            const code = territoryCode(get('territory_code')!, level, padByLevel);
            const indicator = get('indicator')!;
            const scale = scales.get(indicator) ?? reject(`unknown indicator "${indicator}"`);
            const period = get('period')!.replace(/\s*[-–]\s*/, '-');
            const range = /^(\d{4})(?:-(\d{4}))?$/.exec(period);
            if (!range || (range[2] !== undefined && range[2] <= range[1]!)) reject(`period must be YYYY or YYYY-YYYY (increasing), not "${get('period')}"`);

            const casesCell = readCell(get('cases'), 'cases', markers);
            const populationCell = readCell(get('population'), 'population', markers);
            if (populationCell.kind !== 'number') {
              reject(populationCell.kind === 'empty' ? 'population is empty' : `population is "${populationCell.text}": the hub needs the population of every value (the denominator a withheld count is bounded by)`);
            }
            const population = countOf(populationCell, 'population')!;
            const cases = countOf(casesCell, 'cases');
            if ((cases ?? 0) < 0 || population < 0) reject(`negative count (cases ${cases}, population ${population})`);
            if (population === 0) reject('population is 0');
            if (cases !== null && cases > population) reject(`cases (${cases}) exceed population (${population})`);
            const rateCell = readCell(get('rate'), 'rate', markers);
            const lowCell = readCell(get('ci_low'), 'ci_low', markers);
            const highCell = readCell(get('ci_high'), 'ci_high', markers);
            const num = (c: Cell) => (c.kind === 'number' ? c.value : null);
            const [rate, low, high] = [num(rateCell), num(lowCell), num(highCell)];
            if ((rate ?? 0) < 0 || (low ?? 0) < 0 || (high ?? 0) < 0) reject('negative rate or confidence bound');
            // An interval next to a withheld rate is dropped with it; otherwise it goes whole, with a rate.
            if ((low === null) !== (high === null) || (low !== null && rate === null && rateCell.kind !== 'secret')) reject('ci_low and ci_high go together, with a rate');
            if (low !== null && high !== null && rate !== null && !(low <= rate && rate <= high)) reject(`the confidence interval [${low}, ${high}] does not bracket the rate ${rate}`);
            const parent = get('parent_code') || null;
            if (parent !== null && !TERRITORY_CODE_PATTERNS.EPCI.test(parent) && !TERRITORY_CODE_PATTERNS.COMMUNE.test(parent)) reject(`parent_code "${parent}" is not a commune or EPCI code`);
            const base = {
              territory_code: code, territory_level: level, indicator, period, population, parent_code: parent,
              source: get('source') || (options.source ?? 'ORS Grand Est'),
              synthetic: syntheticFlag(get('synthetic')),
              treated_at_source: treated,
            };

            // Withheld at source: nothing of the row but its population is kept, nothing is derived from it.
            if (casesCell.kind === 'secret' || rateCell.kind === 'secret' || (casesCell.kind === 'empty' && rateCell.kind === 'empty')) {
              return { ...base, cases: null, rate: null, ci_low: null, ci_high: null, withheld_at_source: true, cases_derived: false };
            }
            if (cases === null && rate === null) {
              skip = 'no value at source (a not-available marker, e.g. nd or -, and no count or rate): nothing to store';
              return { ...base, cases: null, rate: null, ci_low: null, ci_high: null, withheld_at_source: false, cases_derived: false };
            }

            // The rate in the indicator's unit.
            const perUnit = scale.per_unit;
            if (rate !== null && !perUnit) reject(`indicator ${indicator} has no scale (per_unit) in ORSAL's catalogue: its rates cannot be checked or published`);
            const rowUnit = get('unit') ? { ...(parseRateUnit(get('unit')!) ?? reject(`unit "${get('unit')}" is not a rate unit the hub reads (e.g. "%", "‰", "pour 10 000", "per 100,000, age-standardised")`)), text: get('unit')! } : undefined;
            const rateUnit = rowUnit ?? units.rate;
            for (const unit of [rateUnit, rowUnit ?? units.ci_low, rowUnit ?? units.ci_high]) {
              if (unit && unit.standardised !== null && unit.standardised !== scale.standardised) {
                reject(`the unit "${unit.text}" is ${unit.standardised ? 'age-standardised' : 'crude'}, but ${indicator} is ${scale.standardised ? 'age-standardised' : 'crude'} (${scale.unit}): one cannot be converted into the other`);
              }
            }
            const toIndicator = (value: number | null, unit: RateUnit | undefined) => (value === null || !perUnit ? value : convertRate(value, unit?.perUnit ?? perUnit, perUnit));
            const stored = {
              rate: toIndicator(rate, rateUnit),
              ci_low: toIndicator(low, rowUnit ?? units.ci_low ?? rateUnit),
              ci_high: toIndicator(high, rowUnit ?? units.ci_high ?? rateUnit),
            };
            if (stored.ci_low !== null && stored.ci_high !== null && stored.rate !== null && !(stored.ci_low <= stored.rate && stored.rate <= stored.ci_high)) {
              reject(`the confidence interval [${low}, ${high}] does not bracket the rate ${rate} once both are in ${scale.unit}`);
            }

            if (cases !== null) {
              if (stored.rate !== null) checkRate(stored.rate, rateCell, cases, population, scale, rateUnit, period);
              return { ...base, cases, ...stored, withheld_at_source: false, cases_derived: false };
            }

            // A rate without its count.
            if (!rateUnit) {
              reject(`a rate without its count needs its unit declared (a \`unit\` column, or \`units: {rate: …}\` in the table's mapping): nothing else tells a rate per 10,000 from a percentage, and the count derived from it would be wrong by as much`);
            }
            if (scale.standardised) {
              if (!treated) {
                reject(`an age-standardised rate without its count: no count can be derived from it (it depends on the age structure), and the hub decides statistical secrecy on counts. Send the count, or declare the table secrecy-treated (\`secrecyTreated: true\` in its mapping) if its producer already applied statistical secrecy`);
              }
              return { ...base, cases: null, ...stored, withheld_at_source: false, cases_derived: false };
            }
            const exact = (stored.rate! * population) / perUnit!;
            const derived = Math.round(exact);
            // The producer rounded the rate to its last digit: the counts it may stand for.
            const half = (convertRate(0.5 * 10 ** -(rateCell as { decimals: number }).decimals, rateUnit!.perUnit, perUnit!) * population) / perUnit!;
            const [fewest, most] = [Math.max(0, Math.ceil(exact - half - 1e-9)), Math.floor(exact + half + 1e-9)];
            if (derived >= threshold && Math.min(fewest, derived) < threshold) {
              if (treated) return { ...base, cases: null, ...stored, withheld_at_source: false, cases_derived: false };
              reject(`the count behind the rate ${rate} (${derived}, but ${fewest} to ${most} given the rate's rounding) may be under the secrecy threshold (${threshold}): send the count`);
            }
            if (derived > population) reject(`the rate ${rate} (${rateUnit!.text}) makes ${derived} cases among ${population} people`);
            derivedFrom = { low: Math.min(fewest, derived), high: Math.max(most, derived) };
            return { ...base, cases: derived, ...stored, withheld_at_source: false, cases_derived: true };
          });
          if (skip !== null) {
            yield { line, skip };
            continue;
          }
          if ('row' in parsed) {
            touched.add(parsed.row.indicator);
            const row = parsed.row;
            if (row.territory_level !== 'IRIS') {
              bounds.set(cellKey(row.territory_code, row.indicator, row.period), {
                key: cellKey(row.territory_code, row.indicator, row.period), code: row.territory_code, level: row.territory_level, indicator: row.indicator, period: row.period,
                parent: row.parent_code, withheldAtSource: row.withheld_at_source, line,
                ...(row.withheld_at_source ? { low: 0, high: threshold - 1 } : row.cases === null ? { low: 0, high: row.population } : derivedFrom ?? { low: row.cases, high: row.cases }),
              });
            }
          }
          yield parsed;
        }
        if (!columns) throw new IngestFileError(1, 'bad header: the file is empty');
        const found = await contradictionsWithHeld(db, bounds, threshold);
        if (found.length) throw new IngestFileError(found[0]!.line, found.length > 1 ? `${found[0]!.reason} (and ${found.length - 1} more such totals)` : found[0]!.reason);
      },
    });
  },
};

/** A code as the level says it is written; a spreadsheet's lost leading zero is restored only when the mapping says so. */
function territoryCode(raw: string, level: Level, padByLevel: boolean): string {
  const length = CODE_LENGTH[level];
  if (/^\d+$/.test(raw) && raw.length === length - 1) {
    if (padByLevel) return raw.padStart(length, '0');
    reject(
      `territory_code "${raw}" has ${raw.length} digits, ${/^[AEIOU]/.test(level) ? 'an' : 'a'} ${level} code has ${length}: a spreadsheet may have dropped its leading zero (0${raw}?), or the code is cut, and the hub does not guess which. ` +
        `If the table's codes lost their leading zeros, say so in its mapping (\`pad: {territory_code: ${CODE_LENGTH.COMMUNE}}\`)`,
    );
  }
  if (!TERRITORY_CODE_PATTERNS[level].test(raw)) reject(`territory_code "${raw}" is not a well-formed ${level} code`);
  return raw;
}

/**
 * A rate next to its count: a crude rate must be the count over the population (within rounding), an
 * age-standardised one within a plausible factor of it. A mismatch by a power of ten is a unit mistake,
 * said as such.
 */
function checkRate(rate: number, cell: Cell, cases: number, population: number, scale: IndicatorScale, declared: (RateUnit & { text: string }) | undefined, period: string): void {
  const perUnit = scale.per_unit!;
  const expected = (cases * perUnit) / population;
  const given = cell.kind === 'number' ? cell.value : rate;
  const inUnit = declared ? `"${declared.text}"` : `${scale.unit} (the indicator's unit; the table declares none)`;
  const off = powerOfTenOff(rate, expected);
  const [first, last] = period.split('-').map(Number) as [number, number | undefined];
  const years = last === undefined ? 1 : last - first + 1;
  const unitHint =
    off !== null && !declared
      ? `: it looks like a rate ${describePerUnit(perUnit * 10 ** off)}. Declare the table's unit (a \`unit\` column, or \`units: {rate: …}\` in its mapping) and the hub converts it`
      : years > 1 && Math.abs(rate * years - expected) <= RATE_TOLERANCE * expected
        ? `: it is the count over ${years} times the population, an annual rate over a mean population; for a pooled period the hub takes the population of all its years (person-years), as the rate's count covers them`
        : '';
  if (!scale.standardised) {
    const half = cell.kind === 'number' ? convertRate(0.5 * 10 ** -cell.decimals, declared?.perUnit ?? perUnit, perUnit) : 0;
    if (Math.abs(rate - expected) > Math.max(half, RATE_TOLERANCE * expected) + 1e-12) {
      reject(`the rate ${given} in ${inUnit} is not its count over its population: ${cases} cases among ${population} make ${fmt(expected)} ${describePerUnit(perUnit)}${unitHint}`);
    }
    return;
  }
  // Below a few tens of cases an age structure can move a standardised rate far from the crude one.
  if (cases >= 20 && (rate > expected * STANDARDISATION_FACTOR || rate < expected / STANDARDISATION_FACTOR)) {
    reject(`the age-standardised rate ${given} in ${inUnit} is ${fmt(rate / expected)} times the crude rate of its count (${cases} cases among ${population}: ${fmt(expected)} ${describePerUnit(perUnit)}), beyond what an age structure does${unitHint}`);
  }
}

/**
 * The file's totals, with the values ORSAL already holds for the same indicators, that cannot be the sum of
 * their parts (totals.ts). A value already held counts as its stored count, withheld at source as fewer
 * than the threshold, a derived count within 1 %, and an unknown one as anything up to its population.
 */
async function contradictionsWithHeld(db: Knex, file: Map<string, CountBounds>, threshold: number) {
  if (!file.size) return [];
  const indicators = [...new Set([...file.values()].map((c) => c.indicator))];
  const held = (await db('orsal.indicator_value')
    .whereIn('indicator', indicators)
    .whereIn('territory_level', ['COMMUNE', 'EPCI'])
    .select('territory_code', 'territory_level', 'indicator', 'period', 'cases', 'population', 'withheld_at_source', 'cases_derived', 'parent_code')) as {
    territory_code: string; territory_level: 'COMMUNE' | 'EPCI'; indicator: string; period: string; cases: number | null; population: number; withheld_at_source: boolean; cases_derived: boolean; parent_code: string | null;
  }[];
  if (![...file.values()].some((c) => c.withheldAtSource) && !held.some((r) => r.withheld_at_source)) return [];
  const cells = new Map<string, CountBounds>();
  for (const r of held) {
    const key = cellKey(r.territory_code, r.indicator, r.period);
    const spread = r.cases_derived && r.cases !== null ? Math.max(1, Math.ceil(r.cases / 100)) : 0;
    cells.set(key, {
      key, code: r.territory_code, level: r.territory_level, indicator: r.indicator, period: r.period, parent: r.parent_code, withheldAtSource: r.withheld_at_source, line: null,
      ...(r.withheld_at_source ? { low: 0, high: threshold - 1 } : r.cases === null ? { low: 0, high: r.population } : { low: Math.max(0, r.cases - spread), high: r.cases + spread }),
    });
  }
  for (const [key, cell] of file) cells.set(key, cell);
  const communes = [...cells.values()].filter((c) => c.level === 'COMMUNE').map((c) => c.code);
  const epcis = [...cells.values()].filter((c) => c.level === 'EPCI').map((c) => c.code);
  return contradictions(cells, await membershipOf(db, [...new Set(communes)]), await membersOf(db, [...new Set(epcis)]), threshold);
}

export const ingesters: Ingester[] = [indicatorCsv];
