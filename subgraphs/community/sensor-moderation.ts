import type { Knex } from 'knex';
import type { Principal } from '../../lib/auth/principal.ts';
import { badUserInput, notFound } from '../../lib/errors.ts';
import { checkDecision, checkNotOwn, subjectOf, type ModerationRules } from './contributions.ts';
import { lockSensors, moveSensor, recordSensorStatus, type ValidationStatus } from './datasource.ts';
import { NETWORK_ID, newContributorSensorId } from './sensor-ids.ts';

/** Most sensors one bulk decision covers (a Sensor.Community dump of the territory holds a few hundred). */
export const MAX_BULK_SENSORS = 1000;

/** A moderator's decision on a citizen sensor: only a PENDING one is decided, as contributions are. */
export async function moderateSensor(knex: Knex, id: string, decision: ValidationStatus, reason: string | null | undefined, p: Principal, rules: ModerationRules): Promise<ValidationStatus> {
  await decide(knex, [id], decision, reason, p, rules, { argument: 'id', networkOnly: false });
  return decision;
}

/**
 * One decision on many sensors of external networks (no owner: Sensor.Community dumps, scheduled pulls),
 * all or nothing. A citizen's own sensor is moderated alone, with `moderateSensor`.
 */
export async function moderateSensors(knex: Knex, ids: readonly string[], decision: ValidationStatus, reason: string | null | undefined, p: Principal, rules: ModerationRules): Promise<number> {
  const unique = [...new Set(ids)];
  if (unique.length < 1 || unique.length > MAX_BULK_SENSORS) throw badUserInput(`ids holds 1..${MAX_BULK_SENSORS} sensors`, { argument: 'ids' });
  await decide(knex, unique, decision, reason, p, rules, { argument: 'ids', networkOnly: true });
  return unique.length;
}

async function decide(
  knex: Knex,
  ids: string[],
  decision: ValidationStatus,
  reason: string | null | undefined,
  p: Principal,
  rules: ModerationRules,
  { argument, networkOnly }: { argument: string; networkOnly: boolean },
): Promise<void> {
  const text = checkDecision(decision, reason);
  await knex.transaction(async (trx) => {
    const found = new Map((await lockSensors(trx, ids)).map((sensor) => [sensor.id, sensor]));
    for (const id of ids) {
      const sensor = found.get(id);
      if (!sensor) throw notFound(`no citizen sensor has the id "${id}"`, { argument });
      if (sensor.status !== 'PENDING') throw badUserInput(`sensor ${id} is not PENDING`, { argument });
      if (networkOnly && sensor.owner !== null) throw badUserInput(`sensor ${id} is a contributor's own sensor: moderate it alone with moderateSensor`, { argument });
      checkNotOwn(`sensor ${id}`, sensor.owner, decision, p, rules);
    }
    await recordSensorStatus(trx, ids, decision, subjectOf(p) ?? 'unknown', text);
  });
}

/**
 * Gives a network id ("sc-…") a contributor holds back to the network (sensor-ids.ts): contributors could
 * register sensors under the network's ids before those were reserved, and claim ids the network had not
 * handed out yet. The contributor keeps their sensor — readings, status, history, quality — under a new
 * "cs-…" id their files keep reaching by its number; the network's next file creates the "sc-…" sensor.
 */
export async function releaseSensorId(knex: Knex, id: string, reason: string, p: Principal): Promise<string> {
  const text = reason.trim();
  if (!text) throw badUserInput('a release needs a reason', { argument: 'reason' });
  return knex.transaction(async (trx) => {
    const [sensor] = await lockSensors(trx, [id]);
    if (!sensor) throw notFound(`no citizen sensor has the id "${id}"`, { argument: 'id' });
    if (!NETWORK_ID.test(id) || sensor.owner === null) throw badUserInput(`sensor ${id} is not a network id held by a contributor: there is nothing to release`, { argument: 'id' });
    const moved = newContributorSensorId();
    await moveSensor(trx, id, moved);
    await recordSensorStatus(trx, [moved], sensor.status, subjectOf(p) ?? 'unknown', `id ${id} released to the Sensor.Community network: ${text}`);
    return moved;
  });
}
