import type { Knex } from 'knex';
import type { Ingester, IngestOptions } from '../../lib/ingest/types.ts';
import type { Source } from '../../lib/ingest/source.ts';
import { readCsv, readHeader } from '../../lib/ingest/csv.ts';
import { hasColumns, hasMembers } from '../../lib/ingest/detect.ts';
import { IngestFileError, reject } from '../../lib/ingest/errors.ts';
import { checkGeometry, featureCollectionRows } from '../../lib/ingest/geojson.ts';
import { shapefileEncoding, shapefileRows } from '../../lib/ingest/shapefile.ts';
import { syntheticFlag } from '../../lib/ingest/synthetic.ts';
import { TERRITORY_CODE_PATTERNS } from '../../lib/territory-codes.ts';
import { check, parseInteger, parseNumber, runIngestion, upsertCounting, type Parsed } from '../../lib/ingest/runner.ts';

const CODE_OF_KIND: Record<string, RegExp> = TERRITORY_CODE_PATTERNS;
/** The kind a territory's parent must be. */
const PARENT_KIND: Record<string, string | null> = { EPCI: null, COMMUNE: 'EPCI', IRIS: 'COMMUNE' };

interface TerritoryRow {
  code: string;
  kind: string;
  name: string;
  population: number | null;
  parent_code: string | null;
  /** GeoJSON text: as in the file while read, WGS84 once reprojected. */
  geometry: string;
  source: string;
}

/** The territories known so far (the referential, then the file's own rows): a parent must exist or come earlier. */
type Known = Map<string, string>;

const knownTerritories = async (db: Knex): Promise<Known> =>
  new Map(((await db('adeus.territory').select('code', 'kind')) as { code: string; kind: string }[]).map((r) => [r.code, r.kind]));

/**
 * One territory from a feature's attributes (names compared lower-case: shapefiles' .dbf fields are often
 * upper-case): code, name, kind (COMMUNE|IRIS|EPCI), population, parent, and an optional source.
 */
function territoryOf(attributes: Record<string, unknown>, geometry: unknown, known: Known, fallbackSource: string): TerritoryRow {
  const p = Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k.toLowerCase(), v]));
  const text = (v: unknown) => (v === undefined || v === null ? '' : String(v).trim());
  const kind = text(p.kind).toUpperCase();
  const pattern = CODE_OF_KIND[kind] ?? reject(`kind must be COMMUNE, IRIS or EPCI, not "${text(p.kind)}"`);
  const code = text(p.code);
  if (!pattern.test(code)) reject(`code "${code}" is not a well-formed ${kind} code`);
  const name = text(p.name);
  if (!name) reject('name is empty');
  const population = text(p.population) === '' ? null : parseInteger(text(p.population), 'population');
  if (population !== null && population < 0) reject(`negative population ${population}`);
  const parent = text(p.parent) === '' ? null : text(p.parent);
  const parentKind = PARENT_KIND[kind];
  if (parentKind === null && parent !== null) reject(`an EPCI has no parent (got "${parent}")`);
  if (parentKind && parent === null) reject(`a ${kind} needs its parent ${parentKind}`);
  if (parent !== null && known.get(parent) !== parentKind) reject(`unknown parent ${parentKind} "${parent}" (it must exist already or come earlier in the file)`);
  if (kind === 'IRIS' && !code.startsWith(parent!)) reject(`IRIS ${code} does not start with its commune code ${parent}`);
  const shape = checkGeometry(geometry);
  if (shape.type !== 'Polygon' && shape.type !== 'MultiPolygon') reject('geometry must be a Polygon or MultiPolygon');
  return { code, kind, name, population, parent_code: parent, geometry: JSON.stringify(shape), source: text(p.source) || fallbackSource };
}

/** Validates a territory and, when it is valid, makes it known as a parent for the rows after it. */
function territoryRow(line: number, known: Known, read: () => TerritoryRow): Parsed<TerritoryRow> {
  const parsed = check(line, read);
  if ('row' in parsed) known.set(parsed.row.code, parsed.row.kind);
  return parsed;
}

const writeTerritoryPlan = (knex: Knex, source: Source, options: IngestOptions, format: string, rows: (db: Knex) => AsyncIterable<Parsed<TerritoryRow>>, encoding = source.encoding) =>
  runIngestion<TerritoryRow>(knex, {
    producer: 'adeus',
    format,
    encoding,
    options,
    batchSize: 200,
    key: (r) => r.code,
    write: (trx, batch) => writeTerritories(trx, batch),
    rows,
  });

/**
 * The ADEUS territorial referential as a GeoJSON FeatureCollection: features with properties code, name,
 * kind (COMMUNE|IRIS|EPCI), population, parent (the EPCI of a commune, the commune of an IRIS) and a
 * (Multi)Polygon, in the coordinate system its `crs` member names (WGS84 without one; Lambert-93, CC48 or
 * any EPSG code PostGIS knows), reprojected to WGS84 by PostGIS. A file whose outlines land outside the
 * hub's territory is refused, naming the coordinate system it claimed. A parent must already exist or
 * come earlier in the file. Upserted on code; the centre is recomputed (a point inside the outline).
 */
export const territoryGeoJson: Ingester = {
  producer: 'adeus',
  format: 'territories-geojson',
  description: 'territorial referential, GeoJSON FeatureCollection (code, name, kind, population, parent; crs honoured)',
  nameHint: /\.(geo)?json$/i,
  detect: (s) => (hasMembers(s, 'features', 'kind', 'code') ? 2 : 0),
  ingest: (knex, source, options) =>
    writeTerritoryPlan(knex, source, options, 'territories-geojson', async function* (db) {
      const known = await knownTerritories(db);
      let fileSource: string | undefined;
      yield* featureCollectionRows<TerritoryRow>(db, source.text(), {
        member: (name, value) => {
          if ((name === 'source' || name === '_comment') && typeof value === 'string') fileSource ??= value;
        },
        parse: (feature, index) =>
          territoryRow(index, known, () => {
            const f = feature as { type?: unknown; properties?: Record<string, unknown> | null; geometry?: unknown } | null;
            if (!f || f.type !== 'Feature' || !f.properties) reject('not a GeoJSON Feature with properties');
            return territoryOf(f!.properties!, f!.geometry, known, fileSource ?? options.source ?? 'ADEUS');
          }),
      });
    }),
};

/**
 * The same referential as a zipped shapefile (.shp, .dbf with fields code, name, kind, population, parent
 * and optionally source, .prj, .cpg), as ADEUS's GIS exports it: the .prj names the coordinate system
 * (CC48, EPSG:3948, is the Eurométropole's), the .cpg the .dbf's code page. Same rules as the GeoJSON.
 */
export const territoryShapefile: Ingester = {
  producer: 'adeus',
  format: 'territories-shapefile',
  description: 'territorial referential, zipped shapefile (.dbf fields code, name, kind, population, parent; .prj and .cpg honoured)',
  nameHint: /\.zip$/i,
  detect: (s) => (s.kind === 'zip' ? 2 : 0),
  ingest: async (knex, source, options) =>
    writeTerritoryPlan(
      knex,
      source,
      options,
      'territories-shapefile',
      async function* (db) {
        const known = await knownTerritories(db);
        yield* shapefileRows<TerritoryRow>(db, source, (feature) =>
          territoryRow(feature.index, known, () => territoryOf(feature.properties, feature.geometry, known, options.source ?? 'ADEUS')),
        );
      },
      await shapefileEncoding(source),
    ),
};

/** Upserts territories with their outline and a centre inside it; unchanged rows are not touched. */
async function writeTerritories(trx: Knex.Transaction, batch: TerritoryRow[]) {
  const rows = batch.map(({ geometry, ...row }) => ({
    ...row,
    geom: trx.raw('ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(?), 4326))', [geometry]),
    centre: trx.raw('ST_PointOnSurface(ST_SetSRID(ST_GeomFromGeoJSON(?), 4326))', [geometry]),
    approximate: false,
  }));
  return upsertCounting(trx, 'adeus.territory', ['code'], ['kind', 'name', 'population', 'parent_code', 'geom', 'centre', 'approximate', 'source'], rows);
}

const URBAN_COLUMNS = ['territory_code', 'year'] as const;
const SHARES = ['green_space_share', 'impervious_share', 'tree_canopy_share'] as const;
const DENSITIES = ['population_density', 'cycle_lane_density'] as const;

/**
 * ADEUS urban indicator tables (CSV): territory_code, year, and any of green_space_share,
 * impervious_share, tree_canopy_share (percent, 0–100), population_density (inhabitants/km²),
 * cycle_lane_density (km/km²), source, synthetic (true/false, explicit: a missing column means real data). The
 * territory must exist in the referential. Upserted on (territory_code, year).
 */
export const urbanIndicatorCsv: Ingester = {
  producer: 'adeus',
  format: 'urban-indicators-csv',
  description: 'urban indicators, CSV (territory_code, year, green_space_share…)',
  nameHint: /\.csv$/i,
  detect: (s) => (hasColumns(s, 'territory_code', 'year') ? 3 : 0),
  ingest: (knex, source, options) =>
    runIngestion<Record<string, unknown>>(knex, {
      producer: 'adeus',
      format: 'urban-indicators-csv',
      encoding: source.encoding,
      options,
      key: (r) => `${r.territory_code}|${r.year}`,
      write: (trx, batch) => upsertCounting(trx, 'adeus.urban_indicator', ['territory_code', 'year'], [...SHARES, ...DENSITIES, 'source', 'synthetic'], batch),
      rows: async function* (trx) {
        const known = new Set(((await trx('adeus.territory').select('code')) as { code: string }[]).map((r) => r.code));
        const thisYear = new Date().getUTCFullYear();
        let columns: Map<string, number> | undefined;
        for await (const { line, fields } of readCsv(source.text())) {
          if (!columns) {
            columns = readHeader(fields, URBAN_COLUMNS, [...SHARES, ...DENSITIES, 'source', 'synthetic']);
            if (![...SHARES, ...DENSITIES].some((c) => columns!.has(c))) throw new IngestFileError(1, `bad header: no indicator column (${[...SHARES, ...DENSITIES].join(', ')})`);
            continue;
          }
          const map = columns;
          const get = (c: string) => { const i = map.get(c); return i === undefined ? undefined : fields[i]?.trim(); };
          yield check(line, () => {
            if (fields.length < Math.max(...map.values()) + 1) reject(`expected ${map.size} fields, found ${fields.length} (truncated line?)`);
            const code = get('territory_code')!;
            if (!known.has(code)) reject(`unknown territory "${code}"`);
            const year = parseInteger(get('year'), 'year');
            if (year < 1900 || year > thisYear) reject(`year ${year} is outside 1900–${thisYear}`);
            const row: Record<string, unknown> = { territory_code: code, year };
            for (const c of SHARES) {
              const v = parseNumber(get(c), c, { required: false });
              if (v !== null && (v < 0 || v > 100)) reject(`${c} = ${v} is outside 0–100 %`);
              row[c] = v;
            }
            for (const c of DENSITIES) {
              const v = parseNumber(get(c), c, { required: false });
              if (v !== null && v < 0) reject(`negative ${c} ${v}`);
              row[c] = v;
            }
            const source = get('source') || (options.source ?? 'ADEUS');
            return { ...row, source, synthetic: syntheticFlag(get('synthetic')) };
          });
        }
        if (!columns) throw new IngestFileError(1, 'bad header: the file is empty');
      },
    }),
};

export const ingesters: Ingester[] = [territoryGeoJson, territoryShapefile, urbanIndicatorCsv];
