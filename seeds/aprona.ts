import type { Knex } from 'knex';
import type { SeedReport, Seeder } from './types.ts';
import type { CommuneFact, Referential } from './referential.ts';
import { gaussian, rng, round } from './random.ts';
import { upsertAnalyses, upsertPoints, type AnalysisRow, type PointWrite } from '../subgraphs/aprona/datasource.ts';

/**
 * Synthetic groundwater monitoring points and analyses for APRONA, around the real communes.
 *
 * Points: about one per 20,000 inhabitants in the Eurométropole (at least one per commune of more than
 * 8,000) and a few in the Pays de Saverne, BSS ids `BSSTIGA…` that no real point can have. Points of the
 * Rhine plain sample the real groundwater body CG001 "Pliocène de Haguenau et nappe d'Alsace"; the Pays de
 * Saverne's are left unassigned (the seed does not guess an aquifer). A third are drinking-water wells,
 * published at the commune centre as ADES does (precision 18).
 * Analyses: quarterly samples for six years × scale, of nitrates (higher where farmland dominates),
 * atrazine and its metabolite DEA (banned since 2003, still found), ESA-metolachlor (often above 0.1 µg/L),
 * glyphosate and AMPA (rarely quantified), chlorides; laboratory limits of quantification as published
 * practice has them. The last two quarters of some points are not yet checked (status 1, raw).
 */
export const APRONA_SYNTHETIC_SOURCE = 'TIGA synthetic seed v1 (not real APRONA/ADES data)';
const EMS = '246700488';
const STRASBOURG = '67482';
const LAST_YEAR = 2024;
const CG001 = { code: 'CG001', name: "Pliocène de Haguenau et nappe d'Alsace" };

interface Plan {
  point: PointWrite;
  /** 0 (city) … 1 (farmland): drives nitrates and pesticides. */
  rural: number;
}

function offset([lon, lat]: [number, number], metres: number, angle: number): [number, number] {
  return [lon + (metres * Math.cos(angle)) / (111_320 * Math.cos((lat * Math.PI) / 180)), lat + (metres * Math.sin(angle)) / 111_320];
}

function planPoints(communes: CommuneFact[]): Plan[] {
  const random = rng('aprona:points');
  const chosen = [...communes].sort((a, b) => a.code.localeCompare(b.code)).flatMap((commune) => {
    const ems = commune.epci === EMS;
    const count = ems ? Math.max(commune.population > 8_000 ? 1 : 0, Math.round(commune.population / 20_000)) : commune.population > 4_000 ? 2 : commune.code.endsWith('0') ? 1 : 0;
    return Array.from({ length: count }, () => commune);
  });
  return chosen.map((commune, i) => {
    const wellAtCentre = i % 3 === 0;
    const [lon, lat] = wellAtCentre ? commune.centre : offset(commune.centre, 300 + 1200 * random(), 2 * Math.PI * random());
    const ems = commune.epci === EMS;
    return {
      point: {
        id: `BSSTIGA${String(i + 1).padStart(3, '0')}`,
        bss_code: null,
        name: `${wellAtCentre ? 'Puits AEP' : 'Piézomètre qualité'} ${commune.name} (synthétique)`,
        lon: round(lon, 5),
        lat: round(lat, 5),
        commune_code: commune.code,
        aquifer_code: ems ? CG001.code : null,
        aquifer_name: ems ? CG001.name : null,
        coordinate_precision: wellAtCentre ? 18 : 0,
        source: APRONA_SYNTHETIC_SOURCE,
        synthetic: true,
      },
      rural: commune.code === STRASBOURG ? 0.05 : Math.min(1, Math.max(0, (ems ? 0.35 : 0.7) + 0.25 * gaussian(random))),
    };
  });
}

/** One analysis; `value` below `lq` is reported as SANDRE remark 10 with the limit as result. */
function measured(point: string, code: string, sampledAt: string, value: number, lq: number, unit: string, status: string, qualification: string): AnalysisRow {
  const quantified = value >= lq;
  return {
    point_id: point,
    parameter_code: code,
    sampled_at: sampledAt,
    result: quantified ? round(value, unit === 'µg/L' ? 3 : 1) : lq,
    unit,
    remark_code: quantified ? 1 : 10,
    quantification_limit: lq,
    detection_limit: round(lq / 3, 4),
    qualification_code: qualification,
    status_code: status,
    source: APRONA_SYNTHETIC_SOURCE,
    synthetic: true,
  };
}

function analysesOf(plan: Plan, years: number[]): AnalysisRow[] {
  const random = rng(`aprona:analyses:${plan.point.id}`);
  const rows: AnalysisRow[] = [];
  const nitrateBase = 12 + 38 * plan.rural + 4 * gaussian(random);
  const esaBase = 0.03 + 0.35 * plan.rural * random();
  const deaBase = 0.01 + 0.08 * plan.rural * random();
  const raw = random() < 0.3;
  const samples = years.flatMap((year) => [2, 5, 8, 11].map((month) => ({ year, month })));
  samples.forEach(({ year, month }, i) => {
    const day = 5 + Math.floor(random() * 20);
    const sampledAt = new Date(Date.UTC(year, month - 1, day, 8 + Math.floor(random() * 4), 0)).toISOString();
    const unchecked = raw && i >= samples.length - 2;
    const status = unchecked ? '1' : '2';
    const qualification = unchecked ? '4' : random() < 0.02 ? '3' : '1';
    const season = month === 2 ? 1.15 : month === 11 ? 1.05 : 0.95;
    const id = plan.point.id;
    rows.push(measured(id, '1340', sampledAt, Math.max(1, nitrateBase * season + 2.5 * gaussian(random)), 0.5, 'mg(NO3)/L', status, qualification));
    rows.push(measured(id, '1337', sampledAt, Math.max(5, 25 + 30 * random()), 1, 'mg(Cl)/L', status, qualification));
    rows.push(measured(id, '1107', sampledAt, Math.max(0, 0.008 + 0.03 * plan.rural * random() - 0.004 * (year - 2019)), 0.02, 'µg/L', status, qualification));
    rows.push(measured(id, '1108', sampledAt, Math.max(0, deaBase * (1 + 0.3 * gaussian(random))), 0.02, 'µg/L', status, qualification));
    rows.push(measured(id, '6854', sampledAt, Math.max(0, esaBase * (1 + 0.25 * gaussian(random))), 0.02, 'µg/L', status, qualification));
    rows.push(measured(id, '1506', sampledAt, random() < 0.06 * plan.rural ? 0.05 + 0.1 * random() : 0, 0.05, 'µg/L', status, qualification));
    rows.push(measured(id, '1907', sampledAt, random() < 0.1 * plan.rural ? 0.05 + 0.2 * random() : 0, 0.05, 'µg/L', status, qualification));
  });
  return rows;
}

/** Points and analyses, once: nothing is written when APRONA already holds points. */
export const seedAprona: Seeder = async (knex: Knex, referential: Referential, options): Promise<SeedReport> => {
  const existing = await knex('aprona.point').count({ count: '*' }).first();
  if (Number(existing?.count) > 0) return { subgraph: 'aprona', rows: {} };
  const count = 6 * Math.max(1, Math.round(options.scale));
  const years = Array.from({ length: count }, (_, i) => LAST_YEAR - count + 1 + i);
  const plans = planPoints(referential.communes);
  const analyses = plans.flatMap((plan) => analysesOf(plan, years));
  await knex.transaction(async (trx) => {
    await upsertPoints(trx, plans.map((p) => p.point));
    for (let i = 0; i < analyses.length; i += 1000) await upsertAnalyses(trx, analyses.slice(i, i + 1000));
  });
  return { subgraph: 'aprona', rows: { point: plans.length, analysis: analyses.length } };
};
