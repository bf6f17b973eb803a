import type { Knex } from 'knex';
import type { Source } from '../../lib/ingest/source.ts';
import { hasColumns, hasMembers } from '../../lib/ingest/detect.ts';
import type { IngestOptions, IngestReport, Ingester } from '../../lib/ingest/types.ts';
import { check, runIngestion, todayUtc, type Parsed } from '../../lib/ingest/runner.ts';
import { readCsv, readHeader } from '../../lib/ingest/csv.ts';
import { readJsonElements } from '../../lib/ingest/json.ts';
import { reject } from '../../lib/ingest/errors.ts';
import { insertContribution, pendingContributionFrom, upsertFeatures } from './datasource.ts';

/**
 * Citizen datasets: a CSV with `lon`/`lat` columns (WGS84; every other column becomes a property) or a
 * GeoJSON FeatureCollection. The file's features go into ONE PENDING contribution of the ingesting user,
 * keyed by (contributor, source): re-importing the same file updates that contribution's features in
 * place (feature number = CSV line or GeoJSON feature number), so it changes nothing. Metadata defaults
 * to licence ODbL, producer CITIZEN; a moderator validates it like any contribution. A file whose
 * `source` column or `_comment` member says "synthetic" is stored as synthetic.
 */
interface FeatureRow {
  feature_no: number;
  lon: number | null;
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

async function* csvRows(input: AsyncIterable<string>): AsyncGenerator<Parsed<FeatureRow>> {
  let header: string[] | null = null;
  let columns: Map<string, number> | null = null;
  for await (const { line, fields } of readCsv(input)) {
    if (!header) {
      columns = readHeader(fields, ['lon', 'lat']);
      header = fields.map((f) => f.trim());
      continue;
    }
    yield check(line, () => {
      if (fields.length !== header!.length) reject(`${fields.length} fields where the header has ${header!.length}`);
      const lon = number(fields[columns!.get('lon')!], 'lon');
      const lat = number(fields[columns!.get('lat')!], 'lat');
      const properties: Record<string, unknown> = {};
      header!.forEach((name, i) => {
        if (name.toLowerCase() !== 'lon' && name.toLowerCase() !== 'lat' && name.toLowerCase() !== 'source') properties[name] = fields[i];
      });
      const source = header!.findIndex((h) => h.toLowerCase() === 'source');
      const sourceText = source >= 0 ? (fields[source] ?? '').trim() : null;
      return { feature_no: line, lon, geometry: point(lon, lat), properties, synthetic: /synthetic/i.test(sourceText ?? ''), source: sourceText || null };
    });
  }
}

async function* geojsonRows(input: AsyncIterable<string>, note: { text: string | null }): AsyncGenerator<Parsed<FeatureRow>> {
  for await (const event of readJsonElements(input)) {
    if (event.kind === 'member') {
      if (event.name === '_comment' && typeof event.value === 'string') note.text = event.value;
      continue;
    }
    yield check(event.index, () => {
      const f = event.value as { type?: unknown; geometry?: { type?: unknown; coordinates?: unknown }; properties?: unknown };
      if (!f || f.type !== 'Feature') reject('not a GeoJSON Feature');
      const g = f.geometry;
      if (!g || typeof g.type !== 'string' || !Array.isArray(g.coordinates)) reject('the feature has no geometry');
      const flat = (g!.coordinates as unknown[]).flat(4) as unknown[];
      if (flat.length === 0 || flat.some((x) => typeof x !== 'number' || !Number.isFinite(x))) reject('non-numeric coordinates');
      for (let i = 0; i + 1 < flat.length; i += 2) point(flat[i] as number, flat[i + 1] as number);
      const properties = f.properties && typeof f.properties === 'object' ? (f.properties as Record<string, unknown>) : {};
      return { feature_no: event.index, lon: null, geometry: JSON.stringify(g), properties, synthetic: /synthetic/i.test(note.text ?? ''), source: note.text };
    });
  }
}

/**
 * The ingesting user's PENDING contribution for this source, created on first import. Its generated title
 * names the source and the day, never the contributor (`source` never names anyone: see IngestOptions).
 */
async function contributionFor(trx: Knex.Transaction, options: IngestOptions, source: string, synthetic: boolean): Promise<string> {
  const contributor = options.actor ?? 'ingest';
  const existing = await pendingContributionFrom(trx, contributor, source);
  if (existing) return existing;
  const metadata = { title: `Citizen dataset: ${source}, ${todayUtc()}`, description: 'Imported file; the contributor completes the description before moderation.', licence: 'ODBL', producerKind: 'CITIZEN', contact: contributor } as const;
  return insertContribution(trx, metadata, { contributor, source, synthetic, reason: 'imported file' });
}

function ingestWith(format: string, rows: (input: AsyncIterable<string>, note: { text: string | null }) => AsyncIterable<Parsed<FeatureRow>>) {
  return (knex: Knex, source: Source, options: IngestOptions): Promise<IngestReport> => {
    const note = { text: null as string | null };
    let contribution: string | null = null;
    return runIngestion<FeatureRow>(knex, {
      producer: 'community',
      format,
      encoding: source.encoding,
      options,
      rows: () => rows(source.text(), note),
      key: (row) => String(row.feature_no),
      write: async (trx, batch) => {
        const source = batch[0]?.source ?? options.source ?? `citizen dataset (${format})`;
        contribution ??= await contributionFor(trx, options, source, batch[0]?.synthetic ?? false);
        return upsertFeatures(trx, contribution, batch.map((r) => ({ featureNo: r.feature_no, geometry: r.geometry, properties: r.properties })));
      },
    });
  };
}

export const citizenCsvIngester: Ingester = {
  producer: 'community',
  format: 'citizen-csv',
  description: 'citizen dataset, CSV with lon and lat columns (WGS84)',
  nameHint: /\.csv$/i,
  detect: (s) => (hasColumns(s, 'lon', 'lat') ? 2 : 0),
  ingest: ingestWith('citizen-csv', (input) => csvRows(input)),
};

export const citizenGeojsonIngester: Ingester = {
  producer: 'community',
  format: 'citizen-geojson',
  description: 'citizen dataset, any GeoJSON FeatureCollection',
  nameHint: /\.geojson$/i,
  // Any FeatureCollection: the most generic format, chosen only when nothing more specific matches.
  detect: (s) => (hasMembers(s, 'features') && /"FeatureCollection"/.test(s.sample) ? 1 : 0),
  ingest: ingestWith('citizen-geojson', geojsonRows),
};
