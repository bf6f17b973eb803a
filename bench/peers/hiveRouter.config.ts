import { defineConfig } from '@graphql-hive/gateway';

/**
 * Hive Gateway's configuration for the peer benchmark's `hive-router` stack (with `--hive-router-runtime`, its
 * Rust query planner): its defaults, but no deduplication of identical subgraph requests in flight, which its
 * HTTP transport does by default (`deduplicateInflightRequests`). Our gateway and @apollo/gateway do not
 * deduplicate: this stack measures the planner and executor alone. The `hive` stack keeps every default.
 */
export const gatewayConfig = defineConfig({
  transportEntries: { '*': { options: { deduplicateInflightRequests: false } } },
});
