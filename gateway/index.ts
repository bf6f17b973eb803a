import { loadConfig } from '../lib/config.ts';
import { runMain } from '../lib/runtime/lifecycle.ts';
import { lockIfEmbedded, openDatabases } from '../lib/runtime/databases.ts';
import { migrateServices } from '../lib/runtime/migrations.ts';
import { claimPort } from '../lib/runtime/server.ts';
import { verifierFromConfig } from '../lib/auth/setup.ts';
import { recordAccess } from '../lib/audit.ts';
import { createGatewayApp, gatewaySettings } from './gateway.ts';
import { changeSourcesOf } from '../lib/changes/changeSourcesOf.ts';
import { readSupergraph, subgraphsOf } from './supergraph.ts';
import { startObservability } from '../lib/observability/startObservability.ts';

/**
 * `npm run gateway`: the gateway alone, in front of subgraphs started elsewhere. It learns them from the
 * supergraph file (`<NAME>_URL` overrides a URL) and writes its audit records where the platform subgraph
 * reads them: AUDIT_DATABASE_URL, else PLATFORM_DATABASE_URL, else DATABASE_URL, else the embedded folder.
 */
runMain(async (lifecycle) => {
  const config = loadConfig();
  await startObservability(config.observability, lifecycle);
  const log = (line: string) => console.log(line);
  const supergraphSdl = readSupergraph();
  const plan = new Map([['audit', config.auditDatabaseUrl]]);
  const lock = lockIfEmbedded(config, plan, 'gateway', lifecycle, log);
  const server = await claimPort(config.gatewayPort, config.host);
  lifecycle.onStop('gateway server', () => server.close(config.shutdownTimeoutMs));
  const dbs = await openDatabases(config, plan, lifecycle, { lock });
  await migrateServices(dbs, []);
  const auditDb = dbs.of('audit');
  const producerUrls = subgraphsOf(supergraphSdl).filter(({ name }) => name !== 'platform').map(({ name }) => config.service(name).databaseUrl);
  const subgraphUrls = Object.fromEntries(subgraphsOf(supergraphSdl).map(({ name, url }) => [name, config.service(name).url ?? url]));
  const { app, server: apollo } = await createGatewayApp({
    supergraphSdl,
    subgraphUrls,
    verifier: await verifierFromConfig(config),
    ...gatewaySettings(config),
    audit: (entry) => recordAccess(auditDb.knex, entry),
    // The producers' databases, listened to for committed writes (a producer on the embedded database has no URL to
    // listen on from another process: then no entity cache).
    answerCache: config.answerCache,
    changes: config.entityCache && producerUrls.every(Boolean) ? changeSourcesOf(producerUrls.map((url) => ({ url }))) : undefined,
  });
  lifecycle.onStop('gateway', () => apollo.stop());
  server.attach(app);
  lifecycle.onStop('gateway drain', () => server.close(config.shutdownTimeoutMs));
  lock?.update({ gatewayUrl: server.url });
  log(`gateway on ${server.url}`);
});
