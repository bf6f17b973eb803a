import { loadConfig } from '../lib/config.ts';
import { startHub } from './hub.ts';

// `npm start`: the whole hub in one process, on the embedded database unless DATABASE_URL is set.
try {
  const hub = await startHub(loadConfig(), { log: (line) => console.log(line) });
  console.log(`ready in ${hub.timings.startMs} ms (seed ${hub.timings.seedMs} ms) — ${hub.gatewayUrl}`);
  const stop = () => void hub.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  console.error(error);
  process.exit(1);
}
