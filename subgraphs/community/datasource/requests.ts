import type { Knex } from 'knex';
import { isSerialId, type Row } from './shared.ts';

export interface DatasetRequestRecord {
  id: string;
  title: string;
  description: string;
  requestedBy: string;
  status: string;
  statusReason: string | null;
  createdAt: string;
  votes: number;
  synthetic: boolean;
}

function requestsQuery(knex: Knex): Knex.QueryBuilder {
  return knex
    .select('q.*', knex.raw('(select count(*) from community.dataset_request_vote v where v.request_id = q.id)::int as votes'))
    .from('community.dataset_request as q');
}

function toRequest(r: Row): DatasetRequestRecord {
  return { id: String(r.id), title: r.title, description: r.description, requestedBy: r.requested_by, status: r.status, statusReason: r.status_reason, createdAt: new Date(r.created_at).toISOString(), votes: Number(r.votes), synthetic: r.synthetic };
}

/** Every request, most voted first (ties: oldest first). */
export async function datasetRequests(knex: Knex): Promise<DatasetRequestRecord[]> {
  const rows: Row[] = await knex.select('*').from(requestsQuery(knex).as('x')).orderBy([{ column: 'votes', order: 'desc' }, { column: 'id', order: 'asc' }]).limit(1000);
  return rows.map(toRequest);
}

export async function datasetRequest(knex: Knex, id: string): Promise<DatasetRequestRecord | null> {
  if (!isSerialId(id)) return null;
  const row = await requestsQuery(knex).where('q.id', id).first();
  return row ? toRequest(row) : null;
}

export async function insertDatasetRequest(knex: Knex, title: string, description: string, by: string): Promise<string> {
  return knex.transaction(async (trx) => {
    const [row] = await trx('community.dataset_request').insert({ title, description, requested_by: by, status: 'RECEIVED', created_at: new Date().toISOString(), source: 'request through the TIGA API', synthetic: false }).returning('id');
    return String((row as Row).id);
  });
}

/** One vote per user and request: a second vote changes nothing. */
export async function insertVote(knex: Knex, id: string, voter: string): Promise<void> {
  await knex.transaction(async (trx) => {
    await trx('community.dataset_request_vote').insert({ request_id: id, voter, voted_at: new Date().toISOString() }).onConflict(['request_id', 'voter']).ignore();
  });
}

export async function updateRequestStatus(knex: Knex, id: string, status: string, reason: string | null): Promise<void> {
  await knex.transaction(async (trx) => {
    await trx('community.dataset_request').where('id', id).update({ status, status_reason: reason });
  });
}
