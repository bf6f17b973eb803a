import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ingestFile } from '../../scripts/ingest.ts';
import { unnameUploaders } from '../../subgraphs/community/migrations/004_sensor_owners.ts';
import { postGraphQL } from '../support/subgraph.ts';
import { bearer } from '../support/auth.ts';
import { startCommunity, type CommunityHarness } from './harness.ts';

const INGEST = `mutation ($content: String!) { ingestCommunity(format: "sensor-community-json", content: $content) { committed inserted updated rejected { line reason } } }`;
const CITIZEN_SENSOR = 990001;
const NETWORK_SENSOR = 990002;
const LEGACY_SENSOR = 990003;
const OURS = [CITIZEN_SENSOR, NETWORK_SENSOR, LEGACY_SENSOR].map((n) => `sc-${n}`);
const LEGACY_UPLOADER = 'legacy-uploader-7f3a';

const reading = (sensor: number | string, pm25: number) => ({
  timestamp: '2025-01-12 09:00:00',
  location: { latitude: '48.58', longitude: '7.75' },
  sensor: { id: sensor, sensor_type: { name: 'SDS011' } },
  sensordatavalues: [{ value_type: 'P2', value: String(pm25) }],
});

describe("community: a sensor's owner, the operator's CLI and the upgrade of earlier uploads", () => {
  let h: CommunityHarness;
  let folder: string;

  beforeAll(async () => {
    h = await startCommunity();
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'tiga-owners-'));
  });
  afterAll(async () => {
    await h?.db.knex('community.sensor').whereIn('id', OURS).delete();
    await h?.db.knex('community.sensor').where('owner_subject', 'owner-7f3a').delete();
    await h?.db.knex('community.contribution').where('contributor', LEGACY_UPLOADER).delete();
    fs.rmSync(folder, { recursive: true, force: true });
    await h?.close();
  });

  it("the operator's CLI feeds the network's sensors, never a contributor's: their rows are skipped and counted, the rest goes in", async () => {
    const citizen = await bearer(['community:contribute'], 'owner-7f3a');
    const registered = await postGraphQL(h.server.url, INGEST, { content: JSON.stringify([reading(CITIZEN_SENSOR, 5)]) }, citizen);
    expect(registered.data.ingestCommunity).toMatchObject({ committed: true, inserted: 1 });
    const own = await h.db.knex('community.sensor').where({ owner_subject: 'owner-7f3a', local_id: String(CITIZEN_SENSOR) }).first();
    expect(own.id).toMatch(/^cs-[a-z2-7]{12}$/);
    // A contributor's number never occupies the network's id.
    expect(await h.db.knex('community.sensor').where('id', `sc-${CITIZEN_SENSOR}`).first()).toBeUndefined();

    const dump = (name: string, content: unknown[]) => {
      const file = path.join(folder, name);
      fs.writeFileSync(file, JSON.stringify(content));
      return file;
    };
    const network = await ingestFile(h.db.knex, 'community', dump('network.json', [reading(NETWORK_SENSOR, 6)]));
    expect(network).toMatchObject({ committed: true, inserted: 1 });
    expect(await h.db.knex('community.sensor').where('id', `sc-${NETWORK_SENSOR}`).first()).toMatchObject({ status: 'PENDING', owner_subject: null, local_id: null, source: 'network.json' });

    const intrusion = await ingestFile(h.db.knex, 'community', dump('mixed.json', [reading(NETWORK_SENSOR, 7), reading(own.id, 777.7)]));
    expect(intrusion).toMatchObject({ committed: true, updated: 1, rejected: [], skipped: [{ count: 1, lines: [2], reason: expect.stringMatching(new RegExp(`sensor ${own.id} is a contributor's own, not the network's`)) }] });
    const stored = await h.db.knex('community.reading').whereIn('sensor_id', [own.id, `sc-${NETWORK_SENSOR}`]).orderBy('sensor_id').select('sensor_id', 'pm25');
    expect(stored).toEqual([{ sensor_id: own.id, pm25: 5 }, { sensor_id: `sc-${NETWORK_SENSOR}`, pm25: 7 }]);
  });

  it('upgrading to 004_sensor_owners takes the uploader out of the titles and sources earlier API uploads generated', async () => {
    const legacy = `API upload by ${LEGACY_UPLOADER}`;
    const [{ id }] = await h.db.knex('community.contribution')
      .insert({ title: `Citizen dataset: ${legacy}`, description: 'Imported file', licence: 'ODBL', producer_kind: 'CITIZEN', contact: LEGACY_UPLOADER, contributor: LEGACY_UPLOADER, status: 'VALIDATED', submitted_at: '2025-01-01T00:00:00Z', source: legacy, synthetic: false })
      .returning('id');
    await h.db.knex('community.sensor').insert({
      id: `sc-${LEGACY_SENSOR}`, sensor_type: 'SDS011', measures: ['P2'], geom: h.db.knex.raw('ST_SetSRID(ST_MakePoint(7.75, 48.58), 4326)'),
      status: 'VALIDATED', producer_kind: 'CITIZEN', producer_name: 'Sensor.Community contributor (citizen)', licence: 'ODBL', source: legacy, synthetic: false,
    });
    const untouched = await h.db.knex('community.contribution').whereNot('id', id).orderBy('id').select('id', 'title', 'source');

    await unnameUploaders(h.db.knex);

    expect(await h.db.knex('community.contribution').where('id', id).first('title', 'source', 'contributor')).toEqual({
      title: 'Citizen dataset: upload through the TIGA API',
      source: 'upload through the TIGA API',
      contributor: LEGACY_UPLOADER,
    });
    expect((await h.db.knex('community.sensor').where('id', `sc-${LEGACY_SENSOR}`).first()).source).toBe('upload through the TIGA API');
    expect(await h.db.knex('community.contribution').whereNot('id', id).orderBy('id').select('id', 'title', 'source')).toEqual(untouched);
  });
});
