import type { Knex } from 'knex';
import { groupBy } from '../../../lib/batch.ts';

export type ValidationStatus = 'PENDING' | 'VALIDATED' | 'REJECTED';
export type ProducerKind = 'CITIZEN' | 'PARTNER' | 'COLLECTIVITY';
export type Licence = 'ODBL' | 'LICENCE_OUVERTE_2' | 'CC_BY_4';

export interface Provenance {
  producerKind: ProducerKind;
  producerName: string;
  licence: Licence;
  source: string;
  synthetic: boolean;
  validationStatus: ValidationStatus;
}

/** A keyset page: rows after `after` in id order, `limit` of them. */
export interface PageWindow {
  limit: number;
  after: string | undefined;
}

export type Row = Record<string, any>;

export function provenanceOf(row: Row): Provenance {
  return {
    producerKind: row.producer_kind,
    producerName: row.producer_name,
    licence: row.licence,
    source: row.source,
    synthetic: row.synthetic,
    validationStatus: row.status,
  };
}

/** Serial ids (contributions, dataset requests): anything else would make PostgreSQL fail the whole statement. */
export const isSerialId = (id: string) => /^[1-9][0-9]{0,17}$/.test(id);

/** A json column may arrive as text rather than parsed, depending on the driver. */
export const parsedJson = <T>(value: unknown): T => (typeof value === 'string' ? JSON.parse(value) : value) as T;

/**
 * One statement for several parts: each part is tagged with its position (`part`) and wrapped in
 * parentheses, so it keeps its own `order by` and `limit`.
 */
export function unionOfParts(knex: Knex, parts: Knex.QueryBuilder[]): Knex.QueryBuilder {
  const tagged = parts.map((part, index) => part.select(knex.raw('?::int as part', [index])));
  return knex.queryBuilder().unionAll(tagged, true);
}

/** The rows of `unionOfParts`, back in their parts. */
export function groupByPart<T>(rows: Row[], count: number, map: (row: Row) => T): T[][] {
  const parts = groupBy(rows, (row) => row.part as number);
  return Array.from({ length: count }, (_, index) => (parts.get(index) ?? []).map(map));
}
