import { loadConfig } from '../lib/config.ts';
import { runMain, UserFacingError } from '../lib/runtime/lifecycle.ts';
import { verifierFromConfig } from '../lib/auth/setup.ts';
import { PRODUCER_NAMES, producerNamed } from '../subgraphs/registry.ts';
import { bootProducers, scheduleJobs, schedulePulls, serveProducers } from './boot.ts';
import { startObservability } from '../lib/observability/startObservability.ts';

// `npm run subgraph -- atmo`: one producer alone, on <NAME>_DATABASE_URL / DATABASE_URL or the embedded folder.
runMain(async (lifecycle) => {
  const name = process.argv[2];
  if (!name) throw new UserFacingError(`usage: npm run subgraph -- <${PRODUCER_NAMES.join('|')}>`);
  const producer = producerNamed(name);
  const config = loadConfig();
  await startObservability(config.observability, lifecycle);
  const log = (line: string) => console.log(line);
  const booted = await bootProducers(config, lifecycle, {
    role: `subgraph ${name}`,
    producers: [name],
    seed: config.seedOnStart === 'auto',
    ports: { [name]: config.service(name, producer.defaultPort).port },
    log,
  });
  const served = await serveProducers(booted, await verifierFromConfig(config));
  log(`subgraph ${name} on ${served[name]!.url}`);
  scheduleJobs(booted, config.apiUrl);
  schedulePulls(booted);
});
