import { loadConfig, SUBGRAPH_NAMES, type SubgraphName } from '../lib/config.ts';
import { listen } from '../lib/subgraph.ts';
import { createGatewayApp } from './gateway.ts';

// `npm run gateway`: the gateway alone, in front of subgraphs started elsewhere (<NAME>_URL).
try {
  const config = loadConfig();
  const subgraphUrls = Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, config.subgraphs[name].url])) as Record<SubgraphName, string>;
  const { app } = await createGatewayApp({ subgraphUrls });
  const server = await listen(app, config.gatewayPort, config.host);
  console.log(`gateway on ${server.url}`);
} catch (error) {
  console.error(error);
  process.exit(1);
}
