import type { Knex } from 'knex';
import type { Principal } from '../../lib/auth/principal.ts';
import { badUserInput, notFound } from '../../lib/errors.ts';
import { datasetRequest, insertDatasetRequest, insertVote, updateRequestStatus, type DatasetRequestRecord } from './datasource.ts';

/** The users' committee's dataset requests: the rules between resolvers and the datasource. */
const MAX_DESCRIPTION = 4000;

const subject = (p: Principal) => (p.kind === 'user' ? p.subject : 'unknown');

async function found(knex: Knex, id: string): Promise<DatasetRequestRecord> {
  const request = await datasetRequest(knex, id);
  if (!request) throw notFound(`no dataset request has the id "${id}"`, { argument: 'id' });
  return request;
}

export async function request(knex: Knex, title: string, description: string, p: Principal): Promise<DatasetRequestRecord> {
  if (title.trim().length < 1 || title.trim().length > 200) throw badUserInput('title must be 1..200 characters', { argument: 'title' });
  // Published at once on the public list (/transparence): a bounded text, so no caller can bloat every reader's page.
  if (description.trim().length < 1 || description.trim().length > MAX_DESCRIPTION) throw badUserInput(`description must be 1..${MAX_DESCRIPTION.toLocaleString('en')} characters`, { argument: 'description' });
  return found(knex, await insertDatasetRequest(knex, title.trim(), description.trim(), subject(p)));
}

export async function vote(knex: Knex, id: string, p: Principal): Promise<DatasetRequestRecord> {
  const existing = await found(knex, id);
  if (existing.requestedBy === subject(p)) throw badUserInput('you cannot vote for your own request', { argument: 'id' });
  await insertVote(knex, id, subject(p));
  return found(knex, id);
}

export async function setStatus(knex: Knex, id: string, status: string, reason: string | null | undefined): Promise<DatasetRequestRecord> {
  await found(knex, id);
  const text = reason?.trim() || null;
  if (status === 'DECLINED' && !text) throw badUserInput('a declined request needs a reason', { argument: 'reason' });
  await updateRequestStatus(knex, id, status, text);
  return found(knex, id);
}
