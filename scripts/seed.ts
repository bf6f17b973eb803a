import { loadConfig } from '../lib/config.ts';
import { runMain } from '../lib/runtime/lifecycle.ts';
import { PRODUCER_NAMES } from '../subgraphs/registry.ts';
import { bootProducers } from '../hub/boot.ts';

// `npm run seed [-- --scale N]`: migrate every producer's schema and seed the empty ones.
runMain(async (lifecycle) => {
  const scaleAt = process.argv.indexOf('--scale');
  const config = loadConfig(scaleAt > 0 ? { ...process.env, SEED_SCALE: process.argv[scaleAt + 1] } : process.env);
  const booted = await bootProducers(config, lifecycle, { role: 'seed', producers: [...PRODUCER_NAMES], seed: true, log: (line) => console.log(line) });
  const seeded = new Set(booted.seeded.filter((r) => Object.keys(r.rows).length).map((r) => r.subgraph));
  for (const name of PRODUCER_NAMES) if (!seeded.has(name)) console.log(`${name}: already seeded, or no seed`);
  console.log(`done in ${booted.timings.databaseMs + booted.timings.migrateMs + booted.timings.seedMs} ms`);
  return { done: true };
});
