import type { Knex } from 'knex';
import { groupBy } from '../../../lib/batch.ts';
import type { UpsertCounts } from '../../../lib/ingest/runner.ts';
import { isSerialId, parsedJson, type Licence, type ProducerKind, type Row, type ValidationStatus } from './shared.ts';

export interface ContributionRecord {
  id: string;
  title: string;
  description: string;
  licence: Licence;
  producerKind: ProducerKind;
  contact: string;
  contributor: string;
  status: ValidationStatus;
  submittedAt: string;
  source: string;
  synthetic: boolean;
  /** The content's version: 1 at submission, bumped by every change of its metadata or features. */
  version: number;
}

export interface StatusChangeRecord {
  contributionId: string;
  from: ValidationStatus | null;
  to: ValidationStatus;
  at: string;
  by: string;
  reason: string | null;
  /** The content version the change applied to; null for changes recorded before versions existed. */
  version: number | null;
}

export interface FeatureRecord {
  contributionId: string;
  featureNo: number;
  geometry: unknown;
  properties: Record<string, unknown>;
}

export interface NewContribution {
  title: string;
  description: string;
  licence: Licence;
  producerKind: ProducerKind;
  contact: string;
}

/** Who submits a contribution, where it comes from, and the reason its history starts with. */
export interface ContributionOrigin {
  contributor: string;
  source: string;
  synthetic: boolean;
  reason: string;
}

/** One feature of an imported file, at its place in the file; `geometry` is GeoJSON text. */
export interface ImportedFeature {
  featureNo: number;
  geometry: string;
  properties: Record<string, unknown>;
}

export type ContributionList = { kind: 'validated' | 'pending' } | { kind: 'own'; contributor: string };

const CONTRIBUTION_COLUMNS = ['id', 'title', 'description', 'licence', 'producer_kind', 'contact', 'contributor', 'status', 'submitted_at', 'source', 'synthetic', 'version'];

function toContribution(row: Row): ContributionRecord {
  return {
    id: String(row.id),
    title: row.title,
    description: row.description,
    licence: row.licence,
    producerKind: row.producer_kind,
    contact: row.contact,
    contributor: row.contributor,
    status: row.status,
    submittedAt: new Date(row.submitted_at).toISOString(),
    source: row.source,
    synthetic: row.synthetic,
    version: Number(row.version),
  };
}

export async function contributionsByIds(knex: Knex, ids: readonly string[]): Promise<(ContributionRecord | null)[]> {
  const valid = ids.filter(isSerialId);
  const rows: Row[] = valid.length === 0 ? [] : await knex.select(CONTRIBUTION_COLUMNS).from('community.contribution').whereIn('id', valid);
  const byId = new Map(rows.map((row) => [String(row.id), toContribution(row)]));
  return ids.map((id) => byId.get(id) ?? null);
}

/** Lists: `validated` (newest first), `pending` (oldest first) or one contributor's own (newest first). */
export async function contributionList(knex: Knex, which: ContributionList): Promise<ContributionRecord[]> {
  const query = knex.select(CONTRIBUTION_COLUMNS).from('community.contribution').limit(1000);
  if (which.kind === 'own') query.where('contributor', which.contributor).orderBy('id', 'desc');
  else if (which.kind === 'validated') query.where('status', 'VALIDATED').orderBy('id', 'desc');
  else query.where('status', 'PENDING').orderBy('id', 'asc');
  return (await query).map(toContribution);
}

export async function historiesByContribution(knex: Knex, ids: readonly string[]): Promise<StatusChangeRecord[][]> {
  const rows: Row[] = await knex
    .select('contribution_id', 'from_status', 'to_status', 'changed_at', 'changed_by', 'reason', 'version')
    .from('community.contribution_history')
    .whereIn('contribution_id', ids.filter(isSerialId))
    .orderBy(['contribution_id', 'changed_at', 'id']);
  const changes = rows.map(
    (row): StatusChangeRecord => ({
      contributionId: String(row.contribution_id),
      from: row.from_status,
      to: row.to_status,
      at: new Date(row.changed_at).toISOString(),
      by: row.changed_by,
      reason: row.reason,
      version: row.version === null ? null : Number(row.version),
    }),
  );
  const byContribution = groupBy(changes, (change) => change.contributionId);
  return ids.map((id) => byContribution.get(id) ?? []);
}

export async function featuresByContribution(knex: Knex, ids: readonly string[]): Promise<FeatureRecord[][]> {
  const rows: Row[] = await knex
    .select('contribution_id', 'feature_no', 'properties', knex.raw('ST_AsGeoJSON(geom)::json as geometry'))
    .from('community.contribution_feature')
    .whereIn('contribution_id', ids.filter(isSerialId))
    .orderBy(['contribution_id', 'feature_no']);
  const features = rows.map(
    (row): FeatureRecord => ({
      contributionId: String(row.contribution_id),
      featureNo: row.feature_no,
      geometry: parsedJson(row.geometry),
      properties: parsedJson(row.properties),
    }),
  );
  const byContribution = groupBy(features, (feature) => feature.contributionId);
  return ids.map((id) => byContribution.get(id) ?? []);
}

/** A new PENDING contribution and the first entry of its history; returns its id. */
export async function insertContribution(trx: Knex.Transaction, input: NewContribution, origin: ContributionOrigin): Promise<string> {
  const now = new Date().toISOString();
  const [row] = await trx('community.contribution')
    .insert({
      title: input.title,
      description: input.description,
      licence: input.licence,
      producer_kind: input.producerKind,
      contact: input.contact,
      contributor: origin.contributor,
      status: 'PENDING',
      submitted_at: now,
      source: origin.source,
      synthetic: origin.synthetic,
    })
    .returning('id');
  const id = String((row as Row).id);
  await trx('community.contribution_history').insert({ contribution_id: id, from_status: null, to_status: 'PENDING', changed_at: now, changed_by: origin.contributor, reason: origin.reason, version: 1 });
  return id;
}

/**
 * The contributor's latest PENDING or VALIDATED contribution from this source, locked (a re-import updates it;
 * a REJECTED one stays as it was decided), if there is one.
 */
export async function openContributionFrom(trx: Knex.Transaction, contributor: string, source: string): Promise<ContributionRecord | null> {
  const row = await trx.select(CONTRIBUTION_COLUMNS).from('community.contribution').where({ contributor, source }).whereIn('status', ['PENDING', 'VALIDATED']).orderBy('id', 'desc').forUpdate().first();
  return row ? toContribution(row) : null;
}

/** Locks the contribution row so that concurrent moderation or additions serialise. */
export async function lockContribution(trx: Knex.Transaction, id: string): Promise<ContributionRecord | null> {
  if (!isSerialId(id)) return null;
  const row = await trx.select(CONTRIBUTION_COLUMNS).from('community.contribution').where('id', id).forUpdate().first();
  return row ? toContribution(row) : null;
}

export async function appendFeatures(trx: Knex.Transaction, id: string, features: { geometry: unknown; properties: Record<string, unknown> }[]): Promise<void> {
  const last = await trx('community.contribution_feature').where('contribution_id', id).max<{ max: number | null }[]>('feature_no as max');
  const start = Number(last[0]?.max ?? 0);
  const rows = features.map((f, i) => ({
    contribution_id: id,
    feature_no: start + i + 1,
    geom: trx.raw('ST_SetSRID(ST_GeomFromGeoJSON(?), 4326)', [JSON.stringify(f.geometry)]),
    properties: JSON.stringify(f.properties),
  }));
  await trx.batchInsert('community.contribution_feature', rows, 1000);
}

/**
 * Upserts an imported file's features on their number and counts what changed: a feature whose shape and
 * properties are the same is left alone, so a re-import changes nothing.
 */
export async function upsertFeatures(trx: Knex.Transaction, id: string, features: ImportedFeature[]): Promise<UpsertCounts> {
  const changed: { inserted: boolean }[] = await trx('community.contribution_feature')
    .insert(features.map((f) => ({ contribution_id: id, feature_no: f.featureNo, geom: trx.raw('ST_SetSRID(ST_GeomFromGeoJSON(?), 4326)', [f.geometry]), properties: JSON.stringify(f.properties) })))
    .onConflict(['contribution_id', 'feature_no'])
    .merge(['geom', 'properties'])
    .whereRaw('(not ST_Equals(community.contribution_feature.geom, excluded.geom) or community.contribution_feature.properties is distinct from excluded.properties)')
    .returning(trx.raw('(xmax = 0) as inserted') as unknown as string);
  const fresh = changed.filter((r) => r.inserted).length;
  return { inserted: fresh, updated: changed.length - fresh, unchanged: features.length - changed.length };
}

export async function setContributionStatus(trx: Knex.Transaction, id: string, from: ValidationStatus, to: ValidationStatus, by: string, reason: string | null, version: number): Promise<void> {
  const now = new Date().toISOString();
  await trx('community.contribution').where('id', id).update({ status: to });
  await trx('community.contribution_history').insert({ contribution_id: id, from_status: from, to_status: to, changed_at: now, changed_by: by, reason, version });
}

/**
 * Records that a locked contribution's content changed: its version goes up by one, and a VALIDATED one goes
 * back to PENDING (out of the open view, until a moderator decides on the new version), said in its history.
 * Returns the new version.
 */
export async function contentChanged(trx: Knex.Transaction, c: ContributionRecord, by: string, reason: string): Promise<number> {
  const version = c.version + 1;
  await trx('community.contribution').where('id', c.id).update({ version, status: 'PENDING' });
  if (c.status !== 'PENDING') {
    await trx('community.contribution_history').insert({ contribution_id: c.id, from_status: c.status, to_status: 'PENDING', changed_at: new Date().toISOString(), changed_by: by, reason, version });
  }
  return version;
}

/**
 * The first of `geometries` (GeoJSON text, WGS84) PostGIS finds invalid, with its reason (ST_IsValidReason,
 * e.g. "Self-intersection[7.75 48.55]"); null when all are valid. Read-only.
 */
export async function firstInvalidGeometry(knex: Knex, geometries: string[]): Promise<{ index: number; reason: string } | null> {
  if (geometries.length === 0) return null;
  const { rows } = (await knex.raw(
    `select x.i, ST_IsValidReason(x.g) as reason
     from (select r.i, ST_SetSRID(ST_GeomFromGeoJSON(r.g), 4326) as g from jsonb_to_recordset(?::jsonb) as r(i int, g text)) x
     where not ST_IsValid(x.g) order by x.i limit 1`,
    [JSON.stringify(geometries.map((g, i) => ({ i, g })))],
  )) as { rows: { i: number; reason: string }[] };
  return rows[0] ? { index: Number(rows[0].i), reason: rows[0].reason } : null;
}
