import type { Knex } from 'knex';
import type { Source } from '../../lib/ingest/source.ts';
import { hasColumns, hasMembers } from '../../lib/ingest/detect.ts';
import type { Ingester, IngestOptions, IngestReport } from '../../lib/ingest/types.ts';
import { readCsv } from '../../lib/ingest/csv.ts';
import { readJsonElements } from '../../lib/ingest/json.ts';
import { IngestFileError, reject } from '../../lib/ingest/errors.ts';
import { check, parseNumber, runIngestion, type Parsed } from '../../lib/ingest/runner.ts';
import { TERRITORY_CODE_PATTERNS } from '../../lib/territory-codes.ts';
import { allPointIds, upsertAnalyses, upsertParameters, upsertPoints, type AnalysisRow, type ParameterRow, type PointWrite } from './datasource.ts';
import { QUALIFIER_OF_REMARK } from './status.ts';

/**
 * The national groundwater-quality data as the Hub'Eau API "qualité des nappes d'eau souterraines" serves
 * it (data from ADES, BRGM): `stations` and `analyses`, as JSON (the paged envelope `{count, …, data: [...]}`,
 * a bare array, or for stations the `format=geojson` FeatureCollection) or CSV (`;`, a header of the same
 * field names). Field lists: subgraphs/aprona/samples/README.md.
 *
 * Hub'Eau has no provenance flag; a file the project generated says so explicitly, with a top-level
 * `"synthetic": true` member (JSON) or a `synthetic` column (CSV) — never guessed from any text.
 */
const SOURCE = "ADES (BRGM) via Hub'Eau « qualité des nappes d'eau souterraines »";
const BSS_ID = /^BSS[0-9A-Z]{7}$/;

type Fields = (name: string) => unknown;

/** A text field; arrays (Hub'Eau's `codes_masse_eau_edl`…) give their first element. */
const text = (value: unknown): string | null => {
  const first = Array.isArray(value) ? value[0] : value;
  if (first === null || first === undefined) return null;
  const result = String(first).trim();
  return result === '' ? null : result;
};

const number = (value: unknown, name: string, required: boolean): number | null =>
  typeof value === 'number' ? (Number.isFinite(value) ? value : reject(`${name} is not a finite number`)) : parseNumber(text(value) ?? '', name, { required });

function station(get: Fields, synthetic: boolean, geometry?: { coordinates?: unknown }): PointWrite {
  const id = text(get('bss_id')) ?? reject('bss_id is missing');
  if (!BSS_ID.test(id)) reject(`bss_id "${id}" is not a BSS identifier (BSS and 7 characters)`);
  const coordinates = Array.isArray(geometry?.coordinates) ? (geometry!.coordinates as unknown[]) : [get('longitude'), get('latitude')];
  const lon = number(coordinates[0], 'longitude', true)!;
  const lat = number(coordinates[1], 'latitude', true)!;
  if (lon < -180 || lon > 180 || lat < -90 || lat > 90) reject(`longitude/latitude (${lon}, ${lat}) are not WGS84 degrees`);
  const commune = text(get('code_insee'));
  if (commune !== null && !TERRITORY_CODE_PATTERNS.COMMUNE.test(commune)) reject(`code_insee "${commune}" is not an INSEE commune code`);
  const precision = text(get('precision_coordonnees'));
  return {
    id,
    bss_code: text(get('code_bss')),
    name: text(get('libelle_pe')),
    lon,
    lat,
    commune_code: commune,
    aquifer_code: text(get('codes_masse_eau_edl')),
    aquifer_name: text(get('noms_masse_eau_edl')),
    coordinate_precision: precision === null ? null : Number(precision),
    source: SOURCE,
    synthetic,
  };
}

/** Units the hub converts to a parameter's catalogue unit, by [from, to]: nitrate as N is 4.427 × as NO3. */
const CONVERSIONS: Record<string, Record<string, number>> = {
  'mg(NO3)/L': { 'mg/L': 1, 'mg(N)/L': 4.427 },
  'µg/L': { 'ng/L': 0.001, 'mg/L': 1000 },
};

interface Catalogue {
  points: Set<string>;
  parameters: Map<string, ParameterRow>;
  /** Parameters met in the file that the catalogue does not hold yet. */
  added: Map<string, ParameterRow>;
}

function analysis(get: Fields, synthetic: boolean, { points, parameters, added }: Catalogue): AnalysisRow {
  const point = text(get('bss_id')) ?? reject('bss_id is missing');
  if (!points.has(point)) reject(`unknown monitoring point ${point}: ingest its station (hubeau-stations-*) first`);
  const code = text(get('code_param')) ?? reject('code_param is missing');
  if (!/^\d{1,6}$/.test(code)) reject(`code_param "${code}" is not a SANDRE parameter code`);
  const sampled = text(get('date_debut_prelevement')) ?? reject('date_debut_prelevement is missing');
  const instant = new Date(/^\d{4}-\d{2}-\d{2}$/.test(sampled) ? `${sampled}T00:00:00Z` : sampled);
  if (Number.isNaN(instant.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(sampled)) reject(`date_debut_prelevement "${sampled}" is not an ISO 8601 date`);
  if (instant.getTime() > Date.now() + 86_400_000) reject(`date_debut_prelevement ${sampled} is in the future`);
  const remark = Number(text(get('code_remarque_analyse')) ?? NaN);
  if (!QUALIFIER_OF_REMARK[remark]) {
    reject(`code_remarque_analyse ${text(get('code_remarque_analyse')) ?? '(empty)'} is not a result the hub keeps (1 quantified, 10 < LQ, 2 < LD, 7 traces, 3 > saturation)`);
  }
  let unit = text(get('symbole_unite')) ?? reject('symbole_unite is missing');
  let result = number(get('resultat'), 'resultat', true)!;
  if (result < 0) reject(`resultat is negative (${result})`);
  let lq = number(get('limite_quantification'), 'limite_quantification', false);
  let ld = number(get('limite_detection'), 'limite_detection', false);
  const known = parameters.get(code) ?? added.get(code);
  if (known && unit !== known.unit) {
    const factor = CONVERSIONS[known.unit]?.[unit];
    if (factor === undefined) reject(`unit "${unit}" of ${known.name} (${code}) is not its unit "${known.unit}" and the hub does not convert it`);
    [result, lq, ld] = [result * factor!, lq === null ? null : lq * factor!, ld === null ? null : ld * factor!].map((v) => (v === null ? null : Math.round(v * 1e9) / 1e9)) as [number, number | null, number | null];
    unit = known.unit;
  }
  if (!known) added.set(code, { code, name: text(get('nom_param')) ?? `SANDRE ${code}`, kind: 'OTHER', unit, drinking_water_limit: null, limit_basis: null });
  return {
    point_id: point,
    parameter_code: code,
    sampled_at: instant.toISOString(),
    result,
    unit,
    remark_code: remark,
    quantification_limit: lq,
    detection_limit: ld,
    qualification_code: text(get('code_qualification')),
    status_code: text(get('code_statut_analyse')),
    source: SOURCE,
    synthetic,
  };
}

/** Rows of a Hub'Eau JSON answer: the envelope's `data`, a bare array, or a FeatureCollection's features. */
async function* jsonRows<T>(input: AsyncIterable<string>, parse: (get: Fields, synthetic: boolean, geometry?: { coordinates?: unknown }) => T): AsyncGenerator<Parsed<T>> {
  let synthetic = false;
  for await (const event of readJsonElements(input, ['data', 'features'])) {
    if (event.kind === 'member') {
      if (event.name === 'synthetic') synthetic = event.value === true;
      continue;
    }
    yield check(event.index, () => {
      const value = event.value as Record<string, unknown> | null;
      if (!value || typeof value !== 'object' || Array.isArray(value)) reject('not a JSON object');
      const feature = value!.type === 'Feature' ? (value as { properties?: Record<string, unknown>; geometry?: { coordinates?: unknown } }) : null;
      const fields = feature ? (feature.properties ?? {}) : value!;
      return parse((name) => fields[name], synthetic || fields.synthetic === true, feature?.geometry ?? undefined);
    });
  }
}

async function* csvRows<T>(input: AsyncIterable<string>, required: string[], parse: (get: Fields, synthetic: boolean) => T): AsyncGenerator<Parsed<T>> {
  let columns: Map<string, number> | undefined;
  for await (const { line, fields } of readCsv(input)) {
    if (!columns) {
      columns = new Map(fields.map((name, i) => [name.trim(), i]));
      const missing = required.filter((name) => !columns!.has(name));
      if (missing.length) throw new IngestFileError(1, `bad header: missing Hub'Eau column(s) ${missing.join(', ')}`);
      continue;
    }
    const map = columns;
    yield check(line, () => {
      if (fields.length !== map.size) reject(`${fields.length} fields where the header has ${map.size}`);
      const get = (name: string) => {
        const i = map.get(name);
        return i === undefined ? undefined : fields[i];
      };
      return parse(get, /^(true|1|oui)$/i.test(String(get('synthetic') ?? '').trim()));
    });
  }
  if (!columns) throw new IngestFileError(1, 'bad header: the file is empty');
}

type Detector = Ingester['detect'];

function stationsIngester(format: string, description: string, detect: Detector, rows: (input: AsyncIterable<string>) => AsyncIterable<Parsed<PointWrite>>): Ingester {
  return {
    producer: 'aprona',
    format,
    description,
    detect,
    ingest: (knex: Knex, source: Source, options: IngestOptions): Promise<IngestReport> =>
      runIngestion<PointWrite>(knex, { producer: 'aprona', format, encoding: source.encoding, options, rows: () => rows(source.text()), key: (row) => row.id, write: (trx, batch) => upsertPoints(trx, batch) }),
  };
}

function analysesIngester(format: string, description: string, detect: Detector, rows: (input: AsyncIterable<string>, parse: (get: Fields, synthetic: boolean) => AnalysisRow) => AsyncIterable<Parsed<AnalysisRow>>): Ingester {
  return {
    producer: 'aprona',
    format,
    description,
    detect,
    ingest: (knex, source, options) => {
      let catalogue: Catalogue | undefined;
      return runIngestion<AnalysisRow>(knex, {
        producer: 'aprona',
        format,
        encoding: source.encoding,
        options,
        rows: async function* (db) {
          const { points, parameters } = await allPointIds(db);
          catalogue = { points, parameters, added: new Map() };
          yield* rows(source.text(), (get, synthetic) => analysis(get, synthetic, catalogue!));
        },
        key: (row) => `${row.point_id}|${row.parameter_code}|${row.sampled_at}`,
        write: async (trx, batch) => {
          // Parameters the catalogue does not hold yet come in as published (no limit applies to them).
          if (catalogue?.added.size) {
            await upsertParameters(trx, [...catalogue.added.values()]);
            for (const [code, parameter] of catalogue.added) catalogue.parameters.set(code, parameter);
            catalogue.added.clear();
          }
          return upsertAnalyses(trx, batch);
        },
      });
    },
  };
}

const STATION_COLUMNS = ['bss_id', 'longitude', 'latitude'];
const ANALYSIS_COLUMNS = ['bss_id', 'date_debut_prelevement', 'code_param', 'resultat', 'symbole_unite', 'code_remarque_analyse'];

// Hub'Eau's own field names are the signature: a station has `libelle_pe`, an analysis `code_param`.
export const ingesters: Ingester[] = [
  stationsIngester('hubeau-stations-json', "Hub'Eau qualité des nappes, stations (JSON, or format=geojson)", (s) => (hasMembers(s, 'bss_id', 'libelle_pe') && !hasMembers(s, 'code_param') ? 3 : 0), (input) => jsonRows(input, station)),
  stationsIngester('hubeau-stations-csv', "Hub'Eau qualité des nappes, stations (CSV, ;)", (s) => (hasColumns(s, 'bss_id', 'libelle_pe', 'longitude', 'latitude') && !hasColumns(s, 'code_param') ? 3 : 0), (input) => csvRows(input, STATION_COLUMNS, station)),
  analysesIngester('hubeau-analyses-json', "Hub'Eau qualité des nappes, analyses (JSON)", (s) => (hasMembers(s, 'bss_id', 'code_param', 'resultat') ? 3 : 0), (input, parse) => jsonRows(input, parse)),
  analysesIngester('hubeau-analyses-csv', "Hub'Eau qualité des nappes, analyses (CSV, ;)", (s) => (hasColumns(s, 'bss_id', 'code_param', 'resultat') ? 3 : 0), (input, parse) => csvRows(input, ANALYSIS_COLUMNS, parse)),
];
