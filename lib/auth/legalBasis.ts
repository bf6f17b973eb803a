import { isInterfaceType, isObjectType, Kind, type ConstDirectiveNode, type GraphQLField, type GraphQLNamedType, type GraphQLSchema } from 'graphql';
import type { AccessPolicy } from './policy.ts';

/**
 * Why a restricted field is restricted, in the law's terms. Declared in the SDL next to `@requiresScopes` by
 * `@legalBasis(basis:, reference:)`, read by the data inventory (/data) and checked by composition: a restricted
 * field without one fails `npm run compose` and the schema tests.
 */
export const LEGAL_BASES = {
  /** Health data covered by medical secrecy (Code de la santé publique, L1110-4; SNDS, L1461-1). */
  MEDICAL_SECRECY: { fr: 'Secret médical', en: 'Medical secrecy' },
  /** Counts too small to publish (loi n° 51-711 du 7 juin 1951, art. 6; the ORS's publication rules). */
  STATISTICAL_SECRECY: { fr: 'Secret statistique', en: 'Statistical secrecy' },
  /** Data about an identifiable person (RGPD; loi Informatique et Libertés). */
  PERSONAL_DATA: { fr: 'Données à caractère personnel', en: 'Personal data' },
  /**
   * Administrative documents communicable on request under the CADA (CRPA, L311-1), not published as open data:
   * unvalidated raw measurements, the hub's own operating records.
   */
  CADA_COMMUNICABLE: { fr: 'Communicable sur demande (CADA)', en: 'Communicable on request (CADA)' },
} as const;

export type LegalBasisCode = keyof typeof LEGAL_BASES;

export interface LegalBasis {
  basis: LegalBasisCode;
  /** The text that applies (article, law), as the SDL states it. */
  reference: string;
}

function legalBasisIn(directives: readonly ConstDirectiveNode[] | undefined, where: string): LegalBasis | undefined {
  const directive = directives?.find((d) => d.name.value === 'legalBasis');
  if (!directive) return undefined;
  const arg = (name: string) => {
    const value = directive.arguments?.find((a) => a.name.value === name)?.value;
    return value?.kind === Kind.STRING || value?.kind === Kind.ENUM ? value.value : undefined;
  };
  const basis = arg('basis');
  const reference = arg('reference')?.trim();
  if (!basis || !(basis in LEGAL_BASES)) throw new Error(`${where}: @legalBasis(basis: ${JSON.stringify(basis)}) is not one of ${Object.keys(LEGAL_BASES).join(', ')}`);
  if (!reference) throw new Error(`${where}: @legalBasis needs a reference (the article or law that applies)`);
  return { basis: basis as LegalBasisCode, reference };
}

function namedType(field: GraphQLField<unknown, unknown>): GraphQLNamedType {
  let type = field.type as { ofType?: unknown };
  while (type.ofType) type = type.ofType as { ofType?: unknown };
  return type as GraphQLNamedType;
}

/**
 * Field coordinates ("Territory.healthDetailed") → the legal basis that applies: the field's own, else its type's,
 * else its return type's (the same reach as an access rule's). Read from a schema built from SDL (a subgraph's or
 * the supergraph's, where `@composeDirective` keeps the directive).
 */
export function readLegalBases(schema: GraphQLSchema): Map<string, LegalBasis> {
  const onTypes = new Map<string, LegalBasis>();
  for (const type of Object.values(schema.getTypeMap())) {
    const basis = legalBasisIn(type.astNode?.directives as readonly ConstDirectiveNode[] | undefined, type.name);
    if (basis) onTypes.set(type.name, basis);
  }
  const bases = new Map<string, LegalBasis>();
  for (const type of Object.values(schema.getTypeMap())) {
    if ((!isObjectType(type) && !isInterfaceType(type)) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const coordinate = `${type.name}.${field.name}`;
      const basis = legalBasisIn(field.astNode?.directives as readonly ConstDirectiveNode[] | undefined, coordinate) ?? onTypes.get(type.name) ?? onTypes.get(namedType(field).name);
      if (basis) bases.set(coordinate, basis);
    }
  }
  return bases;
}

/**
 * The restricted fields that read data and declare no legal basis. Mutations are writes (their scopes say who
 * may write), not data anyone reads, so they need none.
 */
export function missingLegalBases(policy: AccessPolicy, bases: Map<string, LegalBasis>): string[] {
  return [...policy.keys()].filter((coordinate) => !coordinate.startsWith('Mutation.') && !bases.has(coordinate)).sort();
}
