import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { postGraphQL } from '../support/subgraph.ts';
import { bearer } from '../support/auth.ts';
import { startCommunity, type CommunityHarness } from './harness.ts';

const SUBMIT = `mutation ($input: ContributionInput!) { submitContribution(input: $input) { id status version } }`;
const ADD = `mutation ($id: ID!, $features: GeoJSON!) { addContributionFeatures(id: $id, features: $features) { id featureCount status version } }`;
const MODERATE = `mutation ($id: ID!, $version: Int!, $decision: ValidationStatus!, $reason: String) { moderateContribution(id: $id, version: $version, decision: $decision, reason: $reason) { id status version } }`;
const READ = `query ($id: ID!) { contribution(id: $id) { id title status version featureCount features
  provenance { producerKind producerName licence validationStatus } history { from to reason at version } } }`;
const INGEST = `mutation ($format: String!, $content: String!, $partial: Boolean) { ingestCommunity(format: $format, content: $content, partial: $partial) {
  producer format committed read inserted updated unchanged rejected { line reason } } }`;

const trees = {
  type: 'FeatureCollection',
  features: [
    { type: 'Feature', geometry: { type: 'Point', coordinates: [7.75, 48.58] }, properties: { essence: 'Tilia cordata' } },
    { type: 'Feature', geometry: { type: 'Point', coordinates: [7.76, 48.59] }, properties: { essence: 'Platanus' } },
  ],
};

describe('community: a citizen contributes a dataset, a moderator reviews it', () => {
  let h: CommunityHarness;
  let citizen: Record<string, string>;
  let other: Record<string, string>;
  let moderator: Record<string, string>;

  beforeAll(async () => {
    h = await startCommunity();
    citizen = await bearer(['community:contribute'], 'citizen-ana');
    other = await bearer(['community:contribute'], 'citizen-bob');
    moderator = await bearer(['community:moderate'], 'moderator-1');
  });
  afterAll(async () => {
    // The database is shared with other test files, which count the seeded sensors.
    await h?.db.knex('community.sensor').whereIn('id', ['sc-91001', 'sc-91002', 'sc-91003', 'sc-91004', 'sc-91099']).delete();
    await h?.close();
  });

  async function submit(title: string): Promise<string> {
    const r = await postGraphQL(h.server.url, SUBMIT, { input: { title, description: 'Arbres relevés à pied', licence: 'ODBL', producerKind: 'CITIZEN', contact: 'ana@example.org' } }, citizen);
    expect(r.errors).toBeUndefined();
    expect(r.data.submitContribution).toMatchObject({ status: 'PENDING', version: 1 });
    return r.data.submitContribution.id;
  }

  it('a contribution goes PENDING → VALIDATED (on the version reviewed) and only then is visible anonymously; a later change takes it back to PENDING', async () => {
    const id = await submit('Arbres de mon quartier');
    const added = await postGraphQL(h.server.url, ADD, { id, features: trees }, citizen);
    expect(added.errors).toBeUndefined();
    expect(added.data.addContributionFeatures).toMatchObject({ featureCount: 2, status: 'PENDING', version: 2 });

    const anonymous = await postGraphQL(h.server.url, READ, { id });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const list = await postGraphQL(h.server.url, '{ contributions { id } }');
    expect(list.data.contributions.map((c: { id: string }) => c.id)).not.toContain(id);
    const own = await postGraphQL(h.server.url, '{ myContributions { id status } }', {}, citizen);
    expect(own.data.myContributions).toContainEqual({ id, status: 'PENDING' });
    const notTheirs = await postGraphQL(h.server.url, ADD, { id, features: trees }, other);
    expect(notTheirs.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const queue = await postGraphQL(h.server.url, '{ pendingContributions { id } }', {}, moderator);
    expect(queue.data.pendingContributions.map((c: { id: string }) => c.id)).toContain(id);

    const validated = await postGraphQL(h.server.url, MODERATE, { id, version: 2, decision: 'VALIDATED' }, moderator);
    expect(validated.data.moderateContribution).toEqual({ id, status: 'VALIDATED', version: 2 });
    const open = await postGraphQL(h.server.url, READ, { id });
    expect(open.errors).toBeUndefined();
    const c = open.data.contribution;
    expect(c.featureCount).toBe(2);
    expect(c.features.features[0].properties).toMatchObject({ essence: 'Tilia cordata', _provenance: { producerKind: 'CITIZEN', licence: 'ODBL' } });
    expect(c.provenance).toEqual({ producerKind: 'CITIZEN', producerName: 'Citizen contributor', licence: 'ODBL', validationStatus: 'VALIDATED' });
    expect(c.history.map((x: any) => [x.from, x.to, x.version])).toEqual([[null, 'PENDING', 1], ['PENDING', 'VALIDATED', 2]]);
    const list2 = await postGraphQL(h.server.url, '{ contributions { id } }');
    expect(list2.data.contributions.map((x: { id: string }) => x.id)).toContain(id);

    const again = await postGraphQL(h.server.url, MODERATE, { id, version: 2, decision: 'REJECTED', reason: 'changed my mind' }, moderator);
    expect(again.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');

    // Features added after validation: a new version, PENDING again, out of the open view until moderated.
    const late = await postGraphQL(h.server.url, ADD, { id, features: trees }, citizen);
    expect(late.data.addContributionFeatures).toMatchObject({ featureCount: 4, status: 'PENDING', version: 3 });
    expect((await postGraphQL(h.server.url, READ, { id })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const list3 = await postGraphQL(h.server.url, '{ contributions { id } }');
    expect(list3.data.contributions.map((x: { id: string }) => x.id)).not.toContain(id);
    const mine = await postGraphQL(h.server.url, READ, { id }, citizen);
    expect(mine.data.contribution.history.at(-1)).toMatchObject({ from: 'VALIDATED', to: 'PENDING', version: 3, reason: expect.stringMatching(/added after validation/) });
    const revalidated = await postGraphQL(h.server.url, MODERATE, { id, version: 3, decision: 'VALIDATED' }, moderator);
    expect(revalidated.data.moderateContribution).toEqual({ id, status: 'VALIDATED', version: 3 });
    expect((await postGraphQL(h.server.url, READ, { id })).data.contribution.featureCount).toBe(4);
  });

  it('a rejection keeps its reason and the history; identities only for the moderator', async () => {
    const id = await submit('Relevé en double');
    const noReason = await postGraphQL(h.server.url, MODERATE, { id, version: 1, decision: 'REJECTED' }, moderator);
    expect(noReason.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const rejected = await postGraphQL(h.server.url, MODERATE, { id, version: 1, decision: 'REJECTED', reason: 'doublon du jeu ems-arbres-alignement' }, moderator);
    expect(rejected.data.moderateContribution.status).toBe('REJECTED');
    expect((await postGraphQL(h.server.url, READ, { id })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const mine = await postGraphQL(h.server.url, READ, { id }, citizen);
    expect(mine.data.contribution.history.at(-1)).toMatchObject({ from: 'PENDING', to: 'REJECTED', reason: 'doublon du jeu ems-arbres-alignement' });
    const who = await postGraphQL(h.server.url, `query ($id: ID!) { contribution(id: $id) { contributor contact history { by } } }`, { id }, moderator);
    expect(who.data.contribution).toMatchObject({ contributor: 'citizen-ana', contact: 'ana@example.org' });
    expect(who.data.contribution.history.map((x: { by: string }) => x.by)).toEqual(['citizen-ana', 'moderator-1']);
    const afterRejection = await postGraphQL(h.server.url, ADD, { id, features: trees }, citizen);
    expect(afterRejection.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const denied = await postGraphQL(h.server.url, `query ($id: ID!) { contribution(id: $id) { contributor } }`, { id }, citizen);
    expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('scopes, licences and unknown ids are checked', async () => {
    const anonymous = await postGraphQL(h.server.url, SUBMIT, { input: { title: 'x', description: 'x', licence: 'ODBL', producerKind: 'CITIZEN', contact: 'x' } });
    expect(anonymous.errors?.[0]?.extensions?.code).toMatch(/UNAUTHENTICATED|FORBIDDEN/);
    const badLicence = await postGraphQL(h.server.url, SUBMIT, { input: { title: 'x', description: 'x', licence: 'WTFPL', producerKind: 'CITIZEN', contact: 'x' } }, citizen);
    expect(badLicence.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const unknown = await postGraphQL(h.server.url, MODERATE, { id: '999999', version: 1, decision: 'VALIDATED' }, moderator);
    expect(unknown.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const notModerator = await postGraphQL(h.server.url, MODERATE, { id: '1', version: 1, decision: 'VALIDATED' }, citizen);
    expect(notModerator.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('the Sensor.Community sample ingests, re-ingests with no change, and a corrupted copy is refused whole', async () => {
    const producer = await bearer(['producer:community'], 'sc-feed');
    const content = readFileSync(new URL('../../seeds/samples/community-sensor-community.json', import.meta.url), 'utf8');
    const snapshot = async () => h.db.knex('community.reading').whereIn('sensor_id', ['sc-91001', 'sc-91002', 'sc-91003', 'sc-91004']).orderBy(['sensor_id', 'measured_at']).select('*');
    const first = await postGraphQL(h.server.url, INGEST, { format: 'sensor-community-json', content }, producer);
    expect(first.errors).toBeUndefined();
    expect(first.data.ingestCommunity).toMatchObject({ producer: 'community', committed: true, read: 7, inserted: 7, updated: 0, unchanged: 0, rejected: [] });
    const rows = await snapshot();
    expect(rows).toHaveLength(7);
    expect(rows.every((r: any) => r.synthetic === true && /synthetic/i.test(r.source))).toBe(true);
    const sensor = await h.db.knex('community.sensor').where('id', 'sc-91001').first();
    expect(sensor.status).toBe('PENDING');
    expect((await postGraphQL(h.server.url, '{ sensor(id: "sc-91001") { id } }')).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');

    const second = await postGraphQL(h.server.url, INGEST, { format: 'sensor-community-json', content }, producer);
    expect(second.data.ingestCommunity).toMatchObject({ committed: true, read: 7, inserted: 0, updated: 0, unchanged: 7 });
    expect(await snapshot()).toEqual(rows);

    const corrupted = JSON.parse(content);
    corrupted[3].sensordatavalues[0].value = '-3.0';
    corrupted[4].timestamp = '2099-01-01 00:00:00';
    corrupted[5].sensordatavalues[1].value = '8,3';
    corrupted.push({ id: 1, timestamp: '2025-01-03 00:00:00', location: { latitude: '48.6', longitude: '7.7' }, sensor: { id: 91099, sensor_type: { name: 'SDS011' } }, sensordatavalues: [{ value_type: 'P2', value: '5' }] });
    const bad = await postGraphQL(h.server.url, INGEST, { format: 'sensor-community-json', content: JSON.stringify(corrupted, null, 1) }, producer);
    expect(bad.data.ingestCommunity.committed).toBe(false);
    expect(bad.data.ingestCommunity.rejected).toEqual([
      { line: 4, reason: expect.stringMatching(/negative/) },
      { line: 5, reason: expect.stringMatching(/future/) },
      { line: 6, reason: expect.stringMatching(/not a number/) },
    ]);
    expect(await h.db.knex('community.sensor').where('id', 'sc-91099').first()).toBeUndefined();
    expect(await snapshot()).toEqual(rows);

    const truncated = await postGraphQL(h.server.url, INGEST, { format: 'sensor-community-json', content: content.slice(0, content.length / 2) }, producer);
    expect(truncated.data.ingestCommunity.committed).toBe(false);
    expect(truncated.data.ingestCommunity.rejected.at(-1).reason).toMatch(/truncated/);
    const broken = await postGraphQL(h.server.url, INGEST, { format: 'sensor-community-json', content: '{"not": "an array"}' }, producer);
    expect(broken.data.ingestCommunity.rejected).toEqual([{ line: 1, reason: expect.stringMatching(/not a JSON array/) }]);

    const partial = await postGraphQL(h.server.url, INGEST, { format: 'sensor-community-json', content: JSON.stringify(corrupted), partial: true }, producer);
    expect(partial.data.ingestCommunity).toMatchObject({ committed: true, inserted: 1, unchanged: 4 });
    expect(partial.data.ingestCommunity.rejected).toHaveLength(3);

    const validated = await postGraphQL(h.server.url, 'mutation { moderateSensor(id: "sc-91001", decision: VALIDATED) }', {}, moderator);
    expect(validated.data.moderateSensor).toBe('VALIDATED');
    const open = await postGraphQL(h.server.url, '{ sensor(id: "sc-91001") { id provenance { producerKind licence synthetic validationStatus } } }');
    expect(open.data.sensor.provenance).toEqual({ producerKind: 'CITIZEN', licence: 'ODBL', synthetic: true, validationStatus: 'VALIDATED' });

    const anonymous = await postGraphQL(h.server.url, INGEST, { format: 'sensor-community-json', content });
    expect(anonymous.errors?.[0]?.extensions?.code).toMatch(/UNAUTHENTICATED|FORBIDDEN/);
  });
});
