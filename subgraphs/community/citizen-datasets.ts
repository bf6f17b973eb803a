import type { Knex } from 'knex';
import type { Source } from '../../lib/ingest/source.ts';
import { hasColumns, hasMembers } from '../../lib/ingest/detect.ts';
import type { IngestOptions, IngestReport, Ingester } from '../../lib/ingest/types.ts';
import { check, runIngestion, todayUtc, type Parsed } from '../../lib/ingest/runner.ts';
import { readCsv, readHeader } from '../../lib/ingest/csv.ts';
import { IngestFileError, reject } from '../../lib/ingest/errors.ts';
import { reprojected } from '../../lib/ingest/geometry.ts';
import { checkGeometry, featureCollectionRows } from '../../lib/ingest/geojson.ts';
import { shapefileEncoding, shapefileRows } from '../../lib/ingest/shapefile.ts';
import { syntheticFlag } from '../../lib/ingest/synthetic.ts';
import { contentChanged, insertContribution, lockContribution, openContributionFrom, upsertFeatures, type ContributionRecord } from './datasource.ts';

/**
 * Citizen datasets: a CSV with `lon`/`lat` columns (WGS84) or a `geometry` column of GeoJSON geometry text
 * (as Opendatasoft's `Geo Shape`, through a mapping) — every other column becomes a property —, a GeoJSON
 * FeatureCollection in any coordinate system its `crs` names, or a zipped shapefile (its `.prj` and `.cpg`
 * honoured). PostGIS reprojects every geometry to WGS84, and a file whose geometries land outside the
 * hub's territory is refused whole, saying so (a wrong or missing coordinate system, never stored wrong).
 * The file's features go into ONE contribution of the ingesting user, keyed by (contributor, source): the
 * first import creates it PENDING; re-importing updates that contribution's features in place (feature
 * number = CSV line, GeoJSON feature or shapefile record number), so the same file changes nothing, and a
 * changed one bumps its version (a VALIDATED one goes back to PENDING, see `ingestWith`). Metadata defaults to licence
 * ODbL, producer CITIZEN; a moderator validates it like any contribution. Whether a dataset is synthetic is
 * said by the file — a `synthetic` column (CSV, .dbf) or top-level member (GeoJSON) —, never guessed.
 */
interface FeatureRow {
  feature_no: number;
  /** GeoJSON geometry text: as in the file while read, WGS84 once reprojected. */
  geometry: string;
  properties: Record<string, unknown>;
  synthetic: boolean;
  source: string | null;
}

const number = (text: string | undefined, name: string): number => {
  const value = text === undefined ? NaN : Number(text.trim().replace(/^\+/, ''));
  if (text === undefined || text.trim() === '' || !Number.isFinite(value)) reject(`${name} "${text ?? ''}" is not a number`);
  return value;
};

function point(lon: number, lat: number): string {
  if (lon < -180 || lon > 180 || lat < -90 || lat > 90) reject(`lon/lat (${lon}, ${lat}) are not WGS84 degrees`);
  return JSON.stringify({ type: 'Point', coordinates: [lon, lat] });
}

function geometryText(text: string): string {
  let geometry: unknown;
  try {
    geometry = JSON.parse(text);
  } catch {
    return reject(`geometry is not GeoJSON: "${text.slice(0, 60)}"`);
  }
  return JSON.stringify(checkGeometry(geometry));
}

/** The columns the reader itself reads (compared lower-case); the others are the features' properties. */
const OWN_COLUMNS = ['lon', 'lat', 'geometry', 'source', 'synthetic'];

async function* csvRows(input: AsyncIterable<string>): AsyncGenerator<Parsed<FeatureRow>> {
  let header: string[] | null = null;
  let columns: Map<string, number> | null = null;
  for await (const { line, fields } of readCsv(input)) {
    if (!header) {
      const names = fields.map((f) => f.trim().toLowerCase());
      columns = names.includes('geometry') ? readHeader(fields, ['geometry'], OWN_COLUMNS) : readHeader(fields, ['lon', 'lat'], OWN_COLUMNS);
      header = fields.map((f) => f.trim());
      continue;
    }
    const get = (name: string) => {
      const i = columns!.get(name);
      return i === undefined ? undefined : (fields[i] ?? '').trim();
    };
    yield check(line, () => {
      if (fields.length !== header!.length) reject(`${fields.length} fields where the header has ${header!.length}`);
      const shape = get('geometry');
      const geometry = shape ? geometryText(shape) : point(number(get('lon'), 'lon'), number(get('lat'), 'lat'));
      const properties: Record<string, unknown> = {};
      header!.forEach((name, i) => {
        if (!OWN_COLUMNS.includes(name.toLowerCase())) properties[name] = fields[i];
      });
      return { feature_no: line, geometry, properties, synthetic: syntheticFlag(get('synthetic')), source: get('source') || null };
    });
  }
}

/** File-level facts of a GeoJSON dataset: its `source` and whether it is `synthetic`. */
interface Note {
  source: string | null;
  synthetic: boolean;
}

function geojsonRows(db: Knex, input: AsyncIterable<string>): AsyncIterable<Parsed<FeatureRow>> {
  const note: Note = { source: null, synthetic: false };
  return featureCollectionRows<FeatureRow>(db, input, {
    member(name, value, beforeFeatures) {
      if (name !== 'source' && name !== 'synthetic') return;
      // Rows may be written while the file is read: what holds for all of them must be known first.
      if (!beforeFeatures) throw new IngestFileError(1, `the "${name}" member must come before "features"`);
      if (name === 'source' && typeof value === 'string' && value.trim()) note.source = value.trim();
      if (name === 'synthetic') {
        try {
          note.synthetic = syntheticFlag(value);
        } catch (error) {
          throw new IngestFileError(1, (error as Error).message);
        }
      }
    },
    parse: (feature, index) =>
      check(index, () => {
        const f = feature as { type?: unknown; geometry?: unknown; properties?: unknown };
        if (!f || f.type !== 'Feature') reject('not a GeoJSON Feature');
        const geometry = JSON.stringify(checkGeometry(f.geometry));
        const properties = f.properties && typeof f.properties === 'object' ? (f.properties as Record<string, unknown>) : {};
        return { feature_no: index, geometry, properties, synthetic: note.synthetic, source: note.source };
      }),
  });
}

function shapefileFeatures(db: Knex, source: Source): AsyncIterable<Parsed<FeatureRow>> {
  return shapefileRows<FeatureRow>(db, source, (feature) =>
    check(feature.index, () => {
      if (!feature.geometry) reject('the record has a null shape');
      const properties: Record<string, unknown> = {};
      let synthetic = false;
      let label: string | null = null;
      for (const [name, value] of Object.entries(feature.properties)) {
        const lower = name.toLowerCase();
        if (lower === 'synthetic') synthetic = syntheticFlag(value);
        else if (lower === 'source') label = value === null || value === '' ? null : String(value);
        else properties[name] = value;
      }
      return { feature_no: feature.index, geometry: JSON.stringify(checkGeometry(feature.geometry)), properties, synthetic, source: label };
    }),
  );
}

/** A dataset is synthetic or not as a whole: a row that says otherwise than the first is refused. */
async function* consistent(rows: AsyncIterable<Parsed<FeatureRow>>): AsyncGenerator<Parsed<FeatureRow>> {
  let first: boolean | undefined;
  for await (const parsed of rows) {
    if ('row' in parsed) {
      first ??= parsed.row.synthetic;
      if (parsed.row.synthetic !== first) {
        yield { line: parsed.line, reason: `synthetic is ${parsed.row.synthetic} here and ${first} above: a dataset is synthetic or not as a whole` };
        continue;
      }
    }
    yield parsed;
  }
}

/**
 * The ingesting user's contribution for this source — the latest PENDING or VALIDATED one, locked —, or a
 * new PENDING one on first import (`created`). Its generated title names the source and the day, never the
 * contributor (`source` never names anyone: see IngestOptions).
 */
async function contributionFor(trx: Knex.Transaction, contributor: string, source: string, synthetic: boolean): Promise<{ contribution: ContributionRecord; created: boolean }> {
  const existing = await openContributionFrom(trx, contributor, source);
  if (existing) return { contribution: existing, created: false };
  const metadata = { title: `Citizen dataset: ${source}, ${todayUtc()}`, description: 'Imported file; the contributor completes the description before moderation.', licence: 'ODBL', producerKind: 'CITIZEN', contact: contributor } as const;
  const id = await insertContribution(trx, metadata, { contributor, source, synthetic, reason: 'imported file' });
  return { contribution: (await lockContribution(trx, id))!, created: true };
}

/**
 * Writes a file's features into its contribution. A transaction that changes the content of a contribution
 * it did not create bumps its version once, and sends a VALIDATED one back to PENDING in the same
 * transaction: the open view never serves changed features as validated, and a moderator deciding on the
 * version they reviewed is refused once anything changed (contributions.ts).
 */
function ingestWith(format: string, rows: (db: Knex, source: Source) => AsyncIterable<Parsed<FeatureRow>>, encodingOf = async (source: Source) => source.encoding) {
  return async (knex: Knex, source: Source, options: IngestOptions): Promise<IngestReport> => {
    const contributor = options.actor ?? 'ingest';
    let id: string | null = null;
    // Transactions that created the contribution or already bumped its version.
    const versioned = new WeakSet<Knex.Transaction>();
    return runIngestion<FeatureRow>(knex, {
      producer: 'community',
      format,
      encoding: await encodingOf(source),
      options,
      rows: (db) => consistent(rows(db, source)),
      key: (row) => String(row.feature_no),
      write: async (trx, batch) => {
        let contribution: ContributionRecord | null;
        if (id === null) {
          const label = batch[0]?.source ?? options.source ?? `citizen dataset (${format})`;
          const found = await contributionFor(trx, contributor, label, batch[0]?.synthetic ?? false);
          if (found.created) versioned.add(trx);
          contribution = found.contribution;
          id = contribution.id;
        } else contribution = await lockContribution(trx, id);
        if (!contribution) throw new Error(`contribution ${id} disappeared while its file was written`);
        const counts = await upsertFeatures(trx, contribution.id, batch.map((r) => ({ featureNo: r.feature_no, geometry: r.geometry, properties: r.properties })));
        if (counts.inserted + counts.updated > 0 && !versioned.has(trx)) {
          versioned.add(trx);
          await contentChanged(trx, contribution, contributor, `re-imported file changed ${contribution.status === 'VALIDATED' ? 'the validated content' : 'the content'}`);
        }
        return counts;
      },
    });
  };
}

export const citizenCsvIngester: Ingester = {
  producer: 'community',
  format: 'citizen-csv',
  description: 'citizen dataset, CSV with lon and lat columns (WGS84) or a geometry column (GeoJSON text)',
  nameHint: /\.csv$/i,
  detect: (s) => (hasColumns(s, 'lon', 'lat') || hasColumns(s, 'geometry') ? 2 : 0),
  // A CSV has no coordinate system of its own: lon/lat are WGS84, and so is GeoJSON text (RFC 7946).
  ingest: ingestWith('citizen-csv', (db, source) => reprojected(db, csvRows(source.text()), { srid: 4326, outsideTerritory: 'refuse' })),
};

export const citizenGeojsonIngester: Ingester = {
  producer: 'community',
  format: 'citizen-geojson',
  description: 'citizen dataset, any GeoJSON FeatureCollection (its crs honoured)',
  nameHint: /\.geojson$/i,
  // Any FeatureCollection: the most generic format, chosen only when nothing more specific matches.
  detect: (s) => (hasMembers(s, 'features') && /"FeatureCollection"/.test(s.sample) ? 1 : 0),
  ingest: ingestWith('citizen-geojson', (db, source) => geojsonRows(db, source.text())),
};

export const citizenShapefileIngester: Ingester = {
  producer: 'community',
  format: 'citizen-shapefile',
  description: 'citizen dataset, zipped shapefile (.shp, .dbf, .prj, .cpg; the .prj honoured)',
  nameHint: /\.zip$/i,
  detect: (s) => (s.kind === 'zip' ? 2 : 0),
  ingest: ingestWith('citizen-shapefile', shapefileFeatures, shapefileEncoding),
};
