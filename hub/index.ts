import { loadConfig } from '../lib/config.ts';
import { startHub } from './hub.ts';

// `npm start`: the whole hub in one process, on the embedded database unless DATABASE_URL is set.
try {
  const hub = await startHub(loadConfig(), { log: (line) => console.log(line) });
  const { startMs, databaseMs, migrateMs, seedMs } = hub.timings;
  console.log(`ready in ${startMs} ms (database ${databaseMs} ms, migrations ${migrateMs} ms, seed ${seedMs} ms) — ${hub.gatewayUrl}`);
  const stop = () => void hub.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  console.error(error);
  process.exit(1);
}
