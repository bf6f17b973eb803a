import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { postGraphQL } from '../support/subgraph.ts';
import { bearer } from '../support/auth.ts';
import { startCommunity, type CommunityHarness } from './harness.ts';

const REQUESTS = '{ datasetRequests { id title status statusReason votes synthetic } }';
const VOTE = 'mutation ($id: ID!) { voteForDatasetRequest(id: $id) { id votes } }';
const STATUS = 'mutation ($id: ID!, $status: DatasetRequestStatus!, $reason: String) { setDatasetRequestStatus(id: $id, status: $status, reason: $reason) { id status statusReason } }';

describe('community: transparency indicators and the users\' committee dataset requests', () => {
  let h: CommunityHarness;
  beforeAll(async () => {
    h = await startCommunity();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('anyone reads the transparency catalogue with values over time, and a decision process step by step', async () => {
    const r = await postGraphQL(h.server.url, '{ transparencyIndicators { id name definition method unit periodicity ownerService synthetic source values { period value } } }');
    expect(r.errors).toBeUndefined();
    const list = r.data.transparencyIndicators;
    expect(list.length).toBeGreaterThanOrEqual(5);
    for (const i of list) {
      expect(i.synthetic).toBe(true);
      expect(i.source).toMatch(/synthetic/);
      expect(i.values.length).toBeGreaterThanOrEqual(8);
      expect(i.values.map((v: { period: string }) => v.period)).toEqual([...i.values.map((v: { period: string }) => v.period)].sort());
      if (i.unit === '%') expect(i.values.every((v: { value: number }) => v.value >= 0 && v.value <= 100)).toBe(true);
    }
    const p = await postGraphQL(h.server.url, '{ decisionProcess(id: "open-data-publication") { title summary steps { step title explanation who typicalDuration } } }');
    expect(p.data.decisionProcess.steps.map((s: { step: number }) => s.step)).toEqual([1, 2, 3, 4, 5]);
    expect(p.data.decisionProcess.steps[2].who).toBe('Comité des usagers');
    const missing = await postGraphQL(h.server.url, '{ decisionProcess(id: "nope") { id } }');
    expect(missing.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('a user requests a dataset, others vote once each, a moderator declines with a reason; the list is sorted by votes', async () => {
    const ana = await bearer([], 'ana');
    const anonymous = await postGraphQL(h.server.url, 'mutation { requestDataset(title: "x", description: "y") { id } }');
    expect(anonymous.errors?.[0]?.extensions?.code).toMatch(/UNAUTHENTICATED|FORBIDDEN/);
    const created = await postGraphQL(h.server.url, 'mutation { requestDataset(title: "Bancs publics", description: "Pour les promenades des aînés") { id status votes } }', {}, ana);
    expect(created.data.requestDataset).toMatchObject({ status: 'RECEIVED', votes: 0 });
    const id = created.data.requestDataset.id;
    expect((await postGraphQL(h.server.url, VOTE, { id }, ana)).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    for (let v = 0; v < 15; v++) {
      const voter = await bearer([], `voter-${v}`);
      await postGraphQL(h.server.url, VOTE, { id }, voter);
      if (v === 0) expect((await postGraphQL(h.server.url, VOTE, { id }, voter)).data.voteForDatasetRequest.votes).toBe(1);
    }
    const list = (await postGraphQL(h.server.url, REQUESTS)).data.datasetRequests;
    expect(list[0]).toMatchObject({ id, votes: 15 });
    const votes = list.map((r: { votes: number }) => r.votes);
    expect(votes).toEqual([...votes].sort((a, b) => b - a));
    expect(list.find((r: any) => r.status === 'DECLINED').statusReason).toMatch(/RGPD/);

    const moderator = await bearer(['community:moderate'], 'mod');
    expect((await postGraphQL(h.server.url, STATUS, { id, status: 'PLANNED' }, ana)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await postGraphQL(h.server.url, STATUS, { id, status: 'DECLINED' }, moderator)).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const declined = await postGraphQL(h.server.url, STATUS, { id, status: 'DECLINED', reason: 'déjà publié par la ville' }, moderator);
    expect(declined.data.setDatasetRequestStatus).toMatchObject({ status: 'DECLINED', statusReason: 'déjà publié par la ville' });
    const who = await postGraphQL(h.server.url, 'query { datasetRequests { id requestedBy } }', {}, moderator);
    expect(who.data.datasetRequests.find((r: { id: string }) => r.id === id).requestedBy).toBe('ana');
    expect((await postGraphQL(h.server.url, VOTE, { id: '99999999' }, ana)).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});
