import type { Knex } from 'knex';
import type { Ingester, IngestOptions } from '../../../lib/ingest/types.ts';
import { readCsv } from '../../../lib/ingest/csv.ts';
import { readJsonElements } from '../../../lib/ingest/json.ts';
import { hasColumns, hasMembers } from '../../../lib/ingest/detect.ts';
import { IngestFileError, RowError, reject } from '../../../lib/ingest/errors.ts';
import { syntheticFlag } from '../../../lib/ingest/synthetic.ts';
import { checkTimeZone, dayIn } from '../../../lib/ingest/timezone.ts';
import { TERRITORY_CODE_PATTERNS } from '../../../lib/territory-codes.ts';
import { check, parseInteger, runIngestion, upsertCounting, type Parsed } from '../../../lib/ingest/runner.ts';
import { PARIS, columnsOf, fold, sourceOf, textOf, type Get } from './common.ts';
import { addDays, instantFrom, parisDay } from './moments.ts';

/*
 * The daily indice ATMO (arrêté du 10 juillet 2020) in the national open-data shape, from three carriers:
 * the national CSV, GeoJSON (Atmo Data WFS, or ArcGIS `f=geojson`) and ATMO Grand Est's ArcGIS
 * FeatureServer JSON (`features[].attributes`, dates in epoch milliseconds, `code_zone` an integer).
 */

const SUB_INDICES = ['code_no2', 'code_so2', 'code_o3', 'code_pm10', 'code_pm25'] as const;
const CSV_REQUIRED = ['date_ech', 'code_zone', 'lib_zone', 'type_zone', 'code_qual', ...SUB_INDICES] as const;
const CSV_OPTIONAL = ['lib_qual', 'coul_qual', 'source', 'date_dif', 'date_maj', 'synthetic'] as const;
const { COMMUNE, EPCI: SIREN } = TERRITORY_CODE_PATTERNS;
/** Classes that are not the maximum of sub-indices: 0 the index is not available, 7 an event (incident, industrial accident). */
const NOT_COMPUTED = new Set([0, 7]);
/** Labels producers write for a class besides the official one (accents are folded before comparing). */
const LABEL_VARIANTS: Record<number, string[]> = { 0: ['indisponible', 'non disponible', 'absent / indisponible', 'absent/indisponible'], 6: ['extrement mauvais'] };

/**
 * Which publication a row is: a `forecast` (diffused before its day), an `observation` (diffused on the
 * day or later: the day's own index), or `undated` (the file gives no date of diffusion).
 */
export type IndexKind = 'forecast' | 'observation' | 'undated';

interface IndexClass {
  label: string;
  color: string;
}

interface DailyIndexRow {
  date_ech: string;
  code_zone: string;
  lib_zone: string;
  type_zone: string;
  kind: IndexKind;
  date_dif: string | null;
  date_maj: string | null;
  code_qual: number;
  code_no2: number;
  code_so2: number;
  code_o3: number;
  code_pm10: number;
  code_pm25: number;
  source: string;
  synthetic: boolean;
}

interface Context {
  classes: Map<number, IndexClass>;
  source: string;
  /** Today in Europe/Paris. */
  today: string;
  /** The zone of times written without one, when the producer said it (`--timezone`). */
  zone: string | undefined;
  /** The file says all its rows are synthetic (a file-level flag). */
  synthetic: boolean;
}

function integer(value: unknown, column: string): number | undefined {
  const text = textOf(value);
  return text === undefined ? undefined : parseInteger(text, column);
}

/** An INSEE code or SIREN as written, or an integer (ArcGIS) whose leading zeros were lost: 8105 is 08105. */
function zoneCode(value: unknown, type: string): string {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return String(value).padStart(type === 'COMMUNE' ? 5 : 9, '0');
  return textOf(value) ?? '';
}

/**
 * Validates one daily-index record. Zones: any well-formed code (ATMO defines its zones); a COMMUNE zone must
 * be an INSEE code, an EPCI zone a SIREN. Classes 1–6 are the maximum of their sub-indices; classes 0 and 7
 * are published as such, their sub-indices as given (absent is 0, the class "Absent").
 */
function dailyIndex(get: Get, ctx: Context): DailyIndexRow {
  const date = parisDay(get('date_ech'), 'date_ech', ctx.zone) ?? reject('date_ech is empty');
  const latest = addDays(ctx.today, 1);
  if (date > latest) reject(`date_ech ${date} is in the future (latest accepted: ${latest}, the J+1 forecast)`);
  const type = (textOf(get('type_zone')) ?? '').toUpperCase();
  if (type !== 'COMMUNE' && type !== 'EPCI') reject(`type_zone must be COMMUNE or EPCI, not "${String(get('type_zone') ?? '')}"`);
  const zone = zoneCode(get('code_zone'), type);
  if (!(type === 'COMMUNE' ? COMMUNE : SIREN).test(zone)) reject(`code_zone "${zone}" is not a ${type === 'COMMUNE' ? '5-character INSEE commune code' : '9-digit EPCI SIREN'}`);
  const lib = textOf(get('lib_zone')) ?? reject('lib_zone is empty');

  const code = integer(get('code_qual'), 'code_qual') ?? reject('code_qual is empty');
  if (code < 0 || code > 7) reject(`code_qual = ${code} is outside 1–6 and is neither 0 (Absent) nor 7 (Événement)`);
  const sub = {} as Record<(typeof SUB_INDICES)[number], number>;
  for (const column of SUB_INDICES) {
    const value = integer(get(column), column) ?? 0;
    if (value < 0 || value > 6) reject(`${column} = ${value} is outside 1–6 (0 when not available)`);
    sub[column] = value;
  }
  if (!NOT_COMPUTED.has(code)) {
    const max = Math.max(...SUB_INDICES.map((c) => sub[c]));
    if (code !== max) reject(`code_qual = ${code} but the highest sub-index is ${max}`);
  }
  const cls = ctx.classes.get(code)!;
  const label = textOf(get('lib_qual'));
  if (label && fold(label) !== fold(cls.label) && !(LABEL_VARIANTS[code] ?? []).includes(fold(label))) reject(`lib_qual "${label}" does not match code_qual ${code} ("${cls.label}")`);
  const color = textOf(get('coul_qual'));
  if (color && color.toUpperCase() !== cls.color) reject(`coul_qual "${color}" does not match code_qual ${code} (${cls.color})`);

  const issued = parisDay(get('date_dif'), 'date_dif', ctx.zone) ?? null;
  if (issued && issued > ctx.today) reject(`date_dif ${issued} is in the future`);
  const updated = instantFrom(get('date_maj'), 'date_maj', ctx.zone);
  const kind: IndexKind = issued === null ? 'undated' : issued < date ? 'forecast' : 'observation';
  const flag = get('synthetic');
  return {
    date_ech: date,
    code_zone: zone,
    lib_zone: lib,
    type_zone: type,
    kind,
    date_dif: issued,
    date_maj: updated === undefined ? null : new Date(updated).toISOString(),
    code_qual: code,
    ...sub,
    source: textOf(get('source')) ?? ctx.source,
    synthetic: flag === undefined || flag === null || flag === '' ? ctx.synthetic : syntheticFlag(flag),
  };
}

async function context(trx: Knex, options: IngestOptions): Promise<Omit<Context, 'synthetic'>> {
  const rows = (await trx('atmo.index_class').select('code', 'label', 'color')) as ({ code: number } & IndexClass)[];
  return {
    classes: new Map(rows.map((r) => [Number(r.code), { label: r.label, color: r.color }])),
    source: sourceOf(options),
    today: dayIn(Date.now(), PARIS),
    zone: options.timezone ? checkTimeZone(options.timezone) : undefined,
  };
}

const COMPARED = ['lib_zone', 'type_zone', 'date_dif', 'date_maj', 'code_qual', ...SUB_INDICES, 'source', 'synthetic'];

/** Forecast, observation and undated rows of one day are three rows: none overwrites another. */
function runDaily(knex: Knex, format: string, encoding: string, options: IngestOptions, rows: (trx: Knex) => AsyncIterable<Parsed<DailyIndexRow>>) {
  return runIngestion(knex, {
    producer: 'atmo',
    format,
    encoding,
    options,
    rows,
    key: (r) => `${r.code_zone}|${r.date_ech}|${r.kind}`,
    write: (trx, batch) => upsertCounting(trx, 'atmo.daily_index', ['code_zone', 'date_ech', 'kind'], COMPARED, batch as unknown as Record<string, unknown>[]),
  });
}

export const dailyIndexCsv: Ingester = {
  producer: 'atmo',
  format: 'indice-csv',
  description: 'indice ATMO, national open-data CSV (date_ech, code_zone, code_qual…)',
  nameHint: /indice.*\.csv$/i,
  detect: (s) => (hasColumns(s, 'date_ech', 'code_zone', 'code_qual') ? 3 : 0),
  ingest: (knex, source, options) =>
    runDaily(knex, 'indice-csv', source.encoding, options, async function* (trx) {
      const ctx = { ...(await context(trx, options)), synthetic: false };
      let columns: Map<string, number> | undefined;
      for await (const { line, fields } of readCsv(source.text())) {
        if (!columns) {
          columns = columnsOf(fields, CSV_REQUIRED, CSV_OPTIONAL, 'the national indice ATMO CSV');
          continue;
        }
        const map = columns;
        yield check(line, () => {
          if (fields.length < Math.max(...map.values()) + 1) reject(`expected ${map.size} fields, found ${fields.length} (truncated line?)`);
          return dailyIndex((c) => { const i = map.get(c); return i === undefined ? undefined : fields[i]; }, ctx);
        });
      }
      if (!columns) throw new IngestFileError(1, 'bad header: the file is empty');
    }),
};

type Shape = 'geojson' | 'arcgis';

/** The record of a feature: GeoJSON `properties`, or ArcGIS `attributes`. */
function recordOf(value: unknown, shape: Shape): Record<string, unknown> | null {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return null;
  const feature = value as { type?: unknown; properties?: unknown; attributes?: unknown };
  const record = shape === 'geojson' ? (feature.type === 'Feature' ? feature.properties : null) : feature.attributes;
  return record && typeof record === 'object' && !Array.isArray(record) ? (record as Record<string, unknown>) : null;
}

/**
 * Features of a JSON answer. A file-level `"synthetic": true` labels every row and must come before the
 * features it labels; an ArcGIS `error` answer is refused with the service's own message.
 */
async function* featureRows(input: AsyncIterable<string>, shape: Shape, base: Omit<Context, 'synthetic'>): AsyncGenerator<Parsed<DailyIndexRow>> {
  const ctx: Context = { ...base, synthetic: false };
  let features = 0;
  for await (const event of readJsonElements(input)) {
    if (event.kind === 'member') {
      if (event.name === 'error') throw new IngestFileError(1, `the service answered an error, not features: ${JSON.stringify(event.value).slice(0, 300)}`);
      if (event.name === 'synthetic') {
        if (features) throw new IngestFileError(1, 'the file-level "synthetic" flag comes after features it would label: put it before "features"');
        try {
          ctx.synthetic = syntheticFlag(event.value);
        } catch (error) {
          if (error instanceof RowError) throw new IngestFileError(1, error.message);
          throw error;
        }
      }
      continue;
    }
    features++;
    const record = recordOf(event.value, shape);
    if (!record) {
      yield { line: event.index, reason: shape === 'geojson' ? 'not a GeoJSON Feature with properties' : 'not an ArcGIS feature with attributes' };
      continue;
    }
    yield check(event.index, () => dailyIndex((c) => record[c], ctx));
  }
}

export const dailyIndexGeoJson: Ingester = {
  producer: 'atmo',
  format: 'indice-geojson',
  description: 'indice ATMO, GeoJSON (Atmo Data WFS, or ArcGIS f=geojson: features with date_ech, code_zone, code_qual…)',
  nameHint: /indice.*\.(geo)?json$/i,
  detect: (s) => (hasMembers(s, 'properties', 'date_ech', 'code_qual') ? 3 : 0),
  ingest: (knex, source, options) =>
    runDaily(knex, 'indice-geojson', source.encoding, options, async function* (trx) {
      yield* featureRows(source.text(), 'geojson', await context(trx, options));
    }),
};

export const dailyIndexArcgis: Ingester = {
  producer: 'atmo',
  format: 'indice-arcgis-json',
  description: 'indice ATMO, ATMO Grand Est ArcGIS FeatureServer query answer (f=json: features[].attributes, epoch-millisecond dates)',
  nameHint: /(ind_grandest|arcgis|featureserver|query).*\.p?json$/i,
  detect: (s) => (hasMembers(s, 'attributes', 'date_ech', 'code_qual') ? 3 : 0),
  ingest: (knex, source, options) =>
    runDaily(knex, 'indice-arcgis-json', source.encoding, options, async function* (trx) {
      yield* featureRows(source.text(), 'arcgis', await context(trx, options));
    }),
};
