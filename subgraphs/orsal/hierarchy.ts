import { createRequire } from 'node:module';
import type { Knex } from 'knex';

const require = createRequire(import.meta.url);

/**
 * The commune → EPCI hierarchy ORSAL checks its totals along, owned by ORSAL: it comes from the official
 * geography (the COG and BANATIC memberships, as @etalab/decoupage-administratif publishes them), not from
 * ADEUS's tables nor from a column producers' files do not carry. An IRIS belongs to the commune its code
 * starts with. The table is refreshed when the package's version changes.
 */
export const GEOGRAPHY_SOURCE = `@etalab/decoupage-administratif ${(require('@etalab/decoupage-administratif/package.json') as { version: string }).version}`;

interface EtalabEpci {
  code: string;
  membres: { code: string }[];
}

export async function refreshMembership(knex: Knex, current: string | null): Promise<void> {
  if (current === GEOGRAPHY_SOURCE) return;
  const epcis = require('@etalab/decoupage-administratif/data/epci.json') as EtalabEpci[];
  const rows = epcis.flatMap((epci) => epci.membres.map((member) => ({ commune_code: member.code, epci_code: epci.code })));
  await knex.transaction(async (trx) => {
    await trx('orsal.territory_membership').delete();
    await trx.batchInsert('orsal.territory_membership', rows, 1000);
    await trx('orsal.secrecy_run').update({ geography: GEOGRAPHY_SOURCE });
  });
}

/** commune → EPCI, for the communes given. */
export async function membershipOf(knex: Knex, communes: readonly string[]): Promise<Map<string, string>> {
  const rows: { commune_code: string; epci_code: string }[] = await knex('orsal.territory_membership').whereIn('commune_code', communes as string[]);
  return new Map(rows.map((row) => [row.commune_code, row.epci_code]));
}

/** EPCI → its member communes, for the EPCI given. */
export async function membersOf(knex: Knex, epcis: readonly string[]): Promise<Map<string, string[]>> {
  const rows: { commune_code: string; epci_code: string }[] = await knex('orsal.territory_membership').whereIn('epci_code', epcis as string[]).orderBy('commune_code');
  const members = new Map<string, string[]>();
  for (const row of rows) members.set(row.epci_code, [...(members.get(row.epci_code) ?? []), row.commune_code]);
  return members;
}
