import type { Knex } from 'knex';
import type { Ingester } from '../../lib/ingest/types.ts';
import { readCsv, readHeader } from '../../lib/ingest/csv.ts';
import { readJsonElements } from '../../lib/ingest/json.ts';
import { hasColumns, hasMembers } from '../../lib/ingest/detect.ts';
import { IngestFileError, reject } from '../../lib/ingest/errors.ts';
import { crsCode, lambert93ToWgs84 } from '../../lib/ingest/lambert93.ts';
import { TERRITORY_CODE_PATTERNS } from '../../lib/territory-codes.ts';
import { check, isSynthetic, parseInteger, parseNumber, runIngestion, upsertCounting } from '../../lib/ingest/runner.ts';

const CODE_OF_KIND: Record<string, RegExp> = TERRITORY_CODE_PATTERNS;
/** The kind a territory's parent must be. */
const PARENT_KIND: Record<string, string | null> = { EPCI: null, COMMUNE: 'EPCI', IRIS: 'COMMUNE' };

type Position = number[];
type Polygon = Position[][];

interface TerritoryRow {
  code: string;
  kind: string;
  name: string;
  population: number | null;
  parent_code: string | null;
  geometry: string;
  source: string;
}

/** Checks a (Multi)Polygon's coordinates, reprojects them to WGS84 when the file is in Lambert-93, and returns MultiPolygon coordinates. */
function toWgs84MultiPolygon(geometry: unknown, lambert: boolean): Polygon[] {
  const g = geometry as { type?: unknown; coordinates?: unknown } | null;
  if (!g || (g.type !== 'Polygon' && g.type !== 'MultiPolygon')) return reject('geometry must be a Polygon or MultiPolygon');
  const polygons = (g.type === 'Polygon' ? [g.coordinates] : g.coordinates) as unknown;
  if (!Array.isArray(polygons) || polygons.length === 0) return reject('geometry has no coordinates');
  return polygons.map((polygon: unknown) => {
    if (!Array.isArray(polygon) || polygon.length === 0) return reject('a polygon has no ring');
    return polygon.map((ring: unknown) => {
      if (!Array.isArray(ring) || ring.length < 4) return reject('a ring has fewer than 4 positions');
      return ring.map((position: unknown) => {
        if (!Array.isArray(position) || position.length < 2 || !position.every((n) => typeof n === 'number' && Number.isFinite(n))) return reject('a position is not [x, y] numbers');
        const [lon, lat] = lambert ? lambert93ToWgs84(position[0], position[1]) : [position[0] as number, position[1] as number];
        if (Math.abs(lon) > 180 || Math.abs(lat) > 90)
          reject(`coordinates [${position[0]}, ${position[1]}] are not longitude/latitude (a Lambert-93 file must say so in its "crs" member)`);
        return [lon, lat];
      });
    });
  });
}

/**
 * The ADEUS territorial referential as a GeoJSON FeatureCollection: features with properties code, name,
 * kind (COMMUNE|IRIS|EPCI), population, parent (the EPCI of a commune, the commune of an IRIS) and a
 * (Multi)Polygon. A `crs` member naming EPSG:2154 (before `features`, as GDAL and QGIS write it) means
 * Lambert-93 coordinates, reprojected to WGS84. A parent must already exist or come earlier in the file.
 * Upserted on code; the centre is recomputed (a point inside the outline).
 */
export const territoryGeoJson: Ingester = {
  producer: 'adeus',
  format: 'territories-geojson',
  description: 'territorial referential, GeoJSON FeatureCollection (code, name, kind, population, parent; crs honoured)',
  nameHint: /\.(geo)?json$/i,
  detect: (s) => (hasMembers(s, 'features', 'kind', 'code') ? 2 : 0),
  ingest: (knex, source, options) =>
    runIngestion<TerritoryRow>(knex, {
      producer: 'adeus',
      format: 'territories-geojson',
      encoding: source.encoding,
      options,
      batchSize: 200,
      key: (r) => r.code,
      write: (trx, batch) => writeTerritories(trx, batch),
      rows: async function* (trx) {
        const known = new Map(((await trx('adeus.territory').select('code', 'kind')) as { code: string; kind: string }[]).map((r) => [r.code, r.kind]));
        let lambert = false;
        let fileSource: string | undefined;
        let seenFeatures = false;
        for await (const event of readJsonElements(source.text())) {
          if (event.kind === 'member') {
            if (event.name === 'crs') {
              const code = crsCode(event.value);
              if (seenFeatures && code !== undefined && code !== 4326) throw new IngestFileError(1, 'the "crs" member must come before "features"');
              if (code !== undefined && code !== 4326 && code !== 2154) throw new IngestFileError(1, `unsupported crs ${JSON.stringify(event.value)} (EPSG:2154 or WGS84)`);
              lambert = code === 2154;
            } else if ((event.name === 'source' || event.name === '_comment') && typeof event.value === 'string') fileSource ??= event.value;
            else if (event.name === 'type' && event.value !== 'FeatureCollection') throw new IngestFileError(1, `not a FeatureCollection (type "${String(event.value)}")`);
            continue;
          }
          seenFeatures = true;
          const parsed = check(event.index, (): TerritoryRow => {
            const feature = event.value as { type?: unknown; properties?: Record<string, unknown> | null; geometry?: unknown } | null;
            if (!feature || feature.type !== 'Feature' || !feature.properties) reject('not a GeoJSON Feature with properties');
            const p = feature!.properties!;
            const kind = String(p.kind ?? '').toUpperCase();
            const pattern = CODE_OF_KIND[kind] ?? reject(`kind must be COMMUNE, IRIS or EPCI, not "${String(p.kind ?? '')}"`);
            const code = String(p.code ?? '').trim();
            if (!pattern.test(code)) reject(`code "${code}" is not a well-formed ${kind} code`);
            const name = String(p.name ?? '').trim();
            if (!name) reject('name is empty');
            const population = p.population === undefined || p.population === null || p.population === '' ? null : parseInteger(String(p.population), 'population');
            if (population !== null && population < 0) reject(`negative population ${population}`);
            const parent = p.parent === undefined || p.parent === null || p.parent === '' ? null : String(p.parent).trim();
            const parentKind = PARENT_KIND[kind];
            if (parentKind === null && parent !== null) reject(`an EPCI has no parent (got "${parent}")`);
            if (parentKind && parent === null) reject(`a ${kind} needs its parent ${parentKind}`);
            if (parent !== null && known.get(parent) !== parentKind) reject(`unknown parent ${parentKind} "${parent}" (it must exist already or come earlier in the file)`);
            if (kind === 'IRIS' && !code.startsWith(parent!)) reject(`IRIS ${code} does not start with its commune code ${parent}`);
            const coordinates = toWgs84MultiPolygon(feature!.geometry, lambert);
            const source = typeof p.source === 'string' && p.source ? p.source : (fileSource ?? options.source ?? 'ADEUS');
            return { code, kind, name, population, parent_code: parent, geometry: JSON.stringify({ type: 'MultiPolygon', coordinates }), source };
          });
          if ('row' in parsed) known.set(parsed.row.code, parsed.row.kind);
          yield parsed;
        }
      },
    }),
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
 * cycle_lane_density (km/km²), source. The territory must exist in the referential. Upserted on (territory_code, year).
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
            columns = readHeader(fields, URBAN_COLUMNS, [...SHARES, ...DENSITIES, 'source']);
            if (columns.size === 2 || (columns.size === 3 && columns.has('source'))) throw new IngestFileError(1, `bad header: no indicator column (${[...SHARES, ...DENSITIES].join(', ')})`);
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
            return { ...row, source, synthetic: isSynthetic(source) };
          });
        }
        if (!columns) throw new IngestFileError(1, 'bad header: the file is empty');
      },
    }),
};

export const ingesters: Ingester[] = [territoryGeoJson, urbanIndicatorCsv];
