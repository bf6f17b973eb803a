import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Knex } from 'knex';
import { createSubgraphApp } from '../../lib/subgraph.ts';
import { loadConfig } from '../../lib/config.ts';
import { settingsOf } from '../../lib/producer.ts';
import { community } from '../../subgraphs/community/index.ts';
import { bearer, testVerifier } from '../support/auth.ts';
import { gatewayQuery, testHub } from '../support/hub.ts';
import { postGraphQL, serveApp } from '../support/subgraph.ts';

/**
 * Finding: any holder of community:contribute could write hourly readings into anyone's validated sensor
 * through `ingestCommunity` — a PM2.5 of 777.7 was open at once and fed quality control, and an existing
 * reading was replaced with nothing left of the old value. No open value changes without its owner or a
 * moderator now: these are the attacker's steps, each refused, and the owners' and moderators' own paths.
 * Sensor ids have two namespaces since (subgraphs/community/sensor-ids.ts): a node number in a contributor's
 * file is their own sensor ("cs-…"), and the network's "sc-…" ids are written by producer:community only.
 */
const INGEST = `mutation ($format: String!, $content: String!, $partial: Boolean) { ingestCommunity(format: $format, content: $content, partial: $partial) {
  committed read inserted updated unchanged skipped { reason count lines } rejected { line reason } } }`;
const MODERATE_SENSOR = 'mutation ($id: ID!, $decision: ValidationStatus!, $reason: String) { moderateSensor(id: $id, decision: $decision, reason: $reason) }';
const MODERATE_SENSORS = 'mutation ($ids: [ID!]!, $decision: ValidationStatus!, $reason: String) { moderateSensors(ids: $ids, decision: $decision, reason: $reason) }';
const SUBMIT = 'mutation ($input: ContributionInput!) { submitContribution(input: $input) { id status } }';
const MODERATE_CONTRIBUTION = 'mutation ($id: ID!, $version: Int!, $decision: ValidationStatus!, $reason: String) { moderateContribution(id: $id, version: $version, decision: $decision, reason: $reason) { id status } }';

// Six-digit node numbers: the seed draws its sensors among sc-10000..sc-99999.
const ALICE_SENSOR = 970001;
const ATTACKER_SENSOR = 970002;
const NETWORK_SENSOR = 970010;
const BULK = [970011, 970012];
const MODERATOR_SENSOR = 970020;
const OURS = [ALICE_SENSOR, ATTACKER_SENSOR, NETWORK_SENSOR, ...BULK, MODERATOR_SENSOR].map((n) => `sc-${n}`);

const SUBJECTS = {
  attacker: 'contrib-7f3a',
  owner: 'alice.martin@example.org',
  feed: 'sc-network-feed-7f3a',
  moderator: 'moderator.dupont@example.org',
  // Holds both roles: contributes, and moderates the others.
  both: 'moderator-contrib-7f3a',
};

/** One Sensor.Community element: `values` by value_type (P1, P2, temperature, humidity); `sensor` a node number or a hub id. */
function element(sensor: number | string, timestamp: string, values: Record<string, number>) {
  return {
    timestamp,
    location: { latitude: '48.583', longitude: '7.746' },
    sensor: { id: sensor, sensor_type: { name: 'SDS011' } },
    sensordatavalues: Object.entries(values).map(([value_type, value]) => ({ value_type, value: String(value) })),
  };
}

const file = (...elements: unknown[]) => JSON.stringify(elements);

describe('moderation: no open value changes without its owner or a moderator', () => {
  let knex: Knex;
  const headers: Record<keyof typeof SUBJECTS, Record<string, string>> = {} as never;
  let victim: { id: string; measuredAt: Date; pm25: number };

  const ingest = async (who: keyof typeof SUBJECTS, content: string, partial = false) => {
    const response = await gatewayQuery(INGEST, { format: 'sensor-community-json', content, partial }, headers[who]);
    expect(response.errors).toBeUndefined();
    return response.data.ingestCommunity;
  };
  const readingsOf = (id: string) => knex('community.reading').where('sensor_id', id).orderBy('measured_at').select('measured_at', 'pm10', 'pm25');
  /** The id the hub gave `who`'s own sensor numbered `local` in their files, through `mySensors`. */
  const ownId = async (who: keyof typeof SUBJECTS, local: number) => {
    const mine = await gatewayQuery('{ mySensors { localId sensor { id status } } }', undefined, headers[who]);
    expect(mine.errors).toBeUndefined();
    return mine.data.mySensors.find((s: { localId: string }) => s.localId === String(local))?.sensor.id as string | undefined;
  };

  beforeAll(async () => {
    knex = (await testHub()).subgraph('community').db.knex;
    headers.attacker = await bearer(['community:contribute'], SUBJECTS.attacker);
    headers.owner = await bearer(['community:contribute'], SUBJECTS.owner);
    headers.feed = await bearer(['producer:community'], SUBJECTS.feed);
    headers.moderator = await bearer(['community:moderate'], SUBJECTS.moderator);
    headers.both = await bearer(['community:contribute', 'community:moderate'], SUBJECTS.both);
    const listed = await gatewayQuery('{ sensors(first: 1) { edges { node { id } } } }');
    const id = listed.data.sensors.edges[0].node.id as string;
    const reading = await knex('community.reading').where('sensor_id', id).where('measured_at', '>=', '2025-01-05T07:00:00Z').orderBy('measured_at').first();
    victim = { id, measuredAt: new Date(reading.measured_at), pm25: reading.pm25 };
  });

  afterAll(async () => {
    // The run shares one seeded database: leave it as the seed wrote it.
    await knex('community.sensor').whereIn('id', OURS).delete();
    await knex('community.sensor').whereIn('owner_subject', Object.values(SUBJECTS)).delete();
    await knex('community.contribution').whereIn('contributor', Object.values(SUBJECTS)).delete();
  });

  it("a contributor's file naming someone else's validated sensor is refused whole, with the line and the reason; its number only reaches the contributor's own", async () => {
    const before = await readingsOf(victim.id);
    // An hour the seed left empty (its readings stop at the end of January 2025).
    const attack = file(element(ATTACKER_SENSOR, '2025-02-20 05:00:00', { P1: 9.1, P2: 6.2 }), element(victim.id, '2025-02-20 05:00:00', { P1: 900.1, P2: 777.7 }));
    for (const partial of [false, true]) {
      const report = await ingest('attacker', attack, partial);
      expect(report).toMatchObject({ committed: false, inserted: 0, updated: 0 });
      expect(report.rejected).toEqual([{ line: 2, reason: expect.stringMatching(new RegExp(`"${victim.id}" is not one of yours`)) }]);
    }
    expect(await readingsOf(victim.id)).toEqual(before);
    // Nothing of the file was written, not even the attacker's own new sensor.
    expect(await ownId('attacker', ATTACKER_SENSOR)).toBeUndefined();

    // By its node number, the victim's sensor is out of reach: the number names a sensor of the attacker's own.
    const byNumber = await ingest('attacker', file(element(Number(victim.id.slice(3)), '2025-02-20 05:00:00', { P1: 900.1, P2: 777.7 })));
    expect(byNumber).toMatchObject({ committed: true, inserted: 1, rejected: [] });
    const own = await ownId('attacker', Number(victim.id.slice(3)));
    expect(own).toMatch(/^cs-[a-z2-7]{12}$/);
    expect(await readingsOf(own!)).toEqual([{ measured_at: new Date('2025-02-20T05:00:00Z'), pm10: 900.1, pm25: 777.7 }]);
    expect(await readingsOf(victim.id)).toEqual(before);
    const open = await gatewayQuery('query ($id: ID!) { sensor(id: $id) { readings(from: "2025-02-20", to: "2025-02-20") { edges { node { pm25 } } } } }', { id: victim.id });
    expect(open.data.sensor.readings.edges).toEqual([]);
  });

  it("a contributor cannot overwrite an existing reading of someone else's sensor: the old value stays", async () => {
    const hour = victim.measuredAt.toISOString().slice(0, 19).replace('T', ' ');
    const report = await ingest('attacker', file(element(victim.id, hour, { P2: 777.7 })));
    expect(report).toMatchObject({ committed: false, updated: 0, rejected: [{ line: 1, reason: expect.stringContaining(victim.id) }] });
    const stored = await knex('community.reading').where({ sensor_id: victim.id, measured_at: victim.measuredAt }).first();
    expect(stored.pm25).toBe(victim.pm25);
    expect(await knex('community.reading_history').where('sensor_id', victim.id)).toEqual([]);
  });

  it('readings of a Sensor.Community network sensor come only from producer:community, and a replaced value keeps its history', async () => {
    const created = await ingest('feed', file(element(NETWORK_SENSOR, '2025-01-10 10:00:00', { P1: 15, P2: 10 })));
    expect(created).toMatchObject({ committed: true, inserted: 1 });
    const sensor = await knex('community.sensor').where('id', `sc-${NETWORK_SENSOR}`).first();
    expect(sensor).toMatchObject({ status: 'PENDING', owner_subject: null });

    const byContributor = await ingest('attacker', file(element(`sc-${NETWORK_SENSOR}`, '2025-01-10 11:00:00', { P2: 777.7 })));
    expect(byContributor).toMatchObject({ committed: false, rejected: [{ line: 1, reason: expect.stringMatching(/sc- ids are the Sensor.Community network's, written by producer:community only/) }] });
    const byNumber = await ingest('attacker', file(element(NETWORK_SENSOR, '2025-01-10 11:00:00', { P2: 777.7 })));
    expect(byNumber).toMatchObject({ committed: true, inserted: 1 });
    expect(await readingsOf(`sc-${NETWORK_SENSOR}`)).toHaveLength(1);
    expect(await ownId('attacker', NETWORK_SENSOR)).toMatch(/^cs-/);

    const before = Date.now();
    const corrected = await ingest('feed', file(element(NETWORK_SENSOR, '2025-01-10 10:00:00', { P1: 16, P2: 11 })));
    expect(corrected).toMatchObject({ committed: true, updated: 1 });
    const history = await knex('community.reading_history').where('sensor_id', `sc-${NETWORK_SENSOR}`);
    expect(history).toEqual([
      expect.objectContaining({ measured_at: new Date('2025-01-10T10:00:00Z'), pm10: 15, pm25: 10, replaced_by: SUBJECTS.feed }),
    ]);
    expect(new Date(history[0].replaced_at).getTime()).toBeGreaterThanOrEqual(before - 1000);
    const again = await ingest('feed', file(element(NETWORK_SENSOR, '2025-01-10 10:00:00', { P1: 16, P2: 11 })));
    expect(again).toMatchObject({ committed: true, unchanged: 1 });
    expect(await knex('community.reading_history').where('sensor_id', `sc-${NETWORK_SENSOR}`)).toHaveLength(1);
  });

  it("a contributor's new sensor stays PENDING under an id of its own and takes readings from that contributor only; replacing one keeps the old values", async () => {
    const created = await ingest('owner', file(element(ALICE_SENSOR, '2025-01-10 10:00:00', { P1: 14.4, P2: 11.1 })));
    expect(created).toMatchObject({ committed: true, inserted: 1 });
    const alice = (await ownId('owner', ALICE_SENSOR))!;
    expect(alice).toMatch(/^cs-[a-z2-7]{12}$/);
    expect(await knex('community.sensor').where('id', alice).first()).toMatchObject({ status: 'PENDING', owner_subject: SUBJECTS.owner, local_id: String(ALICE_SENSOR) });
    const anonymous = await gatewayQuery('query ($id: ID!) { sensor(id: $id) { id } }', { id: alice });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');

    const refused = await ingest('attacker', file(element(alice, '2025-01-10 10:00:00', { P2: 777.7 })));
    expect(refused).toMatchObject({ committed: false, rejected: [{ line: 1, reason: expect.stringContaining(`"${alice}" is not one of yours`) }] });
    // The network's feed never writes a contributor's sensor: its rows are skipped, counted, the rest goes in.
    const skipped = await ingest('feed', file(element(alice, '2025-01-10 10:00:00', { P2: 777.7 })));
    expect(skipped).toMatchObject({ committed: true, inserted: 0, updated: 0, rejected: [], skipped: [{ count: 1, lines: [1], reason: expect.stringContaining(alice) }] });
    // The same number from someone else is someone else's sensor.
    await ingest('attacker', file(element(ALICE_SENSOR, '2025-01-10 10:00:00', { P2: 777.7 })));
    expect(await ownId('attacker', ALICE_SENSOR)).not.toBe(alice);
    expect(await readingsOf(alice)).toEqual([{ measured_at: new Date('2025-01-10T10:00:00Z'), pm10: 14.4, pm25: 11.1 }]);

    const replaced = await ingest('owner', file(element(ALICE_SENSOR, '2025-01-10 10:00:00', { P1: 14.4, P2: 12.2 })));
    expect(replaced).toMatchObject({ committed: true, updated: 1 });
    // The owner may also name it by the id the hub serves.
    const byId = await ingest('owner', file(element(alice, '2025-01-10 11:00:00', { P1: 15, P2: 13 })));
    expect(byId).toMatchObject({ committed: true, inserted: 1 });
    expect(await readingsOf(alice)).toEqual([
      { measured_at: new Date('2025-01-10T10:00:00Z'), pm10: 14.4, pm25: 12.2 },
      { measured_at: new Date('2025-01-10T11:00:00Z'), pm10: 15, pm25: 13 },
    ]);
    const history = await knex('community.reading_history').where('sensor_id', alice);
    expect(history).toEqual([expect.objectContaining({ pm10: 14.4, pm25: 11.1, replaced_by: SUBJECTS.owner })]);
  });

  it('moderators validate network sensors in bulk, all or nothing; citizen sensors are moderated one by one', async () => {
    await ingest('feed', file(...BULK.map((n) => element(n, '2025-01-10 10:00:00', { P2: 8 }))));
    await ingest('owner', file(element(ALICE_SENSOR, '2025-01-10 12:00:00', { P2: 9 })));
    const alice = (await ownId('owner', ALICE_SENSOR))!;
    const ids = BULK.map((n) => `sc-${n}`);
    const statuses = async () => (await knex('community.sensor').whereIn('id', ids).orderBy('id').select('status')).map((r) => r.status);

    const contributor = await gatewayQuery(MODERATE_SENSORS, { ids, decision: 'VALIDATED' }, headers.attacker);
    expect(contributor.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const unknown = await gatewayQuery(MODERATE_SENSORS, { ids: [...ids, 'sc-979999'], decision: 'VALIDATED' }, headers.moderator);
    expect(unknown.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const citizen = await gatewayQuery(MODERATE_SENSORS, { ids: [...ids, alice], decision: 'VALIDATED' }, headers.moderator);
    expect(citizen.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const noReason = await gatewayQuery(MODERATE_SENSORS, { ids, decision: 'REJECTED' }, headers.moderator);
    expect(noReason.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(await statuses()).toEqual(['PENDING', 'PENDING']);

    const validated = await gatewayQuery(MODERATE_SENSORS, { ids, decision: 'VALIDATED' }, headers.moderator);
    expect(validated.errors).toBeUndefined();
    expect(validated.data.moderateSensors).toBe(2);
    expect(await statuses()).toEqual(['VALIDATED', 'VALIDATED']);
    const open = await gatewayQuery('query ($id: ID!) { sensor(id: $id) { id status } }', { id: ids[0] });
    expect(open.data.sensor).toEqual({ id: ids[0], status: 'VALIDATED' });
    const history = await knex('community.status_history').whereIn('sensor_id', ids).where('status', 'VALIDATED');
    expect(history.map((h) => h.changed_by)).toEqual([SUBJECTS.moderator, SUBJECTS.moderator]);
    const twice = await gatewayQuery(MODERATE_SENSORS, { ids, decision: 'VALIDATED' }, headers.moderator);
    expect(twice.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('a moderator cannot validate their own contribution or their own sensor (TIGA_MODERATION_OWN_CONTRIBUTIONS=0, the default)', async () => {
    const submitted = await gatewayQuery(SUBMIT, { input: { title: 'Bancs publics', description: 'Relevé à pied', licence: 'ODBL', producerKind: 'CITIZEN', contact: 'moderation-test@example.org' } }, headers.both);
    const id = submitted.data.submitContribution.id;
    const own = await gatewayQuery(MODERATE_CONTRIBUTION, { id, version: 1, decision: 'VALIDATED' }, headers.both);
    expect(own.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await knex('community.contribution').where('id', id).first()).status).toBe('PENDING');
    const other = await gatewayQuery(MODERATE_CONTRIBUTION, { id, version: 1, decision: 'VALIDATED' }, headers.moderator);
    expect(other.data.moderateContribution.status).toBe('VALIDATED');

    await ingest('both', file(element(MODERATOR_SENSOR, '2025-01-10 10:00:00', { P2: 7 })));
    const sensor = (await ownId('both', MODERATOR_SENSOR))!;
    const ownSensor = await gatewayQuery(MODERATE_SENSOR, { id: sensor, decision: 'VALIDATED' }, headers.both);
    expect(ownSensor.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await knex('community.sensor').where('id', sensor).first()).status).toBe('PENDING');
  });

  it('with TIGA_MODERATION_OWN_CONTRIBUTIONS=1 a moderator may validate their own contribution', async () => {
    const defaults = settingsOf(community, loadConfig({}));
    expect(defaults).toMatchObject({ moderationOwnContributions: 0 });
    const settings = settingsOf(community, loadConfig({ TIGA_MODERATION_OWN_CONTRIBUTIONS: '1' }));
    expect(settings).toMatchObject({ moderationOwnContributions: 1 });
    const { app, server: apollo } = await createSubgraphApp(community, (await testHub()).subgraph('community').db, { verifier: await testVerifier(), settings });
    const server = await serveApp(app);
    try {
      const submitted = await postGraphQL(server.url, SUBMIT, { input: { title: 'Fontaines', description: 'Relevé à pied', licence: 'ODBL', producerKind: 'CITIZEN', contact: 'moderation-test@example.org' } }, headers.both);
      const own = await postGraphQL(server.url, MODERATE_CONTRIBUTION, { id: submitted.data.submitContribution.id, version: 1, decision: 'VALIDATED' }, headers.both);
      expect(own.errors).toBeUndefined();
      expect(own.data.moderateContribution.status).toBe('VALIDATED');
    } finally {
      await server.close();
      await apollo.stop();
    }
  });
});
