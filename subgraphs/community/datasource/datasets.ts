import type { Knex } from 'knex';
import { groupByPart, provenanceOf, unionOfParts, type Licence, type PageWindow, type ProducerKind, type Provenance, type Row } from './shared.ts';

export interface DatasetRecord {
  id: string;
  title: string;
  description: string;
  licence: Licence;
  producer: { kind: ProducerKind; name: string };
  theme: string;
  updatedAt: string;
  landingPage: string | null;
  format: string;
  provenance: Provenance;
}

const DATASET_COLUMNS = [
  'id',
  'title',
  'description',
  'theme',
  'producer_kind',
  'producer_name',
  'licence',
  'updated_on',
  'landing_page',
  'format',
  'status',
  'source',
  'synthetic',
];

function toDataset(row: Row): DatasetRecord {
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    licence: row.licence,
    producer: { kind: row.producer_kind, name: row.producer_name },
    theme: row.theme,
    updatedAt: row.updated_on,
    landingPage: row.landing_page,
    format: row.format,
    provenance: provenanceOf(row),
  };
}

export async function datasetsByIds(knex: Knex, ids: readonly string[]): Promise<(DatasetRecord | null)[]> {
  const rows: Row[] = await knex
    .select(DATASET_COLUMNS)
    .from('community.dataset')
    .where('status', 'VALIDATED')
    .whereIn('id', ids as string[]);
  const byId = new Map(rows.map((row) => [row.id as string, toDataset(row)]));
  return ids.map((id) => byId.get(id) ?? null);
}

export async function datasetPages(knex: Knex, windows: readonly PageWindow[]): Promise<DatasetRecord[][]> {
  const parts = windows.map((w) => {
    const query = knex
      .select(DATASET_COLUMNS)
      .from('community.dataset')
      .where('status', 'VALIDATED')
      .orderBy('id')
      .limit(w.limit + 1);
    return w.after === undefined ? query : query.where('id', '>', w.after);
  });
  return groupByPart(await unionOfParts(knex, parts), windows.length, toDataset);
}
