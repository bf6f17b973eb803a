import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.ts';
import { readOfficialGeography } from '../../subgraphs/adeus/referential.ts';
import { bearer } from '../support/auth.ts';
import { testHub } from '../support/hub.ts';
import { postGraphQL } from '../support/subgraph.ts';

/**
 * The public contract as golden files: each documented operation is a `.graphql` file in ./golden with
 * its expected answer on the deterministic seed beside it. A first comment line `# scopes: a b` sends a
 * token holding those scopes. Rewrite the answers on purpose with `npm run golden:update` and review the
 * diff. The referential's outlines differ without ../shared/data, so that case has its own answers
 * (`.fallback.json`).
 */
const GOLDEN = path.join(import.meta.dirname, 'golden');
const fallback = readOfficialGeography(loadConfig().sharedDataDir).source === 'fallback';
const operations = fs.readdirSync(GOLDEN).filter((file) => file.endsWith('.graphql')).sort();

describe('the public contract, as golden files', () => {
  let gatewayUrl: string;
  beforeAll(async () => {
    gatewayUrl = (await testHub()).gatewayUrl;
  });

  it.each(operations)('%s answers as recorded', async (file) => {
    const query = fs.readFileSync(path.join(GOLDEN, file), 'utf8');
    const scopes = /^# scopes: (.+)$/m.exec(query)?.[1]?.split(/\s+/);
    const response = await postGraphQL(gatewayUrl, query, undefined, scopes ? await bearer(scopes, 'golden-researcher') : {});
    const answer = path.join(GOLDEN, file.replace(/\.graphql$/, fallback ? '.fallback.json' : '.json'));
    // Every error carries its request's id, new for each request: recorded as a placeholder.
    const recorded = JSON.stringify(response, (key, value) => (key === 'requestId' && typeof value === 'string' ? '<request id>' : value), 2);
    await expect(`${recorded}\n`).toMatchFileSnapshot(answer);
  });
});
