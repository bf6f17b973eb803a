import { describe, expect, it } from 'vitest';
import { buildASTSchema, parse, print } from 'graphql';
import { composeSupergraph } from '../../schema/compose.ts';
import { readSupergraph } from '../../gateway/supergraph.ts';
import { readAccessPolicy } from '../../lib/auth/policy.ts';
import { LEGAL_BASES, readLegalBases } from '../../lib/auth/legalBasis.ts';
import { PRODUCERS } from '../../subgraphs/registry.ts';

/** The producers with one SDL rewritten, as a developer's edit would. */
function withEditedSdl(name: string, edit: (sdl: string) => string) {
  return PRODUCERS.map((p) => (p.name === name ? { ...p, typeDefs: parse(edit(print(p.typeDefs))) } : p));
}

describe('every restricted field states its legal basis', () => {
  const supergraph = buildASTSchema(parse(readSupergraph()), { assumeValidSDL: true });
  const policy = readAccessPolicy(supergraph);
  const bases = readLegalBases(supergraph);

  it('in the supergraph: each restricted field that reads data has a basis the law names, with its reference', () => {
    const reads = [...policy.keys()].filter((c) => !c.startsWith('Mutation.'));
    expect(reads.length).toBeGreaterThan(40);
    for (const coordinate of reads) {
      expect(bases.get(coordinate), coordinate).toBeDefined();
      expect(Object.keys(LEGAL_BASES)).toContain(bases.get(coordinate)!.basis);
      expect(bases.get(coordinate)!.reference.length, coordinate).toBeGreaterThan(20);
    }
    // Fine-grained health data is under medical secrecy, small counts under statistical secrecy, identities are personal data.
    expect(bases.get('Territory.healthDetailed')?.basis).toBe('MEDICAL_SECRECY');
    expect(bases.get('HealthValue.cases')?.basis).toBe('STATISTICAL_SECRECY');
    expect(bases.get('Contributor.contactEmail')?.basis).toBe('PERSONAL_DATA');
    expect(bases.get('AirStation.rawMeasurements')?.basis).toBe('CADA_COMMUNICABLE');
  });

  it('open fields carry none: a legal basis never marks open data', () => {
    for (const coordinate of bases.keys()) expect(policy.has(coordinate), coordinate).toBe(true);
  });

  it('a restricted field added without one fails composition, naming the field', () => {
    const producers = withEditedSdl('orsal', (sdl) => sdl.replace(/type HealthValue[^{]*\{/, (head) => `${head}\n  "The raw count, restricted."\n  rawCount: Int @requiresScopes(scopes: [["orsal:restricted"]])\n`));
    expect(() => composeSupergraph(producers)).toThrow(/restricted fields without a legal basis[\s\S]*HealthValue\.rawCount/);
  });

  it('an unknown basis fails composition too', () => {
    const producers = withEditedSdl('orsal', (sdl) => sdl.replace('@legalBasis(basis: "STATISTICAL_SECRECY"', '@legalBasis(basis: "BECAUSE"'));
    expect(() => composeSupergraph(producers)).toThrow(/HealthValue\.cases: @legalBasis\(basis: "BECAUSE"\) is not one of/);
  });
});
