import { loadConfig } from '../lib/config.ts';
import { runMain, UserFacingError } from '../lib/runtime/lifecycle.ts';
import { producerNamed } from '../subgraphs/registry.ts';
import { bootProducers } from '../hub/boot.ts';

/**
 * `npm run job -- <producer> <job> [--api <url>]`: runs one of a producer's jobs once (`npm run qc` is
 * `community quality-control`). Jobs read other producers' data through the hub's public API
 * (TIGA_API_URL, default the local gateway), so the hub must be running. With the embedded database the
 * running hub holds the folder and runs its jobs itself; this command is for PostgreSQL deployments.
 */
runMain(async (lifecycle) => {
  const args = process.argv.slice(2);
  const apiAt = args.indexOf('--api');
  const [producerName, jobName] = args.filter((a, i) => !a.startsWith('--') && (apiAt < 0 || i !== apiAt + 1));
  if (!producerName || !jobName) throw new UserFacingError('usage: npm run job -- <producer> <job> [--api <url>]');
  const producer = producerNamed(producerName);
  const job = producer.jobs.find((j) => j.name === jobName);
  if (!job) throw new UserFacingError(`${producerName} has no job "${jobName}" (${producer.jobs.map((j) => j.name).join(', ') || 'none'})`);
  const config = loadConfig();
  const log = (line: string) => console.log(line);
  const booted = await bootProducers(config, lifecycle, { role: `job ${producerName}/${jobName}`, producers: [producerName], seed: false, log });
  const apiUrl = (apiAt >= 0 ? args[apiAt + 1] : undefined) ?? config.apiUrl;
  log(await job.run({ db: booted.dbs.of(producerName), settings: booted.settings[producerName], apiUrl, log }));
  return { done: true };
});
