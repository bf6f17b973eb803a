import { isSubgraphName, loadConfig, SUBGRAPH_NAMES } from '../lib/config.ts';
import { openDatabase } from '../lib/db.ts';
import { createSubgraphApp, listen, prepareDatabase } from '../lib/subgraph.ts';
import { verifierFromConfig } from '../lib/auth/setup.ts';
import { loadReferential } from '../seeds/referential.ts';
import { SUBGRAPHS } from './registry.ts';
import path from 'node:path';

// `npm run subgraph -- atmo`: one producer alone, on <NAME>_DATABASE_URL / DATABASE_URL or its own embedded folder.
const name = process.argv[2] ?? '';
if (!isSubgraphName(name)) {
  console.error(`usage: npm run subgraph -- <${SUBGRAPH_NAMES.join('|')}>`);
  process.exit(2);
}
try {
  const config = loadConfig();
  const { definition, seed } = SUBGRAPHS[name];
  const db = await openDatabase(config.subgraphs[name].databaseUrl, path.join(config.dataDir, `pglite-${name}`));
  await prepareDatabase(definition, db);
  if (config.seedOnStart === 'auto') {
    await seed(db.knex, loadReferential(config.sharedDataDir), { scale: config.seedScale, secrecyThreshold: config.secrecyThreshold });
  }
  await definition.refresh?.(db, config);
  const { app } = await createSubgraphApp(definition, db, { verifier: await verifierFromConfig(config) });
  const server = await listen(app, config.subgraphs[name].port, config.host);
  console.log(`subgraph ${name} on ${server.url}`);
} catch (error) {
  console.error(error);
  process.exit(1);
}
