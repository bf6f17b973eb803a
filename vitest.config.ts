import { defineConfig } from 'vitest/config';

// One worker, shared module state: the whole hub (database, four subgraphs, gateway) boots once
// for the suite instead of once per file (PGlite + PostGIS alone takes ~8 s to start).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'subgraphs/**/*.test.ts', 'gateway/**/*.test.ts'],
    maxWorkers: 1,
    isolate: false,
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});
