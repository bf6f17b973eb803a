import { loadConfig } from '../lib/config.ts';
import { runMain } from '../lib/runtime/lifecycle.ts';
import { startHub } from './hub.ts';
import { startObservability } from '../lib/observability/startObservability.ts';

// `npm start`: the whole hub in one process, on the embedded database unless DATABASE_URL is set.
runMain(async (lifecycle) => {
  const config = loadConfig();
  await startObservability(config.observability, lifecycle);
  const hub = await startHub(config, { lifecycle, log: (line) => console.log(line) });
  const { startMs, databaseMs, migrateMs, seedMs } = hub.timings;
  console.log(`ready in ${startMs} ms (database ${databaseMs} ms, migrations ${migrateMs} ms, seed ${seedMs} ms) — ${hub.gatewayUrl}`);
});
