import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Knex } from 'knex';
import { bearer } from '../support/auth.ts';
import { gatewayQuery, testHub } from '../support/hub.ts';

/**
 * The attacker review's moderation findings (/tmp/review: squat.sh, toctou.mts, oracle.sh), replayed
 * against the hub, each step as the attacker took it:
 * 5. a contributor claimed a Sensor.Community id before the network's dump brought it, and the network's
 *    feed was refused whole;
 * 6. a contribution's content was swapped after the moderator reviewed it, and validated as swapped;
 * 7. the line and message of a refusal told whether a sensor id was unknown, someone else's (even PENDING
 *    or REJECTED) or the network's.
 * And the minor ones of the same area: coordinates that are no longitude/latitude, invalid polygons, and
 * moderators who could not read the readings of the sensors they validate.
 */
const INGEST = `mutation ($format: String!, $content: String!, $partial: Boolean) { ingestCommunity(format: $format, content: $content, partial: $partial) {
  committed read inserted updated unchanged skipped { reason count lines } rejected { line reason } } }`;
const DUMP = readFileSync(new URL('../../seeds/samples/community-sensor-community.json', import.meta.url), 'utf8');
const DUMP_SENSORS = ['sc-91001', 'sc-91002', 'sc-91003', 'sc-91004'];
const SUBMIT = 'mutation ($input: ContributionInput!) { submitContribution(input: $input) { id } }';
const ADD = 'mutation ($id: ID!, $f: GeoJSON!) { addContributionFeatures(id: $id, features: $f) { featureCount version status } }';
const ADD_PLAIN = 'mutation ($id: ID!, $f: GeoJSON!) { addContributionFeatures(id: $id, features: $f) { featureCount } }';
const FEATURE_COUNT = 'query ($id: ID!) { contribution(id: $id) { featureCount } }';
const MODERATE = 'mutation ($id: ID!, $version: Int!, $decision: ValidationStatus!) { moderateContribution(id: $id, version: $version, decision: $decision) { status version } }';
const REVIEW = 'query ($id: ID!) { contribution(id: $id) { status version features history { from to version } } }';
const RELEASE = 'mutation ($id: ID!, $reason: String!) { releaseSensorId(id: $id, reason: $reason) }';
const READINGS = `query ($id: ID!) { sensor(id: $id) { id status readings(from: "2025-03-01", to: "2025-03-31") { edges { node { time pm25 } } } } }`;

const SUBJECTS = {
  mallory: 'mallory-review-7f3a',
  bob: 'bob-review-7f3a',
  feed: 'community-feed-review-7f3a',
  moderator: 'moderator-review-7f3a',
};
const PROBERS = ['mallory-probe-1-7f3a', 'mallory-probe-2-7f3a', 'mallory-probe-3-7f3a'];
// Network ids of this file (the seed draws its sensors among sc-10000..sc-99999).
const PENDING_NETWORK = 960001;
const LEGACY_HELD = 960002;
const OURS = [...DUMP_SENSORS, `sc-${PENDING_NETWORK}`, `sc-${LEGACY_HELD}`, 'sc-55555', 'sc-66666'];

/** One Sensor.Community element, as squat.sh and oracle.sh write them; `sensor` a node number or a hub id. */
const element = (sensor: number | string, timestamp: string, pm25 = 3) => ({
  timestamp,
  location: { latitude: '48.580', longitude: '7.750' },
  sensor: { id: sensor, sensor_type: { name: 'SDS011' } },
  sensordatavalues: [{ value_type: 'P2', value: pm25.toFixed(1) }],
});
const file = (...elements: unknown[]) => JSON.stringify(elements);
const point = (lon: number, lat: number, note: string) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: [lon, lat] }, properties: { note } });

describe("moderation review: the attacker's findings 5 to 7, replayed", () => {
  let knex: Knex;
  const headers: Record<string, Record<string, string>> = {};

  const ingest = async (who: string, content: string, format = 'sensor-community-json') => {
    const response = await gatewayQuery(INGEST, { format, content }, headers[who]);
    expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
    return response.data.ingestCommunity;
  };
  const readingsOf = (id: string) => knex('community.reading').where('sensor_id', id).orderBy('measured_at').select('measured_at', 'pm25');
  const ownSensors = async (who: string) => (await gatewayQuery('{ mySensors { localId sensor { id status } } }', undefined, headers[who])).data.mySensors as { localId: string; sensor: { id: string; status: string } }[];
  /** A sensor as 004_sensor_owners left one a contributor had registered under a network id. */
  const legacyHeld = async (id: string, owner: string, status: string) => {
    await knex('community.sensor').insert({
      id, sensor_type: 'SDS011', measures: ['P2'], geom: knex.raw('ST_SetSRID(ST_MakePoint(7.75, 48.58), 4326)'), status, producer_kind: 'CITIZEN',
      producer_name: 'Sensor.Community contributor (citizen)', licence: 'ODBL', source: 'upload through the TIGA API', synthetic: false, owner_subject: owner, local_id: id.slice(3),
    });
    await knex('community.status_history').insert({ sensor_id: id, status, changed_at: '2025-03-01T00:00:00Z', changed_by: owner, reason: 'registered' });
    await knex('community.reading').insert({ sensor_id: id, measured_at: '2025-03-01T10:00:00Z', pm25: 4, source: 'upload through the TIGA API', synthetic: false });
  };
  const cleanUp = async () => {
    await knex('community.sensor').whereIn('id', OURS).delete();
    await knex('community.sensor').whereIn('owner_subject', [...Object.values(SUBJECTS), ...PROBERS]).delete();
    await knex('community.contribution').whereIn('contributor', Object.values(SUBJECTS)).delete();
  };

  beforeAll(async () => {
    knex = (await testHub()).subgraph('community').db.knex;
    headers.mallory = await bearer(['community:contribute'], SUBJECTS.mallory);
    headers.bob = await bearer(['community:contribute'], SUBJECTS.bob);
    headers.feed = await bearer(['producer:community'], SUBJECTS.feed);
    headers.moderator = await bearer(['community:moderate'], SUBJECTS.moderator);
    for (const [i, subject] of PROBERS.entries()) headers[`probe${i}`] = await bearer(['community:contribute'], subject);
    await cleanUp();
  });
  // The run shares one seeded database: leave it as the seed wrote it.
  afterAll(() => cleanUp());

  describe('finding 5: a contributor claims a network sensor id (squat.sh)', () => {
    it("mallory's node 91001 is a sensor of her own, never sc-91001: the network's dump goes in whole", async () => {
      await knex('community.sensor').whereIn('id', DUMP_SENSORS).delete();
      const squat = await ingest('mallory', file(element(91001, '2025-03-02 09:00:00')));
      expect(squat).toMatchObject({ committed: true, inserted: 1, rejected: [] });
      expect(await knex('community.sensor').where('id', 'sc-91001').first()).toBeUndefined();

      const dump = await ingest('feed', DUMP);
      expect(dump).toMatchObject({ committed: true, read: 7, inserted: 7, updated: 0, skipped: [], rejected: [] });
      expect(await knex('community.sensor').where('id', 'sc-91001').first()).toMatchObject({ owner_subject: null, status: 'PENDING' });
      expect(await readingsOf('sc-91001')).toEqual([
        { measured_at: new Date('2025-01-02T07:00:00Z'), pm25: 14.2 },
        { measured_at: new Date('2025-01-02T08:00:00Z'), pm25: 17.6 },
      ]);
      // Hers is hers, under an id that names neither the network nor her.
      const [own] = await ownSensors('mallory');
      expect(own).toEqual({ localId: '91001', sensor: { id: expect.stringMatching(/^cs-[a-z2-7]{12}$/), status: 'PENDING' } });
      expect(await readingsOf(own!.sensor.id)).toEqual([{ measured_at: new Date('2025-03-02T09:00:00Z'), pm25: 3 }]);
    });

    it("naming the network's id is refused with a clear reason, before or after the network has it, and nothing is written", async () => {
      for (const id of ['sc-91001', 'sc-91999']) {
        const named = await ingest('mallory', file(element(id, '2025-03-02 10:00:00')));
        expect(named).toMatchObject({ committed: false, inserted: 0, rejected: [{ line: 1, reason: expect.stringMatching(/sc- ids are the Sensor.Community network's, written by producer:community only/) }] });
      }
      expect(await knex('community.sensor').where('id', 'sc-91999').first()).toBeUndefined();
      expect(await readingsOf('sc-91001')).toHaveLength(2);
    });

    it("an id a contributor holds from before: the network's dump skips its rows, counted with their lines, and takes the rest; a moderator releases the id", async () => {
      await knex('community.sensor').whereIn('id', DUMP_SENSORS).delete();
      // Rejecting the squatted sensor kept mallory as its owner (the finding).
      await legacyHeld('sc-91002', SUBJECTS.mallory, 'REJECTED');
      const dump = await ingest('feed', DUMP);
      expect(dump).toMatchObject({ committed: true, read: 7, inserted: 5, rejected: [] });
      expect(dump.skipped).toEqual([{ count: 2, lines: [3, 5], reason: expect.stringMatching(/sensor sc-91002 is held by a contributor.*releaseSensorId/) }]);
      expect(await readingsOf('sc-91002')).toEqual([{ measured_at: new Date('2025-03-01T10:00:00Z'), pm25: 4 }]);

      const byContributor = await gatewayQuery(RELEASE, { id: 'sc-91002', reason: 'mine' }, headers.mallory);
      expect(byContributor.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const noReason = await gatewayQuery(RELEASE, { id: 'sc-91002', reason: ' ' }, headers.moderator);
      expect(noReason.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      const networks = await gatewayQuery(RELEASE, { id: 'sc-91001', reason: 'squatted' }, headers.moderator);
      expect(networks.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      const unknown = await gatewayQuery(RELEASE, { id: 'sc-91998', reason: 'squatted' }, headers.moderator);
      expect(unknown.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');

      const released = await gatewayQuery(RELEASE, { id: 'sc-91002', reason: 'squatted a Sensor.Community id' }, headers.moderator);
      expect(released.errors).toBeUndefined();
      const moved = released.data.releaseSensorId as string;
      expect(moved).toMatch(/^cs-[a-z2-7]{12}$/);
      // Mallory keeps her sensor, its status, readings and history, under the new id; her files still reach it by number.
      expect(await ownSensors('mallory')).toContainEqual({ localId: '91002', sensor: { id: moved, status: 'REJECTED' } });
      expect(await readingsOf(moved)).toEqual([{ measured_at: new Date('2025-03-01T10:00:00Z'), pm25: 4 }]);
      const history = await knex('community.status_history').where('sensor_id', moved).orderBy('id').select('status', 'changed_by', 'reason');
      expect(history).toEqual([
        { status: 'REJECTED', changed_by: SUBJECTS.mallory, reason: 'registered' },
        { status: 'REJECTED', changed_by: SUBJECTS.moderator, reason: 'id sc-91002 released to the Sensor.Community network: squatted a Sensor.Community id' },
      ]);
      expect(await knex('community.sensor').where('id', 'sc-91002').first()).toBeUndefined();

      const again = await ingest('feed', DUMP);
      expect(again).toMatchObject({ committed: true, inserted: 2, unchanged: 5, skipped: [], rejected: [] });
      expect(await knex('community.sensor').where('id', 'sc-91002').first()).toMatchObject({ owner_subject: null, status: 'PENDING' });
      const hers = await ingest('mallory', file(element(91002, '2025-03-02 11:00:00')));
      expect(hers).toMatchObject({ committed: true, inserted: 1 });
      expect(await readingsOf(moved)).toHaveLength(2);
      expect(await readingsOf('sc-91002')).toHaveLength(2);
    });
  });

  describe('finding 6: content swapped after review (toctou.mts)', () => {
    const csv = (note: string, survey = 'tree survey 2025 (review)') => `lon,lat,source,note\n7.75,48.58,${survey},${note}\n`;
    const notes = (review: any) => review.features.features.map((f: { properties: { note: string } }) => f.properties.note);
    /** Mallory's contribution from `survey` (its generated title names the source). */
    const contributionOf = async (survey: string) => {
      const mine = (await gatewayQuery('{ myContributions { id title } }', undefined, headers.mallory)).data.myContributions as { id: string; title: string }[];
      return mine.find((c) => c.title.includes(survey))!.id;
    };

    it('toctou.mts as the attacker ran it: the content swapped after review never goes open', async () => {
      const survey = 'tree survey 2025 (toctou)';
      expect(await ingest('mallory', csv('healthy lime tree', survey), 'citizen-csv')).toMatchObject({ committed: true, inserted: 1 });
      const id = await contributionOf(survey);
      const reviewed = await gatewayQuery('query ($id: ID!) { contribution(id: $id) { status features } }', { id }, headers.moderator);
      expect(notes(reviewed.data.contribution)).toEqual(['healthy lime tree']);
      await ingest('mallory', csv('anything mallory wants published', survey), 'citizen-csv');
      await gatewayQuery(ADD_PLAIN, { id, f: { type: 'FeatureCollection', features: [point(7.76, 48.59, 'an extra feature nobody reviewed')] } }, headers.mallory);
      // The moderator validates what they reviewed, as the script did (no version: the hub cannot know which).
      const decision = await gatewayQuery(`mutation { moderateContribution(id: "${id}", decision: VALIDATED) { status } }`, undefined, headers.moderator);
      expect(decision.errors?.[0]?.extensions?.code).toMatch(/^(GRAPHQL_VALIDATION_FAILED|BAD_USER_INPUT)$/);
      const anonymous = await gatewayQuery('query ($id: ID!) { contribution(id: $id) { features } }', { id });
      expect(anonymous.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      expect(JSON.stringify(anonymous.data ?? null)).not.toMatch(/anything mallory wants published|nobody reviewed/);
    });

    it('a moderator decides on the version they reviewed: a swap since is refused, and what goes open is what was reviewed', async () => {
      expect(await ingest('mallory', csv('healthy lime tree'), 'citizen-csv')).toMatchObject({ committed: true, inserted: 1 });
      const id = await contributionOf('tree survey 2025 (review)');
      const reviewed = (await gatewayQuery(REVIEW, { id }, headers.moderator)).data.contribution;
      expect(notes(reviewed)).toEqual(['healthy lime tree']);

      // Mallory swaps the content: a re-import of the same source, then one more feature.
      expect(await ingest('mallory', csv('anything mallory wants published'), 'citizen-csv')).toMatchObject({ committed: true, updated: 1 });
      const added = await gatewayQuery(ADD, { id, f: { type: 'FeatureCollection', features: [point(7.76, 48.59, 'an extra feature nobody reviewed')] } }, headers.mallory);
      expect(added.data.addContributionFeatures).toEqual({ featureCount: 2, version: reviewed.version + 2, status: 'PENDING' });

      const stale = await gatewayQuery(MODERATE, { id, version: reviewed.version, decision: 'VALIDATED' }, headers.moderator);
      expect(stale.errors?.[0]?.message).toMatch(/content changed since the version you reviewed/);
      expect(stale.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'STALE_VERSION', currentVersion: reviewed.version + 2 });
      expect((await gatewayQuery(REVIEW, { id })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');

      // Reviewed again, validated on that version: the open view serves exactly it.
      const current = (await gatewayQuery(REVIEW, { id }, headers.moderator)).data.contribution;
      expect(notes(current)).toEqual(['anything mallory wants published', 'an extra feature nobody reviewed']);
      const validated = await gatewayQuery(MODERATE, { id, version: current.version, decision: 'VALIDATED' }, headers.moderator);
      expect(validated.data.moderateContribution).toEqual({ status: 'VALIDATED', version: current.version });
      expect(notes((await gatewayQuery(REVIEW, { id })).data.contribution)).toEqual(notes(current));
    });

    it('a validated contribution changed by its contributor leaves the open view until a moderator decides on the new version', async () => {
      const id = await contributionOf('tree survey 2025 (review)');
      const before = (await gatewayQuery(REVIEW, { id })).data.contribution;
      expect(before.status).toBe('VALIDATED');

      // The same file again changes nothing: still validated, same version.
      expect(await ingest('mallory', csv('anything mallory wants published'), 'citizen-csv')).toMatchObject({ committed: true, unchanged: 1, updated: 0 });
      expect((await gatewayQuery(REVIEW, { id })).data.contribution).toEqual(before);

      expect(await ingest('mallory', csv('swapped after validation'), 'citizen-csv')).toMatchObject({ committed: true, updated: 1 });
      expect((await gatewayQuery(REVIEW, { id })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      expect((await gatewayQuery('{ contributions { id } }')).data.contributions.map((c: { id: string }) => c.id)).not.toContain(id);
      const mine = (await gatewayQuery(REVIEW, { id }, headers.mallory)).data.contribution;
      expect(mine).toMatchObject({ status: 'PENDING', version: before.version + 1 });
      expect(mine.history.at(-1)).toEqual({ from: 'VALIDATED', to: 'PENDING', version: before.version + 1 });
      const stale = await gatewayQuery(MODERATE, { id, version: before.version, decision: 'VALIDATED' }, headers.moderator);
      expect(stale.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'STALE_VERSION' });
    });
  });

  describe('finding 7: refusals as an oracle on other people\'s sensors (oracle.sh)', () => {
    it("oracle.sh's probes, by node number, all get the same answer: a number names the sender's own sensor", async () => {
      const open = (await gatewayQuery('{ sensors(first: 1) { edges { node { id } } } }')).data.sensors.edges[0].node.id as string;
      const poison = Number(open.slice(3));
      expect(await ingest('bob', file(element(55555, '2025-03-03 09:00:00')))).toMatchObject({ committed: true, inserted: 1 });
      const openReadings = await readingsOf(open);

      // Bob's PENDING sensor, an unknown number, an open network sensor: each probe followed by the poison.
      const reports = [];
      for (const [i, probe] of [55555, 66666, poison].entries()) {
        reports.push(await ingest(`probe${i}`, file(element(probe, '2025-03-03 09:00:00'), element(poison, '2025-03-03 09:00:00'))));
      }
      // Two sensors of the prober's own each time (the third file names one twice, so one hourly mean).
      expect(reports[0]).toMatchObject({ committed: true, read: 2, inserted: 2, skipped: [], rejected: [] });
      expect(reports[1]).toEqual(reports[0]);
      expect(reports[2]).toEqual({ ...reports[0], read: 1, inserted: 1 });
      expect(await knex('community.sensor').where('id', 'sc-66666').first()).toBeUndefined();
      expect(await readingsOf(open)).toEqual(openReadings);
      const bob = (await ownSensors('bob')).find((s) => s.localId === '55555')!.sensor.id;
      expect(await readingsOf(bob)).toEqual([{ measured_at: new Date('2025-03-03T09:00:00Z'), pm25: 3 }]);
    });

    it('any sensor that is not the sender\'s — unknown, someone else\'s PENDING or REJECTED, the network\'s open or PENDING — gets one refusal, at its own line', async () => {
      const open = (await gatewayQuery('{ sensors(first: 1) { edges { node { id } } } }')).data.sensors.edges[0].node.id as string;
      expect(await ingest('feed', file(element(PENDING_NETWORK, '2025-03-03 09:00:00')))).toMatchObject({ committed: true, inserted: 1 });
      expect(await ingest('bob', file(element(55555, '2025-03-03 09:00:00'), element(55556, '2025-03-03 09:00:00')))).toMatchObject({ committed: true });
      const bob = Object.fromEntries((await ownSensors('bob')).map((s) => [s.localId, s.sensor.id]));
      const rejected = await gatewayQuery('mutation ($id: ID!) { moderateSensor(id: $id, decision: REJECTED, reason: "duplicate") }', { id: bob['55556'] }, headers.moderator);
      expect(rejected.errors).toBeUndefined();
      await legacyHeld(`sc-${LEGACY_HELD}`, SUBJECTS.bob, 'PENDING');

      const probes = [open, `sc-${PENDING_NETWORK}`, 'sc-66666', bob['55555']!, bob['55556']!, 'cs-aaaaaaaaaaaa', `sc-${LEGACY_HELD}`];
      const refusals = new Set<string>();
      for (const probe of probes) {
        for (const [content, line] of [
          [file(element(probe, '2025-03-03 10:00:00'), element(open, '2025-03-03 10:00:00')), 1],
          [file(element(4242, '2025-03-03 10:00:00'), element(probe, '2025-03-03 10:00:00')), 2],
        ] as const) {
          const report = await ingest('mallory', content);
          expect(report, probe).toMatchObject({ committed: false, inserted: 0, updated: 0, rejected: [{ line, reason: expect.stringContaining(`"${probe}"`) }] });
          expect(report.rejected).toHaveLength(1);
          refusals.add(report.rejected[0].reason.replace(probe, '<id>'));
        }
      }
      expect([...refusals]).toEqual([expect.stringMatching(/^sensor "<id>" is not one of yours/)]);
      expect(await knex('community.sensor').where('id', 'sc-66666').first()).toBeUndefined();
      expect((await ownSensors('mallory')).map((s) => s.localId)).not.toContain('4242');
    });
  });

  describe('the minor findings of the same area', () => {
    const submit = async () => {
      const input = { title: 'Bancs (revue)', description: 'Relevé à pied', licence: 'ODBL', producerKind: 'CITIZEN', contact: 'review@example.org' };
      const submitted = await gatewayQuery(SUBMIT, { input }, headers.bob);
      expect(submitted.errors).toBeUndefined();
      return submitted.data.submitContribution.id as string;
    };
    const add = (id: string, geometry: unknown) => gatewayQuery(ADD_PLAIN, { id, f: { type: 'FeatureCollection', features: [{ type: 'Feature', geometry, properties: {} }] } }, headers.bob);

    it('addContributionFeatures refuses coordinates that are no WGS84 longitude/latitude (lon = 1e300) as BAD_USER_INPUT', async () => {
      const id = await submit();
      for (const coordinates of [[1e300, 48.58], [7.75, 91], [-180.5, 48]]) {
        const refused = await add(id, { type: 'Point', coordinates });
        expect(refused.errors?.[0]?.extensions, JSON.stringify(coordinates)).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'OUT_OF_RANGE' });
      }
      const line = await add(id, { type: 'LineString', coordinates: [[7.75, 48.58], [1e300, 48.6]] });
      expect(line.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect((await gatewayQuery(FEATURE_COUNT, { id }, headers.bob)).data.contribution).toEqual({ featureCount: 0 });
    });

    it("an invalid polygon is BAD_USER_INPUT with PostGIS's reason, never an internal error nor SQL", async () => {
      const id = await submit();
      const bowtie = await add(id, { type: 'Polygon', coordinates: [[[7.7, 48.5], [7.8, 48.6], [7.8, 48.5], [7.7, 48.6], [7.7, 48.5]]] });
      expect(bowtie.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_GEOMETRY' });
      expect(bowtie.errors?.[0]?.message).toMatch(/^feature 1: the geometry is not valid: Self-intersection\[7\.75 48\.55\]$/);
      const open = await add(id, { type: 'Polygon', coordinates: [[[7.7, 48.5], [7.8, 48.6], [7.8, 48.5], [7.7, 48.6]]] });
      expect(open.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'MALFORMED' });
      expect(open.errors?.[0]?.message).toMatch(/not closed/);
      for (const response of [bowtie, open]) expect(response.errors?.[0]?.message).not.toMatch(/select|insert|ST_|community\./i);
      expect((await gatewayQuery(FEATURE_COUNT, { id }, headers.bob)).data.contribution).toEqual({ featureCount: 0 });
    });

    it("a moderator reads a PENDING sensor's readings to review it; anonymous callers and other contributors never do", async () => {
      await ingest('feed', file(element(PENDING_NETWORK, '2025-03-04 09:00:00', 7.5)));
      const id = `sc-${PENDING_NETWORK}`;
      const reviewed = await gatewayQuery(READINGS, { id }, headers.moderator);
      expect(reviewed.errors).toBeUndefined();
      expect(reviewed.data.sensor).toMatchObject({ id, status: 'PENDING' });
      expect(reviewed.data.sensor.readings.edges.map((e: { node: unknown }) => e.node)).toContainEqual({ time: '2025-03-04T09:00:00.000Z', pm25: 7.5 });
      const anonymous = await gatewayQuery(READINGS, { id });
      expect(anonymous.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      expect(anonymous.data?.sensor ?? null).toBeNull();

      // A contributor's own PENDING sensor: its owner and moderators read it; anyone else gets what an unknown id gets.
      await ingest('mallory', file(element(31337, '2025-03-04 09:00:00', 8.5)));
      const hers = (await ownSensors('mallory')).find((s) => s.localId === '31337')!.sensor.id;
      const queue = await gatewayQuery('{ pendingSensors { id status } }', undefined, headers.moderator);
      expect(queue.data.pendingSensors).toEqual(expect.arrayContaining([{ id, status: 'PENDING' }, { id: hers, status: 'PENDING' }]));
      expect((await gatewayQuery('{ pendingSensors { id } }', undefined, headers.mallory)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      for (const who of ['moderator', 'mallory']) {
        const read = await gatewayQuery(READINGS, { id: hers }, headers[who]);
        expect(read.data.sensor.readings.edges.map((e: { node: unknown }) => e.node), who).toEqual([{ time: '2025-03-04T09:00:00.000Z', pm25: 8.5 }]);
      }
      const byBob = await gatewayQuery(READINGS, { id: hers }, headers.bob);
      const unknown = await gatewayQuery(READINGS, { id: 'cs-aaaaaaaaaaaa' }, headers.bob);
      expect(byBob.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      expect(byBob.errors?.[0]?.message.replace(hers, '<id>')).toBe(unknown.errors?.[0]?.message.replace('cs-aaaaaaaaaaaa', '<id>'));
      expect((await gatewayQuery(READINGS, { id: hers })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    });
  });
});
