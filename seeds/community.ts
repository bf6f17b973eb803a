import type { Knex } from 'knex';
import type { CommuneFact, Referential } from './referential.ts';
import type { Seeder } from './types.ts';
import { gaussian, rng, round } from './random.ts';

/**
 * Synthetic Sensor.Community-style citizen sensors and a synthetic open-data catalogue.
 *
 * Sensors: 40 × scale nodes, an SDS011 (PM10/PM2.5) paired with a DHT22 or BME280 in the same
 * reading rows, hourly means for the 30 × scale days up to 2025-01-31. Winter PM2.5 of ~8–25 µg/m³ with
 * territory-wide episodes, traffic and wood-heating peaks, and the low-cost artefact kept in the raw
 * data: particles swell and are overcounted above 80 % relative humidity. Nodes at index 17 and 29 of
 * every 40 are broken on purpose (a stuck reading, and the SDS011 fault value 999.9) so quality control
 * has cases.
 */
const SOURCE = 'TIGA synthetic seed v1 (not real Sensor.Community data)';
const CATALOGUE_SOURCE = 'TIGA synthetic seed v1 (not a real catalogue entry)';
const START = Date.parse('2025-01-01T00:00:00Z');
/** Readings end 30 days after START; a larger scale reaches further back, never into the future. */
const END = START + 30 * 24 * 3_600_000;
const HOUR = 3_600_000;
const STRASBOURG = '67482';
const SAVERNE_EPCI = '200068112';
const EMS_EPCI = '246700488';
const STUCK_INDEX = 17;
const FAULT_INDEX = 29;

interface SensorPlan {
  id: string;
  commune: CommuneFact;
  lon: number;
  lat: number;
  pairedSensorType: 'DHT22' | 'BME280';
  contributorId: number;
  /** Local PM level relative to the territory's background (traffic, density). */
  localFactor: number;
  temperatureOffset: number;
  broken: 'stuck' | 'fault' | null;
}

/** Largest-remainder allocation of `total` items proportionally to `weights`. */
function allocate(total: number, weights: number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (total * w) / sum);
  const counts = exact.map(Math.floor);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  const missing = total - counts.reduce((a, b) => a + b, 0);
  for (let k = 0; k < missing; k++) counts[order[k]![1]]! += 1;
  return counts;
}

/** Contributors cluster in towns: the EMS by population, the Pays de Saverne mostly in Saverne itself. */
function communesOfSensors(referential: Referential, total: number): CommuneFact[] {
  const saverneCount = Math.max(3, Math.round(total * 0.08));
  const pick = (epci: string, count: number, power: number) => {
    const communes = referential.communes.filter((c) => c.epci === epci).sort((a, b) => a.code.localeCompare(b.code));
    const counts = allocate(count, communes.map((c) => Math.max(c.population, 1) ** power));
    return communes.flatMap((c, i) => Array.from({ length: counts[i]! }, () => c));
  };
  const ems = pick(EMS_EPCI, total - saverneCount, 1);
  // Strasbourg first, so that its first nodes are the hyper-centre ones.
  ems.sort((a, b) => Number(b.code === STRASBOURG) - Number(a.code === STRASBOURG));
  return [...ems, ...pick(SAVERNE_EPCI, saverneCount, 2)];
}

function offset([lon, lat]: [number, number], metres: number, angle: number): [number, number] {
  const dLat = (metres * Math.sin(angle)) / 111_320;
  const dLon = (metres * Math.cos(angle)) / (111_320 * Math.cos((lat * Math.PI) / 180));
  return [lon + dLon, lat + dLat];
}

function planSensors(referential: Referential, total: number): SensorPlan[] {
  const random = rng('community:sensors');
  const communes = communesOfSensors(referential, total);
  const contributors = Math.ceil(total * 0.8);
  const usedIds = new Set<string>();
  let strasbourgRank = 0;
  return communes.map((commune, index) => {
    let id: string;
    do id = `sc-${10_000 + Math.floor(random() * 90_000)}`;
    while (usedIds.has(id));
    usedIds.add(id);
    const isStrasbourg = commune.code === STRASBOURG;
    // Three nodes in the hyper-centre (≤ 800 m of the centre) whatever the scale, so that a 2 km area
    // around the cathedral always finds some.
    const maxRadius = isStrasbourg ? (strasbourgRank++ < 3 ? 800 : 3_500) : 1_200;
    const [lon, lat] = offset(commune.centre, maxRadius * Math.sqrt(random()), 2 * Math.PI * random());
    const cycle = index % 40;
    return {
      id,
      commune,
      // Sensor.Community publishes 3 decimals: about 100 m, so the map does not point at a home.
      lon: round(lon, 3),
      lat: round(lat, 3),
      pairedSensorType: random() < 0.75 ? 'DHT22' : 'BME280',
      contributorId: 1 + (index % contributors),
      localFactor: (isStrasbourg ? 1.15 : commune.epci === EMS_EPCI ? 1 : 0.8) * (0.85 + 0.3 * random()),
      temperatureOffset: 0.8 * gaussian(random),
      broken: cycle === STUCK_INDEX ? 'stuck' : cycle === FAULT_INDEX ? 'fault' : null,
    };
  });
}

interface Weather {
  /** Territory-wide PM2.5 background, µg/m³. */
  pm25: number[];
  temperature: number[];
  humidity: number[];
}

/** Hourly territory-wide weather and PM background: winter anticyclonic episodes, daily cycles. */
function weather(hours: number): Weather {
  const random = rng('community:weather');
  const days = Math.ceil(hours / 24);
  const episode: number[] = [];
  let level = 0;
  let tempDay = 2;
  let humidDay = 0;
  const dayTemp: number[] = [];
  const dayHumid: number[] = [];
  for (let d = 0; d < days; d++) {
    // An episode starts about every 12 days and lasts 3–5 days (stagnant cold air, wood heating).
    if (level <= 0 && random() < 1 / 12) level = 3 + Math.floor(random() * 3);
    episode.push(level > 0 ? 1.8 + 1.4 * random() : 0.85 + 0.3 * random());
    level -= 1;
    tempDay = 0.7 * tempDay + 0.3 * (2 + 4 * gaussian(random)) - (level > 0 ? 1 : 0);
    humidDay = 0.6 * humidDay + 0.4 * 8 * gaussian(random);
    dayTemp.push(tempDay);
    dayHumid.push(humidDay);
  }
  const out: Weather = { pm25: [], temperature: [], humidity: [] };
  for (let h = 0; h < hours; h++) {
    const day = Math.floor(h / 24);
    const local = (h + 1) % 24; // Strasbourg is UTC+1 in winter
    const traffic = 0.35 * Math.exp(-((local - 8) ** 2) / 4);
    const heating = 0.6 * Math.exp(-((local - 20) ** 2) / 6);
    const night = local >= 2 && local <= 5 ? -0.2 : 0;
    out.pm25.push(12 * episode[day]! * (1 + traffic + heating + night));
    out.temperature.push(dayTemp[day]! + 3 * Math.sin(((local - 9) / 24) * 2 * Math.PI));
    out.humidity.push(80 + dayHumid[day]! - 9 * Math.sin(((local - 9) / 24) * 2 * Math.PI));
  }
  return out;
}

/** SDS011 overcounting in humid air (hygroscopic growth), the artefact humidity correction removes. */
function humidityGrowth(humidity: number): number {
  return humidity <= 80 ? 1 : 1 + 2.5 * ((Math.min(humidity, 100) - 80) / 20) ** 1.5;
}

function readingsOf(plan: SensorPlan, w: Weather, hours: number) {
  const random = rng(`community:readings:${plan.id}`);
  const coarse = 1.25 + 0.3 * random();
  const stuckFrom = Math.floor(hours * 0.4);
  const rows = [];
  for (let h = 0; h < hours; h++) {
    if (random() < 0.01) continue; // Wi-Fi dropouts: the hour has no reading at all
    const humidity = Math.min(99.9, Math.max(30, w.humidity[h]! + 2 * gaussian(random)));
    const truePm25 = Math.max(1, w.pm25[h]! * plan.localFactor * Math.exp(0.15 * gaussian(random)));
    const growth = humidityGrowth(humidity);
    let pm25 = round(truePm25 * growth);
    let pm10 = round(truePm25 * coarse * growth);
    if (plan.broken === 'stuck' && h >= stuckFrom) [pm10, pm25] = [20.1, 12.4];
    if (plan.broken === 'fault' && random() < 0.08) [pm10, pm25] = [999.9, 999.9];
    rows.push({
      sensor_id: plan.id,
      measured_at: new Date(END - hours * HOUR + h * HOUR).toISOString(),
      pm10,
      pm25,
      temperature: round(w.temperature[h]! + plan.temperatureOffset + 0.3 * gaussian(random)),
      humidity: round(humidity),
      source: SOURCE,
      synthetic: true,
    });
  }
  return rows;
}

async function insertSensors(trx: Knex.Transaction, plans: SensorPlan[]): Promise<Record<string, number>> {
  const contributorIds = [...new Set(plans.map((p) => p.contributorId))].sort((a, b) => a - b);
  const contributors = contributorIds.map((id) => {
    const pseudonym = `citizen-${String(id).padStart(3, '0')}`;
    return { id, pseudonym, contact_email: `${pseudonym}@example.org`, source: SOURCE, synthetic: true };
  });
  await trx.batchInsert('community.contributor', contributors, 1000);
  const sensors = plans.map((p) => ({
    id: p.id,
    sensor_type: 'SDS011',
    paired_sensor_type: p.pairedSensorType,
    measures: ['P1', 'P2', 'temperature', 'humidity'],
    geom: trx.raw('ST_SetSRID(ST_MakePoint(?, ?), 4326)', [p.lon, p.lat]),
    contributor_id: p.contributorId,
    status: 'VALIDATED',
    producer_kind: 'CITIZEN',
    producer_name: 'Sensor.Community contributor (citizen)',
    licence: 'ODBL',
    source: SOURCE,
    synthetic: true,
    registered_at: '2024-12-01T00:00:00Z',
  }));
  await trx.batchInsert('community.sensor', sensors, 1000);
  const history = plans.flatMap((p) => [
    { sensor_id: p.id, status: 'PENDING', changed_at: '2024-12-01T00:00:00Z', changed_by: p.id, reason: 'registered' },
    { sensor_id: p.id, status: 'VALIDATED', changed_at: '2024-12-02T00:00:00Z', changed_by: 'tiga-seed', reason: SOURCE },
  ]);
  await trx.batchInsert('community.status_history', history, 1000);
  return { contributor: contributors.length, sensor: sensors.length, status_history: history.length };
}

async function insertReadings(trx: Knex.Transaction, plans: SensorPlan[], days: number): Promise<number> {
  const hours = days * 24;
  const w = weather(hours);
  let count = 0;
  for (const plan of plans) {
    const rows = readingsOf(plan, w, hours);
    await trx.batchInsert('community.reading', rows, 1000);
    count += rows.length;
  }
  return count;
}

type DatasetEntry = [id: string, title: string, theme: string, kind: string, producer: string, licence: string, updated: string, format: string, description: string];

const EMS = 'Eurométropole de Strasbourg';
const CCPS = 'Communauté de communes du Pays de Saverne';
const LO2 = 'LICENCE_OUVERTE_2';
const DATASETS: DatasetEntry[] = [
  ['ems-pistes-cyclables', 'Pistes cyclables', 'Mobilité', 'COLLECTIVITY', EMS, LO2, '2024-11-18', 'GeoJSON, CSV, Shapefile', 'Tracé des pistes et bandes cyclables, voies vertes et zones apaisées de l\'Eurométropole, avec leur type d\'aménagement.'],
  ['ems-arbres-alignement', 'Arbres d\'alignement', 'Environnement', 'COLLECTIVITY', EMS, LO2, '2024-10-02', 'CSV, GeoJSON', 'Arbres d\'alignement gérés par le service des espaces verts : essence, année de plantation, hauteur et état sanitaire.'],
  ['ems-qualite-eau-potable', 'Qualité de l\'eau potable', 'Santé', 'COLLECTIVITY', EMS, LO2, '2024-12-20', 'CSV', 'Résultats du contrôle sanitaire de l\'eau distribuée par unité de distribution : nitrates, dureté, bactériologie.'],
  ['ems-parcs-jardins', 'Parcs et jardins publics', 'Cadre de vie', 'COLLECTIVITY', EMS, LO2, '2024-06-11', 'GeoJSON, CSV', 'Contours, horaires et équipements des parcs, squares et jardins publics.'],
  ['ems-comptages-velo', 'Comptages vélo', 'Mobilité', 'COLLECTIVITY', EMS, LO2, '2025-01-06', 'CSV, JSON', 'Passages horaires aux compteurs vélo permanents de l\'agglomération.'],
  ['ems-cartes-bruit', 'Cartes de bruit stratégiques', 'Environnement', 'COLLECTIVITY', EMS, LO2, '2023-05-30', 'GeoJSON, Shapefile', 'Niveaux sonores Lden et Ln du trafic routier, ferroviaire et industriel (directive 2002/49/CE).'],
  ['ccps-sentiers-randonnee', 'Sentiers de randonnée du Pays de Saverne', 'Tourisme', 'COLLECTIVITY', CCPS, LO2, '2024-04-15', 'GeoJSON, GPX', 'Itinéraires balisés du Pays de Saverne avec longueur, dénivelé et balisage.'],
  ['ccps-defibrillateurs', 'Défibrillateurs (DAE)', 'Santé', 'COLLECTIVITY', CCPS, LO2, '2024-09-09', 'CSV', 'Emplacements et horaires d\'accès des défibrillateurs automatisés externes des communes du Pays de Saverne.'],
  ['atmo-indices-qualite-air', 'Indices de qualité de l\'air', 'Air', 'PARTNER', 'ATMO Grand Est', 'ODBL', '2025-01-31', 'CSV, GeoJSON', 'Indice ATMO journalier par commune et sous-indices par polluant (NO2, O3, PM10, PM2.5, SO2).'],
  ['unistra-ilots-chaleur', 'Îlots de chaleur urbains : températures mesurées', 'Climat', 'PARTNER', 'Université de Strasbourg (laboratoire partenaire)', 'CC_BY_4', '2024-09-30', 'CSV', 'Températures de l\'air relevées l\'été par un réseau de capteurs fixes dans les quartiers de Strasbourg.'],
  ['citoyens-capteurs-particules', 'Capteurs citoyens de particules fines', 'Air', 'CITIZEN', 'Contributeurs Sensor.Community', 'ODBL', '2025-01-31', 'CSV, JSON', 'Moyennes horaires PM10/PM2.5, température et humidité des capteurs citoyens validés (non corrigées de l\'humidité).'],
];

async function insertDatasets(trx: Knex.Transaction): Promise<number> {
  const rows = DATASETS.map(([id, title, theme, kind, producer, licence, updated, format, description]) => ({
    id,
    title,
    description,
    theme,
    producer_kind: kind,
    producer_name: producer,
    licence,
    updated_on: updated,
    landing_page: `https://data.example.org/datasets/${id}`,
    format,
    status: 'VALIDATED',
    source: CATALOGUE_SOURCE,
    synthetic: true,
  }));
  await trx.batchInsert('community.dataset', rows, 1000);
  return rows.length;
}

const TRANSPARENCY_SOURCE = 'TIGA synthetic seed v1 (example values, not the collectivity\'s real indicators)';
type IndicatorEntry = [id: string, name: string, unit: string, periodicity: string, owner: string, base: number, trend: number, definition: string, method: string];
const INDICATORS: IndicatorEntry[] = [
  ['delai-reponse-cada', 'Délai de réponse aux demandes d\'accès aux documents', 'days', 'MONTHLY', 'Direction des affaires juridiques', 24, -0.3, 'Délai médian entre la réception d\'une demande d\'accès à un document administratif et la réponse.', 'Médiane sur les demandes closes dans le mois, jours calendaires.'],
  ['jeux-publies', 'Jeux de données publiés', 'count', 'MONTHLY', 'Mission open data', 180, 2.5, 'Nombre de jeux de données ouverts publiés sur le portail à la fin du mois.', 'Comptage du catalogue au dernier jour du mois.'],
  ['deliberations-en-ligne', 'Délibérations publiées sous 8 jours', '%', 'MONTHLY', 'Secrétariat des assemblées', 82, 0.5, 'Part des délibérations mises en ligne dans les 8 jours suivant la séance.', 'Délibérations publiées à J+8 / délibérations adoptées dans le mois.'],
  ['marches-donnees-essentielles', 'Marchés publics avec données essentielles', '%', 'QUARTERLY', 'Direction de la commande publique', 91, 0.8, 'Part des marchés notifiés dont les données essentielles sont publiées.', 'Marchés publiés au format DECP / marchés notifiés dans le trimestre.'],
  ['demandes-jeux-traitees', 'Demandes de jeux de données traitées', '%', 'QUARTERLY', 'Mission open data', 55, 3, 'Part des demandes du comité des usagers ayant reçu une réponse (planifiée, publiée ou refusée motivée).', 'Demandes hors statut RECEIVED / demandes reçues, cumul glissant 12 mois.'],
];
const PROCESS_STEPS: [title: string, who: string, duration: string | null, explanation: string][] = [
  ['Demande', 'Tout usager authentifié', null, 'Un usager demande un jeu de données et explique à quoi il servirait ; les autres usagers peuvent voter pour la demande.'],
  ['Examen de recevabilité', 'Mission open data', '2 semaines', 'La mission vérifie que la donnée existe, qui la détient et si elle contient des informations protégées (vie privée, secret statistique, sécurité).'],
  ['Avis du comité des usagers', 'Comité des usagers', 'une séance trimestrielle', 'Le comité classe les demandes recevables selon les votes et l\'intérêt général ; son avis est publié.'],
  ['Décision', 'Service propriétaire de la donnée, avec la direction générale', '1 mois', 'Le service décide de publier, de planifier ou de refuser ; un refus est toujours motivé et la motivation est publique.'],
  ['Publication et suivi', 'Mission open data', 'selon le jeu', 'Le jeu est publié avec sa licence et sa provenance ; l\'indicateur « demandes traitées » est mis à jour.'],
];
const REQUESTS: [title: string, description: string, status: string, reason: string | null, votes: number][] = [
  ['Horaires d\'ouverture des piscines en temps réel', 'Pour une application qui indique la fréquentation et les créneaux disponibles.', 'PLANNED', null, 12],
  ['Pollens mesurés par capteur', 'Pour prévenir les personnes allergiques quartier par quartier.', 'RECEIVED', null, 8],
  ['Consommation d\'eau par bâtiment public', 'Pour suivre les économies d\'eau des écoles et gymnases.', 'RECEIVED', null, 5],
  ['Adresses des personnes vulnérables', 'Pour organiser des visites pendant les canicules.', 'DECLINED', 'Données personnelles de santé : non communicables (RGPD) ; le registre canicule reste géré par le CCAS.', 3],
];

async function seedTransparency(knex: Knex): Promise<Record<string, number>> {
  const existing = await knex('community.transparency_indicator').count<{ count: number }[]>('* as count');
  if (Number(existing[0]?.count ?? 0) > 0) return {};
  return knex.transaction(async (trx) => {
    const random = rng('community:transparency');
    await trx.batchInsert('community.transparency_indicator', INDICATORS.map(([id, name, unit, periodicity, owner, , , definition, method]) => ({ id, name, definition, method, unit, periodicity, owner_service: owner, source: TRANSPARENCY_SOURCE, synthetic: true })), 1000);
    const values = INDICATORS.flatMap(([id, , unit, periodicity, , base, trend]) => {
      const step = periodicity === 'QUARTERLY' ? 3 : 1;
      return Array.from({ length: 24 / step }, (_, k) => {
        const month = k * step;
        const raw = base + trend * month + (unit === 'count' ? 0 : gaussian(random) * 1.5);
        const value = unit === '%' ? Math.min(100, raw) : Math.max(0, raw);
        return { indicator_id: id, period_start: `${2023 + Math.floor(month / 12)}-${String((month % 12) + 1).padStart(2, '0')}-01`, value: round(value, 1) };
      });
    });
    await trx.batchInsert('community.transparency_value', values, 1000);
    await trx('community.decision_process').insert({
      id: 'open-data-publication',
      title: 'Publier un jeu de données demandé par les usagers',
      summary: 'Comment une demande de jeu de données devient une publication (ou un refus motivé) : qui examine, qui décide, dans quels délais.',
      source: TRANSPARENCY_SOURCE,
      synthetic: true,
    });
    await trx.batchInsert('community.decision_step', PROCESS_STEPS.map(([title, who, duration, explanation], i) => ({ process_id: 'open-data-publication', step_no: i + 1, title, explanation, who, typical_duration: duration })), 1000);
    let votes = 0;
    for (const [i, [title, description, status, reason, count]] of REQUESTS.entries()) {
      const [row] = await trx('community.dataset_request')
        .insert({ title, description, requested_by: `citizen-${String(100 + i)}`, status, status_reason: reason, created_at: `2024-${String(9 + i).padStart(2, '0')}-15T10:00:00Z`, source: TRANSPARENCY_SOURCE, synthetic: true })
        .returning('id');
      const id = (row as { id: number }).id;
      await trx.batchInsert('community.dataset_request_vote', Array.from({ length: count }, (_, v) => ({ request_id: id, voter: `citizen-${String(200 + v)}`, voted_at: '2024-12-01T00:00:00Z' })), 1000);
      votes += count;
    }
    // One reviewed citizen contribution, so that the open list is not empty on a fresh hub.
    const [contribution] = await trx('community.contribution')
      .insert({ title: 'Bancs et points d\'eau relevés à pied (exemple)', description: 'Relevé citoyen d\'équipements de rue dans le quartier de la Krutenau.', licence: 'ODBL', producer_kind: 'CITIZEN', contact: 'citizen-042@example.org', contributor: 'citizen-042', status: 'VALIDATED', submitted_at: '2024-11-03T09:00:00Z', source: TRANSPARENCY_SOURCE, synthetic: true })
      .returning('id');
    const contributionId = (contribution as { id: number }).id;
    await trx.batchInsert<Record<string, unknown>>('community.contribution_history', [
      { contribution_id: contributionId, from_status: null, to_status: 'PENDING', changed_at: '2024-11-03T09:00:00Z', changed_by: 'citizen-042', reason: 'submitted' },
      { contribution_id: contributionId, from_status: 'PENDING', to_status: 'VALIDATED', changed_at: '2024-11-05T14:00:00Z', changed_by: 'moderator-seed', reason: null },
    ], 1000);
    await trx.batchInsert<Record<string, unknown>>('community.contribution_feature', ([[7.7585, 48.5786, 'banc'], [7.7601, 48.5779, 'fontaine'], [7.7572, 48.5771, 'banc']] as const).map(([lon, lat, kind], i) => ({
      contribution_id: contributionId, feature_no: i + 1, geom: trx.raw('ST_SetSRID(ST_MakePoint(?, ?), 4326)', [lon, lat]), properties: JSON.stringify({ type: kind }),
    })), 1000);
    return { contribution: 1, contribution_feature: 3, transparency_indicator: INDICATORS.length, transparency_value: values.length, decision_step: PROCESS_STEPS.length, dataset_request: REQUESTS.length, dataset_request_vote: votes };
  });
}

export const seedCommunity: Seeder = async (knex, referential, options) => {
  const transparency = await seedTransparency(knex);
  const existing = await knex('community.sensor').count<{ count: number }[]>('* as count');
  if (Number(existing[0]?.count ?? 0) > 0) return { subgraph: 'community', rows: transparency };
  const scale = Math.max(1, Math.round(options.scale));
  const plans = planSensors(referential, 40 * scale);
  return knex.transaction(async (trx) => {
    const rows = await insertSensors(trx, plans);
    rows.reading = await insertReadings(trx, plans, 30 * scale);
    rows.dataset = await insertDatasets(trx);
    return { subgraph: 'community', rows: { ...rows, ...transparency } };
  });
};
