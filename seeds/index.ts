import path from 'node:path';
import { loadConfig, SUBGRAPH_NAMES } from '../lib/config.ts';
import { openDatabase } from '../lib/db.ts';
import { prepareDatabase } from '../lib/subgraph.ts';
import { SUBGRAPHS } from '../subgraphs/registry.ts';
import { loadReferential } from './referential.ts';

// `npm run seed [-- --scale N]`: migrate and seed every producer's schema (skipped where data exists).
const scaleArg = process.argv.indexOf('--scale');
const config = loadConfig(scaleArg > 0 ? { ...process.env, SEED_SCALE: process.argv[scaleArg + 1] } : process.env);
const db = await openDatabase(config.databaseUrl, path.join(config.dataDir, 'pglite'));
try {
  const referential = loadReferential(config.sharedDataDir);
  console.log(`referential: ${referential.source} — ${referential.sourceLabel}`);
  for (const name of SUBGRAPH_NAMES) {
    const started = Date.now();
    await prepareDatabase(SUBGRAPHS[name].definition, db);
    const report = await SUBGRAPHS[name].seed(db.knex, referential, { scale: config.seedScale, secrecyThreshold: config.secrecyThreshold });
    const rows = Object.keys(report.rows).length ? JSON.stringify(report.rows) : 'already seeded';
    console.log(`${name}: ${rows} in ${Date.now() - started} ms`);
  }
} finally {
  await db.close();
}
