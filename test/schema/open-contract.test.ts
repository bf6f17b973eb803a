import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildASTSchema, buildSchema, parse } from 'graphql';
import { composeSupergraph } from '../../schema/compose.ts';
import { OPEN_CONTRACT_PATH } from '../../lib/paths.ts';
import { readAccessPolicy } from '../../lib/auth/policy.ts';

// The open data portal federates only `schema/open.graphql`: it must be current and hold nothing restricted.
describe('the open contract', () => {
  const composed = composeSupergraph();
  const policy = readAccessPolicy(buildASTSchema(parse(composed.supergraphSdl), { assumeValidSDL: true }));
  const open = fs.readFileSync(OPEN_CONTRACT_PATH, 'utf8');

  it('is committed as generated (run `npm run compose`)', () => {
    expect(open).toBe(composed.openContract);
  });

  it('contains no restricted field or type, not even by name in a description', () => {
    const schema = buildSchema(open);
    const openFieldNames = new Set(
      Object.values(schema.getTypeMap()).flatMap((t) => ('getFields' in t ? Object.keys(t.getFields()) : [])),
    );
    const restrictedTypes = new Set<string>();
    for (const [coordinate] of policy) {
      const [type, field] = coordinate.split('.') as [string, string];
      const openType = schema.getType(type);
      if (openType && 'getFields' in openType) expect(openType.getFields()[field], coordinate).toBeUndefined();
      // A camelCase name no open field shares is unmistakable: it must not appear anywhere, descriptions included.
      if (/[a-z][A-Z]/.test(field) && !openFieldNames.has(field)) expect(open, coordinate).not.toContain(field);
      restrictedTypes.add(type);
    }
    for (const type of restrictedTypes) {
      const typeRestrictedWhole = [...policy.keys()].filter((c) => c.startsWith(`${type}.`)).length === Object.keys((buildASTSchema(parse(composed.supergraphSdl), { assumeValidSDL: true }).getType(type) as { getFields(): object }).getFields()).length;
      if (typeRestrictedWhole) expect(open, type).not.toMatch(new RegExp(`\\b${type}\\b`));
    }
  });

  it('still serves every open contract query', () => {
    const schema = buildSchema(open);
    const territory = schema.getType('Territory') as unknown as { getFields(): Record<string, unknown> };
    for (const field of ['code', 'kind', 'name', 'population', 'geometry', 'airQuality', 'airStations', 'health', 'urban']) {
      expect(territory.getFields()[field], field).toBeDefined();
    }
    const area = schema.getType('Area') as unknown as { getFields(): Record<string, unknown> };
    for (const field of ['territories', 'airStations', 'sensors']) expect(area.getFields()[field], field).toBeDefined();
  });
});
