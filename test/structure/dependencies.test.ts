import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { cruise, type IReporterOutput } from 'dependency-cruiser';
import { PROJECT_ROOT } from '../../lib/config.ts';

const require = createRequire(import.meta.url);
const CODE = ['gateway', 'lib', 'subgraphs', 'seeds', 'hub', 'scripts', 'bench', 'schema'];

/**
 * The house's one-way dependencies (STYLE.md), checked with dependency-cruiser against the rules in
 * .dependency-cruiser.cjs: the gateway reaches no producer or seed, even indirectly; producers import
 * neither each other nor seeds; lib/ imports no service; no cycles.
 */
describe('dependencies run one way', () => {
  it('breaks no rule of .dependency-cruiser.cjs', async () => {
    const cwd = process.cwd();
    process.chdir(PROJECT_ROOT);
    try {
      const config = require(path.join(PROJECT_ROOT, '.dependency-cruiser.cjs'));
      const result = (await cruise(CODE, { ...config.options, ruleSet: { forbidden: config.forbidden }, validate: true, outputType: 'err' })) as IReporterOutput;
      const summary = typeof result.output === 'string' ? result.output : '';
      expect(summary).toMatch(/no dependency violations found/);
    } finally {
      process.chdir(cwd);
    }
  }, 60_000);

  it("imports no package's internal dist/ path", () => {
    const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts'], { cwd: PROJECT_ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
    const internal = files.filter((file) => fs.existsSync(path.join(PROJECT_ROOT, file)) && /from '(@[^/']+\/)?[^./'][^']*\/dist\//.test(fs.readFileSync(path.join(PROJECT_ROOT, file), 'utf8')));
    expect(internal).toEqual([]);
  });
});
