import crypto from 'node:crypto';

/**
 * The two namespaces of citizen sensor ids. `sc-<node>` is the Sensor.Community network's own node number:
 * only producer:community writes those sensors (the network's dumps and scheduled pulls), so no contributor
 * can occupy an id the network will hand out later. A contributor's own sensor is named in their files by
 * their own number (a "local id", scoped to them: two contributors may both have a sensor 1), and served
 * under `cs-<12 base32>`, drawn at random when the sensor is first seen: it is derived from nothing, so it
 * tells nothing about its owner, and no file can name it before it exists.
 */
export const NETWORK_ID = /^sc-[1-9][0-9]*$/;
export const CONTRIBUTOR_ID = /^cs-[a-z2-7]{12}$/;
/** A contributor's own number for a sensor (a Sensor.Community node number, as their files carry it). */
export const LOCAL_ID = /^[1-9][0-9]{0,17}$/;

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** A fresh public id for a contributor's sensor: 60 random bits. */
export function newContributorSensorId(): string {
  const bytes = crypto.randomBytes(8);
  let bits = 0n;
  for (const byte of bytes) bits = (bits << 8n) | BigInt(byte);
  let id = '';
  for (let i = 0; i < 12; i++) id += BASE32[Number((bits >> BigInt(5 * i)) & 31n)];
  return `cs-${id}`;
}

/**
 * How a file names a sensor: a node number (`91001`, the formats' own way), or a hub id as the API serves it
 * (`sc-91001`, `cs-…`). Null when it is neither.
 */
export function sensorRef(value: unknown): string | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value > 0 ? String(value) : null;
  if (typeof value !== 'string') return null;
  const text = value.trim();
  return LOCAL_ID.test(text) || NETWORK_ID.test(text) || CONTRIBUTOR_ID.test(text) ? text : null;
}

/**
 * The one refusal a contributor's file gets for any sensor it may not write, whatever the reason — unknown,
 * someone else's (PENDING, REJECTED or open), or the network's: the reason depends on the rule only, never
 * on other people's sensors, so a refusal tells nothing about them.
 */
export function notYours(ref: string): string {
  return (
    `sensor "${ref}" is not one of yours: a contributor's file names their own sensors, by their own numbers ` +
    '(or by the cs- ids mySensors lists); sc- ids are the Sensor.Community network\'s, written by producer:community only; nothing was written'
  );
}

/** Why a network file's rows for a sensor a contributor holds are skipped (counted; the rest of the file goes in). */
export function heldByContributor(id: string): string {
  return CONTRIBUTOR_ID.test(id)
    ? `sensor ${id} is a contributor's own, not the network's: its rows are skipped`
    : `sensor ${id} is held by a contributor (registered before the network's ids were reserved): its rows are skipped; a moderator may release the id to the network (releaseSensorId)`;
}
