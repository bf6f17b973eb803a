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
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});
