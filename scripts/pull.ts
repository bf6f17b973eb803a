import { loadConfig } from '../lib/config.ts';
import { runMain, UserFacingError } from '../lib/runtime/lifecycle.ts';
import { pullOnce, readSources } from '../lib/ingest/pull.ts';
import { producerNamed } from '../subgraphs/registry.ts';
import { bootProducers } from '../hub/boot.ts';

/**
 * `npm run pull -- [<producer> [<source>]]`: pulls the web sources declared in TIGA_SOURCES once, now (the
 * process serving a producer pulls them on their schedule). With the embedded database a running hub owns
 * the folder and pulls by itself; this command is for PostgreSQL deployments and for trying a source.
 */
runMain(async (lifecycle) => {
  const [producerName, sourceName] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const config = loadConfig();
  if (!config.sourcesFile) throw new UserFacingError('TIGA_SOURCES names no file of sources');
  const sources = readSources(config.sourcesFile).filter((s) => (!producerName || s.producer === producerName) && (!sourceName || s.name === sourceName));
  if (!sources.length) throw new UserFacingError('no declared source matches');
  const names = [...new Set(sources.map((s) => s.producer))];
  for (const name of names) producerNamed(name);
  const booted = await bootProducers(config, lifecycle, { role: 'pull', producers: names, seed: false, log: (line) => console.error(line) });
  let failed = false;
  for (const source of sources) {
    const outcome = await pullOnce(booted.dbs.of(source.producer), producerNamed(source.producer), source);
    failed ||= outcome.status === 'failed' || outcome.status === 'refused';
    console.log(`${source.producer}/${source.name}: ${outcome.status}${outcome.report ? ` — read ${outcome.report.read}, inserted ${outcome.report.inserted}, updated ${outcome.report.updated}, unchanged ${outcome.report.unchanged}` : ''}${outcome.error ? ` — ${outcome.error}` : ''}`);
  }
  return { done: true, exitCode: failed ? 1 : 0 };
});
