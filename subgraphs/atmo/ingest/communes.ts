import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * The INSEE code of the commune a station of the LCSQA list stands in, from its `Municipality` name: the list
 * carries no code, and ATMO does not read ADEUS's tables. Names are looked up in the official geography
 * (@etalab/decoupage-administratif: COG communes, BANATIC EPCI) among the départements the hub's territory
 * box reaches. Bas-Rhin wins a name it shares with another of them (the territory is in Bas-Rhin); a name
 * Moselle and Vosges share (Moussey…) is ambiguous.
 */

/** Bas-Rhin first, then Moselle and Vosges, which the territory's box (lib/ingest/geometry.ts) reaches. */
const DEPARTEMENTS = ['67', '57', '88'];
/** The hub's two EPCI: a station's `epci_code` is set only inside them. */
const TERRITORY_EPCIS = new Set(['246700488', '200068112']);

interface EtalabCommune {
  code: string;
  nom: string;
  departement: string;
  type: string;
}

interface EtalabEpci {
  code: string;
  membres: { code: string }[];
}

export type CommuneMatch = { code: string; epci: string | null } | { ambiguous: string[] } | undefined;

/** Names compared without accents, case, hyphens or apostrophes; "St"/"Ste" are Saint/Sainte. */
const key = (name: string) =>
  name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[-'’_\s]+/g, ' ')
    .replace(/\bste\b/g, 'sainte')
    .replace(/\bst\b/g, 'saint')
    .trim();

let index: { byName: Map<string, EtalabCommune[]>; epciOf: Map<string, string> } | undefined;

function load() {
  if (index) return index;
  const communes = (require('@etalab/decoupage-administratif/data/communes.json') as EtalabCommune[]).filter(
    (c) => c.type === 'commune-actuelle' && DEPARTEMENTS.includes(c.departement),
  );
  const byName = new Map<string, EtalabCommune[]>();
  for (const commune of communes) byName.set(key(commune.nom), [...(byName.get(key(commune.nom)) ?? []), commune]);
  const epciOf = new Map<string, string>();
  for (const epci of require('@etalab/decoupage-administratif/data/epci.json') as EtalabEpci[]) {
    if (TERRITORY_EPCIS.has(epci.code)) for (const member of epci.membres) epciOf.set(member.code, epci.code);
  }
  index = { byName, epciOf };
  return index;
}

export function communeNamed(name: string): CommuneMatch {
  const { byName, epciOf } = load();
  const found = byName.get(key(name)) ?? [];
  const inBasRhin = found.filter((c) => c.departement === DEPARTEMENTS[0]);
  const candidates = inBasRhin.length ? inBasRhin : found;
  if (candidates.length === 0) return undefined;
  if (candidates.length > 1) return { ambiguous: candidates.map((c) => c.code) };
  const code = candidates[0]!.code;
  return { code, epci: epciOf.get(code) ?? null };
}
