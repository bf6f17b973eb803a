import type { Knex } from 'knex';
import { GraphQLError } from 'graphql';
import type { Principal } from '../../lib/auth/principal.ts';
import { badUserInput, notFound } from '../../lib/errors.ts';
import { RowError } from '../../lib/ingest/errors.ts';
import { checkGeometry } from '../../lib/ingest/geojson.ts';
import { causeOf } from '../../lib/ingest/runner.ts';
import {
  appendFeatures,
  contentChanged,
  firstInvalidGeometry,
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

interface NewFeature {
  /** GeoJSON geometry, two-dimensional, checked. */
  geometry: { type: string };
  properties: Record<string, unknown>;
}

/** Every position of a checked geometry. */
function positionsOf(geometry: { type: string; coordinates?: unknown; geometries?: unknown }): number[][] {
  if (geometry.type === 'GeometryCollection') return (geometry.geometries as { type: string }[]).flatMap(positionsOf);
  const out: number[][] = [];
  const walk = (value: unknown) => (Array.isArray(value) && typeof value[0] === 'number' ? out.push(value as number[]) : (value as unknown[]).forEach(walk));
  walk(geometry.coordinates);
  return out;
}

/**
 * A FeatureCollection's features, each checked as the importers check theirs (lib/ingest/geojson.ts: types,
 * positions, closed rings), with WGS84 longitudes and latitudes: a geometry PostGIS could not read, or one
 * that would land anywhere but on Earth, is the caller's to fix (BAD_USER_INPUT naming the feature), never a
 * database error.
 */
function readFeatures(collection: unknown): NewFeature[] {
  const fc = collection as { type?: unknown; features?: unknown };
  if (!fc || fc.type !== 'FeatureCollection' || !Array.isArray(fc.features)) {
    throw badUserInput('features must be a GeoJSON FeatureCollection', { argument: 'features' });
  }
  if (fc.features.length === 0 || fc.features.length > MAX_FEATURES) throw badUserInput(`1..${MAX_FEATURES} features at a time`, { argument: 'features' });
  return fc.features.map((f: any, i: number) => {
    const where = { argument: 'features', feature: i + 1 };
    if (f?.type !== 'Feature') throw badUserInput(`feature ${i + 1} is not a GeoJSON Feature`, { ...where, reason: 'MALFORMED' });
    let geometry: { type: string };
    try {
      geometry = checkGeometry(f.geometry);
    } catch (error) {
      if (!(error instanceof RowError)) throw error;
      throw badUserInput(`feature ${i + 1}: ${error.message}`, { ...where, reason: 'MALFORMED' });
    }
    const away = positionsOf(geometry).find(([lon, lat]) => !(lon! >= -180 && lon! <= 180 && lat! >= -90 && lat! <= 90));
    if (away) throw badUserInput(`feature ${i + 1}: [${away.join(', ')}] is not a WGS84 longitude/latitude (−180..180, −90..90)`, { ...where, reason: 'OUT_OF_RANGE' });
    return { geometry, properties: f.properties && typeof f.properties === 'object' && !Array.isArray(f.properties) ? f.properties : {} };
  });
}

/** Refuses the first geometry PostGIS finds invalid (e.g. a self-intersecting polygon), with PostGIS's reason. */
async function checkValidity(knex: Knex, features: NewFeature[]): Promise<void> {
  let invalid: Awaited<ReturnType<typeof firstInvalidGeometry>>;
  try {
    invalid = await firstInvalidGeometry(knex, features.map((f) => JSON.stringify(f.geometry)));
  } catch (error) {
    // PostGIS could not read one (the checks above should have said why): its message, never the statement.
    throw badUserInput(`a geometry is not readable: ${causeOf(error)}`, { argument: 'features', reason: 'MALFORMED' });
  }
  if (invalid) {
    throw badUserInput(`feature ${invalid.index + 1}: the geometry is not valid: ${invalid.reason}`, { argument: 'features', feature: invalid.index + 1, reason: 'INVALID_GEOMETRY' });
  }
}

/**
 * Adds features to the caller's own contribution. The content changes, so its version goes up, and a
 * VALIDATED contribution goes back to PENDING until a moderator decides on the new version: what the open
 * view serves never changes without one. A REJECTED contribution stays as it was decided.
 */
export async function addFeatures(knex: Knex, id: string, collection: unknown, p: Principal): Promise<void> {
  const features = readFeatures(collection);
  await checkValidity(knex, features);
  await knex.transaction(async (trx) => {
    const c = await lockContribution(trx, id);
    if (!c || c.contributor !== subjectOf(p)) throw notFound(`you have no contribution with the id "${id}"`, { argument: 'id' });
    if (c.status === 'REJECTED') throw badUserInput(`contribution ${id} is REJECTED: submit a new contribution`, { argument: 'id' });
    await appendFeatures(trx, id, features);
    await contentChanged(trx, c, c.contributor, `${features.length} feature(s) added after ${c.status === 'VALIDATED' ? 'validation' : 'submission'}`);
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

/**
 * A moderator's decision, on the version they reviewed: the contribution row is locked, so a change of its
 * content either lands before (and the decision is refused as stale) or after (and sends it back to PENDING).
 */
export async function moderate(knex: Knex, id: string, version: number, decision: ValidationStatus, reason: string | null | undefined, p: Principal, rules: ModerationRules): Promise<void> {
  const text = checkDecision(decision, reason);
  await knex.transaction(async (trx) => {
    const c = await lockContribution(trx, id);
    if (!c) throw notFound(`no contribution has the id "${id}"`, { argument: 'id' });
    if (c.status !== 'PENDING') throw badUserInput(`contribution ${id} is already ${c.status}: only PENDING ones are moderated`, { argument: 'id' });
    if (version !== c.version) {
      throw badUserInput(`contribution ${id} is at version ${c.version}, not ${version}: its content changed since the version you reviewed; review version ${c.version} and decide again`, {
        argument: 'version',
        reason: 'STALE_VERSION',
        currentVersion: c.version,
      });
    }
    checkNotOwn(`contribution ${id}`, c.contributor, decision, p, rules);
    await setContributionStatus(trx, id, c.status, decision, subjectOf(p) ?? 'unknown', text, c.version);
  });
}
