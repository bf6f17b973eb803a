import { beforeAll, describe, expect, it } from 'vitest';
import { testHub } from '../support/hub.ts';
import { bearer } from '../support/auth.ts';
import type { Hub } from '../../hub/hub.ts';

/** ATMO's upload mutation with `content` as a variable, as a producer's script sends it. */
function upload(content: string): string {
  return JSON.stringify({ query: 'mutation Upload($content: String!) { ingestAtmo(content: $content, format: "indice-csv") { committed inserted } }', variables: { content } });
}

/**
 * A producer uploads a file through the `ingestAtmo` mutation (up to 5 MB of content). Deployed as compose runs
 * it, the gateway forwards the request over HTTP to ATMO's own port: whatever the gateway takes, the subgraph
 * must take too, or a valid upload would come back as a refused request body.
 */
describe('a file uploaded through the mutation, wherever the subgraph runs', () => {
  let hub: Hub;
  let producer: Record<string, string>;
  beforeAll(async () => {
    hub = await testHub();
    producer = await bearer(['producer:atmo'], 'atmo-upload-bot');
  });

  it('reaches the ingester with 4.4 MB of quoted CSV, a 5.8 MB request once JSON-escaped, at the gateway and at the subgraph', async () => {
    // Every quote and line end is escaped: the request is a quarter larger than the file. No row is valid, so
    // nothing is stored: the ingester's own report answers, not a refusal of the request body.
    const line = 'date,"code","value"\n';
    const content = line.repeat(Math.floor((4.4 * 1024 * 1024) / line.length));
    const body = upload(content);
    expect(Buffer.byteLength(body)).toBeGreaterThan(5.5 * 1024 * 1024);
    for (const url of [hub.gatewayUrl, hub.subgraph('atmo').url]) {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...producer }, body });
      const answer = (await response.json()) as { data?: { ingestAtmo?: { committed: boolean; inserted: number } }; errors?: { message: string }[] };
      expect({ url, status: response.status, errors: answer.errors?.map((e) => e.message) ?? [] }).toEqual({ url, status: 200, errors: [] });
      expect(answer.data?.ingestAtmo).toEqual({ committed: expect.any(Boolean), inserted: 0 });
    }
  });

  it('refuses more than 5 MB of content with the mutation\'s own message, naming the ways that stream', async () => {
    const body = upload('x'.repeat(5 * 1024 * 1024 + 1));
    for (const url of [hub.gatewayUrl, hub.subgraph('atmo').url]) {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...producer }, body });
      const answer = (await response.json()) as { errors?: { message: string; extensions?: { code?: string } }[] };
      expect({ url, error: answer.errors?.[0] }).toMatchObject({ url, error: { message: expect.stringMatching(/larger than 5 MB: use the ingest CLI or POST \/ingest/), extensions: { code: 'BAD_USER_INPUT' } } });
    }
  });
});
