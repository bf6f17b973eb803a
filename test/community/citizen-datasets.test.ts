import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { postGraphQL } from '../support/subgraph.ts';
import { bearer } from '../support/auth.ts';
import { startCommunity, type CommunityHarness } from './harness.ts';

const INGEST = `mutation ($format: String!, $content: String!, $partial: Boolean) { ingestCommunity(format: $format, content: $content, partial: $partial) {
  committed read inserted updated unchanged rejected { line reason } } }`;
const sample = (name: string) => readFileSync(new URL(`../../seeds/samples/${name}`, import.meta.url), 'utf8');

describe('community: a citizen imports a dataset file (CSV with lon/lat, or GeoJSON) as a PENDING contribution', () => {
  let h: CommunityHarness;
  beforeAll(async () => {
    h = await startCommunity();
  });
  afterAll(async () => {
    await h?.close();
  });

  for (const [format, file, count] of [['citizen-csv', 'community-citizen-dataset.csv', 4], ['citizen-geojson', 'community-citizen-dataset.geojson', 3]] as const) {
    it(`${file}: imports, re-imports with no change, a corrupted copy is refused with line-accurate reasons`, async () => {
      const citizen = await bearer(['community:contribute'], `importer-${format}`);
      const content = sample(file);
      const first = await postGraphQL(h.server.url, INGEST, { format, content }, citizen);
      expect(first.errors).toBeUndefined();
      expect(first.data.ingestCommunity).toMatchObject({ committed: true, read: count, inserted: count, updated: 0, unchanged: 0, rejected: [] });
      const mine = await postGraphQL(h.server.url, '{ myContributions { id status featureCount provenance { synthetic producerKind licence } } }', {}, citizen);
      expect(mine.data.myContributions).toHaveLength(1);
      expect(mine.data.myContributions[0]).toMatchObject({ status: 'PENDING', featureCount: count, provenance: { synthetic: true, producerKind: 'CITIZEN', licence: 'ODBL' } });
      const id = mine.data.myContributions[0].id;
      expect((await postGraphQL(h.server.url, 'query ($id: ID!) { contribution(id: $id) { id } }', { id })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      const snapshot = () => h.db.knex('community.contribution_feature').where('contribution_id', id).orderBy('feature_no').select('feature_no', 'properties', h.db.knex.raw('ST_AsText(geom) as wkt'));
      const before = await snapshot();

      const again = await postGraphQL(h.server.url, INGEST, { format, content }, citizen);
      expect(again.data.ingestCommunity).toMatchObject({ committed: true, inserted: 0, updated: 0, unchanged: count });
      expect(await snapshot()).toEqual(before);

      const corrupted = format === 'citizen-csv'
        ? content.replace('7.7601,48.5779', 'abc,48.5779').replace('7.7490,48.5800', '7.7490,148.5800') + '7.75,48.58,banc,bon,TIGA synthetic sample v1 (not real citizen data),true\n'
        : content.replace('[7.7601, 48.5779]', '["x", 48.5779]').replace('"type": "Feature", "geometry": {"type": "LineString"', '"type": "Feature", "geometry": null, "x": {"type": "LineString"');
      const bad = await postGraphQL(h.server.url, INGEST, { format, content: corrupted }, citizen);
      expect(bad.data.ingestCommunity.committed).toBe(false);
      expect(bad.data.ingestCommunity.rejected.map((r: { line: number }) => r.line)).toEqual(format === 'citizen-csv' ? [3, 5] : [2, 3]);
      expect(await snapshot()).toEqual(before);
      const truncated = await postGraphQL(h.server.url, INGEST, { format, content: content.slice(0, Math.floor(content.length * 0.6)) + (format === 'citizen-csv' ? '"' : '') }, citizen);
      expect(truncated.data.ingestCommunity.committed).toBe(false);
      expect(await snapshot()).toEqual(before);
    });
  }
});
