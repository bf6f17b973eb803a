import type { Knex } from 'knex';
import type { Principal } from '../../lib/auth/principal.ts';
import { badUserInput, notFound } from '../../lib/errors.ts';
import { checkDecision, subjectOf } from './contributions.ts';
import { setSensorStatus, type ValidationStatus } from './datasource.ts';

/** A moderator's decision on a citizen sensor: only a PENDING one is decided, as contributions are. */
export async function moderateSensor(knex: Knex, id: string, decision: ValidationStatus, reason: string | null | undefined, p: Principal): Promise<ValidationStatus> {
  const text = checkDecision(decision, reason);
  const result = await setSensorStatus(knex, id, decision, subjectOf(p) ?? 'unknown', text, (from) => from === 'PENDING');
  if (result === null) throw notFound(`no citizen sensor has the id "${id}"`, { argument: 'id' });
  if (result === 'refused') throw badUserInput(`sensor ${id} is not PENDING`, { argument: 'id' });
  return decision;
}
