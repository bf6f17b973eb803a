import { loadConfig, SUBGRAPH_NAMES, type SubgraphName } from '../lib/config.ts';
import { listen } from '../lib/subgraph.ts';
import { createGatewayApp } from './gateway.ts';
import { verifierFromConfig } from '../lib/auth/setup.ts';
import { openDatabase } from '../lib/db.ts';
import { migrateAudit, recordAccess } from '../lib/audit.ts';
import path from 'node:path';

// `npm run gateway`: the gateway alone, in front of subgraphs started elsewhere (<NAME>_URL).
try {
  const config = loadConfig();
  const subgraphUrls = Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, config.subgraphs[name].url])) as Record<SubgraphName, string>;
  // The gateway writes its audit records to AUDIT_DATABASE_URL, else DATABASE_URL, else its own embedded folder.
  const auditDb = await openDatabase(config.auditDatabaseUrl, path.join(config.dataDir, 'pglite-audit'));
  await migrateAudit(auditDb);
  const { app } = await createGatewayApp({
    subgraphUrls,
    verifier: await verifierFromConfig(config),
    mode: config.auth.mode,
    audit: (entry) => recordAccess(auditDb.knex, entry),
  });
  const server = await listen(app, config.gatewayPort, config.host);
  console.log(`gateway on ${server.url}`);
} catch (error) {
  console.error(error);
  process.exit(1);
}
