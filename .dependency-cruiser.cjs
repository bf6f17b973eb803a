/**
 * The house's dependency rules (STYLE.md "Dependencies run one way"), checked by test/structure/dependencies.test.ts.
 *   gateway/ → lib/ (and the composed supergraph file, which is not code)
 *   hub/, scripts/, bench/ → subgraphs/registry.ts, seeds/ → subgraphs/<producer>/ → lib/
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'gateway-loads-no-producer',
      comment: 'The gateway federates what the supergraph file says; it never loads a producer or a seed.',
      severity: 'error',
      from: { path: '^gateway/' },
      to: { path: '^(subgraphs|seeds|hub|scripts|bench)/' },
    },
    {
      name: 'gateway-reaches-no-producer',
      comment: 'Not even through a shared module: `npm run gateway` must not load producer code to read a path.',
      severity: 'error',
      from: { path: '^gateway/' },
      to: { path: '^(subgraphs|seeds)/', reachable: true },
    },
    {
      name: 'lib-imports-no-service',
      comment: 'lib/ holds only what every service shares.',
      severity: 'error',
      from: { path: '^lib/' },
      to: { path: '^(gateway|subgraphs|seeds|hub|scripts|bench|schema|test)/' },
    },
    {
      name: 'producers-import-no-seed',
      comment: 'Seeds import producers, never the reverse.',
      severity: 'error',
      from: { path: '^subgraphs/' },
      to: { path: '^(seeds|hub|scripts|bench|gateway|schema|test)/' },
    },
    {
      name: 'producers-are-independent',
      comment: 'A producer never imports another producer (the registry alone lists them all).',
      severity: 'error',
      from: { path: '^subgraphs/([^/]+)/' },
      to: { path: '^subgraphs/', pathNot: ['^subgraphs/$1/'] },
    },
    {
      name: 'seeds-feed-producers-only',
      comment: 'Seeds write through producers; they never start services.',
      severity: 'error',
      from: { path: '^seeds/' },
      to: { path: '^(gateway|hub|scripts|bench|test)/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: { path: '^(lib|gateway|subgraphs|seeds|hub|scripts|bench)/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Tests may reach anything (a producer's own tests sit in its folder and drive the whole hub).
    exclude: { path: ['^(node_modules|data)/', '\\.test\\.ts$'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.js', '.json'] },
  },
};
