import type { Knex } from 'knex';
import { GraphQLError } from 'graphql';
import type { Principal } from '../../lib/auth/principal.ts';
import { badUserInput, notFound } from '../../lib/errors.ts';
import {
  appendFeatures,
  insertContribution,
  lockContribution,
  setContributionStatus,
  type ContributionRecord,
  type Licence,
  type NewContribution,
  type ProducerKind,
  type ValidationStatus,
} from './datasource.ts';

/** The contribution workflow's rules; resolvers call these, these call the datasource. */
const LICENCES: Licence[] = ['ODBL', 'LICENCE_OUVERTE_2', 'CC_BY_4'];
const KINDS: ProducerKind[] = ['CITIZEN', 'PARTNER', 'COLLECTIVITY'];
const MAX_FEATURES = 10_000;

export const subjectOf = (p: Principal): string | null => (p.kind === 'user' ? p.subject : null);
export const isModerator = (p: Principal): boolean => p.kind === 'user' && p.scopes.has('community:moderate');

/** Anonymous callers see VALIDATED contributions only; the owner and moderators see the rest. */
export function canSee(c: ContributionRecord, p: Principal): boolean {
  return c.status === 'VALIDATED' || isModerator(p) || (subjectOf(p) !== null && subjectOf(p) === c.contributor);
}

export async function submit(knex: Knex, input: NewContribution, p: Principal): Promise<string> {
  const title = input.title.trim();
  if (title.length < 1 || title.length > 200) throw badUserInput('title must be 1..200 characters', { argument: 'input.title' });
  if (!LICENCES.includes(input.licence)) throw badUserInput(`licence must be one of ${LICENCES.join(', ')}`, { argument: 'input.licence' });
  if (!KINDS.includes(input.producerKind)) throw badUserInput(`producerKind must be one of ${KINDS.join(', ')}`, { argument: 'input.producerKind' });
  if (input.contact.trim() === '') throw badUserInput('contact must not be empty', { argument: 'input.contact' });
  const origin = { contributor: subjectOf(p) ?? 'unknown', source: 'contribution through the TIGA API', synthetic: false, reason: 'submitted' };
  return knex.transaction((trx) => insertContribution(trx, { ...input, title }, origin));
}

function readFeatures(collection: unknown): { geometry: unknown; properties: Record<string, unknown> }[] {
  const fc = collection as { type?: unknown; features?: unknown };
  if (!fc || fc.type !== 'FeatureCollection' || !Array.isArray(fc.features)) {
    throw badUserInput('features must be a GeoJSON FeatureCollection', { argument: 'features' });
  }
  if (fc.features.length === 0 || fc.features.length > MAX_FEATURES) throw badUserInput(`1..${MAX_FEATURES} features at a time`, { argument: 'features' });
  return fc.features.map((f: any, i: number) => {
    const g = f?.geometry;
    if (f?.type !== 'Feature' || !g || typeof g.type !== 'string' || !Array.isArray(g.coordinates)) {
      throw badUserInput(`feature ${i + 1} is not a GeoJSON Feature with a geometry`, { argument: 'features', feature: i + 1 });
    }
    const flat = (g.coordinates as unknown[]).flat(4) as unknown[];
    if (flat.some((x) => typeof x !== 'number' || !Number.isFinite(x))) throw badUserInput(`feature ${i + 1} has non-numeric coordinates`, { argument: 'features', feature: i + 1 });
    return { geometry: g, properties: f.properties && typeof f.properties === 'object' ? f.properties : {} };
  });
}

export async function addFeatures(knex: Knex, id: string, collection: unknown, p: Principal): Promise<void> {
  const features = readFeatures(collection);
  await knex.transaction(async (trx) => {
    const c = await lockContribution(trx, id);
    if (!c || c.contributor !== subjectOf(p)) throw notFound(`you have no contribution with the id "${id}"`, { argument: 'id' });
    if (c.status !== 'PENDING') throw badUserInput(`contribution ${id} is ${c.status}: features can only be added while PENDING`, { argument: 'id' });
    await appendFeatures(trx, id, features);
  });
}

/** The moderation rules the producer's settings decide (subgraphs/community/settings.ts). */
export interface ModerationRules {
  /** TIGA_MODERATION_OWN_CONTRIBUTIONS: a moderator may validate what they submitted themselves. @default false */
  ownContributions: boolean;
}

export const moderationRules = (settings: { moderationOwnContributions: number }): ModerationRules => ({ ownContributions: settings.moderationOwnContributions === 1 });

/** A decision the caller's scopes allow but a moderation rule refuses. */
export const forbidden = (message: string, extensions: Record<string, unknown> = {}) =>
  new GraphQLError(message, { extensions: { ...extensions, code: 'FORBIDDEN' } });

/** Four eyes: unless the settings allow it, what a moderator submitted is validated by another one. */
export function checkNotOwn(what: string, submittedBy: string | null, decision: ValidationStatus, p: Principal, rules: ModerationRules): void {
  if (decision !== 'VALIDATED' || rules.ownContributions || submittedBy === null || submittedBy !== subjectOf(p)) return;
  throw forbidden(`${what} is yours: another moderator validates it (TIGA_MODERATION_OWN_CONTRIBUTIONS is 0)`, { reason: 'OWN_CONTRIBUTION' });
}

/** A moderator decides VALIDATED or REJECTED, and a rejection says why. */
export function checkDecision(decision: ValidationStatus, reason: string | null | undefined): string | null {
  if (decision === 'PENDING') throw badUserInput('a decision is VALIDATED or REJECTED', { argument: 'decision' });
  const text = reason?.trim() || null;
  if (decision === 'REJECTED' && !text) throw badUserInput('a rejection needs a reason', { argument: 'reason' });
  return text;
}

export async function moderate(knex: Knex, id: string, decision: ValidationStatus, reason: string | null | undefined, p: Principal, rules: ModerationRules): Promise<void> {
  const text = checkDecision(decision, reason);
  await knex.transaction(async (trx) => {
    const c = await lockContribution(trx, id);
    if (!c) throw notFound(`no contribution has the id "${id}"`, { argument: 'id' });
    if (c.status !== 'PENDING') throw badUserInput(`contribution ${id} is already ${c.status}: only PENDING ones are moderated`, { argument: 'id' });
    checkNotOwn(`contribution ${id}`, c.contributor, decision, p, rules);
    await setContributionStatus(trx, id, c.status, decision, subjectOf(p) ?? 'unknown', text);
  });
}
