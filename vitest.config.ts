import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // Node (tsx) loads graphql's CommonJS build, as do @apollo/*; Vite would pick its .mjs build and the
    // two copies' classes would not recognise each other. Tests load what production loads.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    include: ['test/**/*.test.ts', 'subgraphs/**/*.test.ts', 'gateway/**/*.test.ts'],
    // One worker, shared module state: the whole hub (database, four subgraphs, gateway) boots once
    // for the suite instead of once per file (PGlite + PostGIS alone takes ~8 s to start).
    maxWorkers: 1,
    isolate: false,
    fileParallelism: false,
    // Secondary suppression is ordered by a keyed hash: a fixed key keeps the golden answers stable.
    // LOG_LEVEL: the suite's thousands of requests would each write an access-log line (tests that read
    // the log raise the level while they capture it: test/observability/logs.test.ts).
    // Rate limits: every test is one client (127.0.0.1) firing thousands of requests at the shared hub; its
    // budgets are the operator's defaults' business, tested with those defaults' semantics on gateways of their
    // own (test/resilience/rate-limits.test.ts).
    env: {
      TIGA_SECRECY_COST_KEY: 'tiga-test-suite: a fixed key, not a secret',
      LOG_LEVEL: 'warn',
      TIGA_RATE_LIMIT_PER_SECOND: '100000',
      TIGA_RATE_LIMIT_BURST: '1000000',
      TIGA_MAX_CONCURRENT_PER_CLIENT: '10000',
      TIGA_EXPENSIVE_SLOTS: '10000',
      TIGA_EXPENSIVE_PER_CLIENT: '10000',
      TIGA_COST_PER_MINUTE: '1000000000000',
      TIGA_HUB_COST_PER_MINUTE: '1000000000000',
    },
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});
