import type { Ingester } from '../../lib/ingest/types.ts';
import { readCsv, readHeader } from '../../lib/ingest/csv.ts';
import { hasColumns } from '../../lib/ingest/detect.ts';
import { IngestFileError, reject } from '../../lib/ingest/errors.ts';
import { check, isSynthetic, parseInteger, parseNumber, runIngestion, upsertCounting } from '../../lib/ingest/runner.ts';
import { applySecrecy, storedRule } from './secrecy.ts';
import { TERRITORY_CODE_PATTERNS } from '../../lib/territory-codes.ts';
import { DEFAULT_RULE } from './settings.ts';

const CODE_OF_LEVEL: Record<string, RegExp> = TERRITORY_CODE_PATTERNS;
const COLUMNS = ['territory_code', 'territory_level', 'indicator', 'period', 'cases', 'population', 'rate', 'ci_low', 'ci_high'] as const;

interface ValueRow {
  territory_code: string;
  territory_level: string;
  indicator: string;
  period: string;
  cases: number;
  population: number;
  rate: number | null;
  ci_low: number | null;
  ci_high: number | null;
  parent_code: string | null;
  source: string;
  synthetic: boolean;
}

/**
 * ORS indicator tables (CSV, `,` or `;`): territory_code, territory_level (COMMUNE|IRIS|EPCI), indicator
 * (a code of orsal.indicator), period (YYYY or YYYY-YYYY), cases, population, rate, ci_low, ci_high, and
 * optionally parent_code (the unit a value sums into, for secondary suppression) and source. Territory
 * codes are checked for form only: ORSAL does not read ADEUS's referential. After the rows are written,
 * statistical secrecy is recomputed for the indicators touched, in the same transaction.
 */
export const indicatorCsv: Ingester = {
  producer: 'orsal',
  format: 'indicators-csv',
  description: 'ORS indicator table, CSV (territory_code, territory_level, indicator, period, cases, population, rate…)',
  nameHint: /\.csv$/i,
  detect: (s) => (hasColumns(s, 'territory_code', 'territory_level', 'indicator', 'period') ? 3 : 0),
  ingest: (knex, source, options) => {
    const touched = new Set<string>();
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
          ['territory_level', 'cases', 'population', 'rate', 'ci_low', 'ci_high', 'parent_code', 'source', 'synthetic'],
          batch as unknown as Record<string, unknown>[],
        ),
      finish: async (trx) => {
        if (!touched.size) return;
        await applySecrecy(trx, (await storedRule(trx)) ?? DEFAULT_RULE, [...touched]);
      },
      rows: async function* (trx) {
        const indicators = new Set(((await trx('orsal.indicator').select('code')) as { code: string }[]).map((r) => r.code));
        let columns: Map<string, number> | undefined;
        for await (const { line, fields } of readCsv(source.text())) {
          if (!columns) {
            columns = readHeader(fields, COLUMNS, ['parent_code', 'source']);
            continue;
          }
          const map = columns;
          const get = (c: string) => { const i = map.get(c); return i === undefined ? undefined : fields[i]?.trim(); };
          const parsed = check(line, (): ValueRow => {
            if (fields.length < Math.max(...map.values()) + 1) reject(`expected ${map.size} fields, found ${fields.length} (truncated line?)`);
            const level = get('territory_level')!.toUpperCase();
            const pattern = CODE_OF_LEVEL[level] ?? reject(`territory_level must be COMMUNE, IRIS or EPCI, not "${get('territory_level')}"`);
            const code = get('territory_code')!;
            if (!pattern.test(code)) reject(`territory_code "${code}" is not a well-formed ${level} code`);
            const indicator = get('indicator')!;
            if (!indicators.has(indicator)) reject(`unknown indicator "${indicator}"`);
            const period = get('period')!;
            const range = /^(\d{4})(?:-(\d{4}))?$/.exec(period);
            if (!range || (range[2] !== undefined && range[2] <= range[1]!)) reject(`period must be YYYY or YYYY-YYYY (increasing), not "${period}"`);
            const cases = parseInteger(get('cases'), 'cases');
            const population = parseInteger(get('population'), 'population');
            if (cases < 0 || population < 0) reject(`negative count (cases ${cases}, population ${population})`);
            if (population === 0) reject('population is 0');
            if (cases > population) reject(`cases (${cases}) exceed population (${population})`);
            const rate = parseNumber(get('rate'), 'rate', { required: false });
            const low = parseNumber(get('ci_low'), 'ci_low', { required: false });
            const high = parseNumber(get('ci_high'), 'ci_high', { required: false });
            if ((rate ?? 0) < 0 || (low ?? 0) < 0 || (high ?? 0) < 0) reject('negative rate or confidence bound');
            if ((low === null) !== (high === null) || (low !== null && rate === null)) reject('ci_low and ci_high go together, with a rate');
            if (low !== null && high !== null && rate !== null && !(low <= rate && rate <= high)) reject(`the confidence interval [${low}, ${high}] does not bracket the rate ${rate}`);
            const parent = get('parent_code') || null;
            if (parent !== null && !CODE_OF_LEVEL.EPCI!.test(parent) && !CODE_OF_LEVEL.COMMUNE!.test(parent)) reject(`parent_code "${parent}" is not a commune or EPCI code`);
            const source = get('source') || (options.source ?? 'ORS Grand Est');
            return { territory_code: code, territory_level: level, indicator, period, cases, population, rate, ci_low: low, ci_high: high, parent_code: parent, source, synthetic: isSynthetic(source) };
          });
          if ('row' in parsed) touched.add(parsed.row.indicator);
          yield parsed;
        }
        if (!columns) throw new IngestFileError(1, 'bad header: the file is empty');
      },
    });
  },
};

export const ingesters: Ingester[] = [indicatorCsv];
