import { loadConfig } from '../lib/config.ts';
import path from 'node:path';
import { openDatabase } from '../lib/db.ts';
import { prepareDatabase } from '../lib/subgraph.ts';
import { community } from '../subgraphs/community/index.ts';
import { runQualityControl } from '../subgraphs/community/quality.ts';

/**
 * Citizen-sensor quality control: `npm run qc [-- --api <url>]`. Reads the reference stations through the
 * hub's public API (TIGA_API_URL, default the local gateway), so the hub must be running.
 */
const args = process.argv.slice(2);
const apiIndex = args.indexOf('--api');
const config = loadConfig();
const apiUrl = (apiIndex >= 0 ? args[apiIndex + 1] : undefined) ?? config.apiUrl;
// The embedded PGlite folder is held by the running hub, which runs this job itself every
// TIGA_QC_INTERVAL_MINUTES; this command is for PostgreSQL deployments (COMMUNITY_DATABASE_URL / DATABASE_URL).
const db = await openDatabase(config.subgraphs.community.databaseUrl, path.join(config.dataDir, 'pglite'));
try {
  await prepareDatabase(community, db);
  const results = await runQualityControl(db, { apiUrl });
  for (const q of results) {
    const flags = q.flags.map((f) => `${f.code}×${f.count}`).join(' ') || '-';
    console.log(`${q.sensorId}\tscore ${q.score.toFixed(2)}\tstation ${q.referenceStation ?? '-'}\tr ${q.correlation ?? '-'}\tbias ${q.bias ?? '-'}\t${flags}`);
  }
  console.log(`quality computed for ${results.length} sensors against ${apiUrl}`);
} finally {
  await db.close();
}
