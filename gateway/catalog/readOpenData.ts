import type { AnonymousQuery } from './anonymousQuery.ts';
import { seriesExtent, type Series, type SeriesRecord } from './seriesExtent.ts';

/** A licence as the open contract names it (`Licence`). */
export type LicenceCode = 'ODBL' | 'LICENCE_OUVERTE_2' | 'CC_BY_4';
/** [minLon, minLat, maxLon, maxLat], WGS84. */
export type BBox = [number, number, number, number];

/** What the catalogue says of one open dataset, every fact read from the open contract. */
export interface OpenDataset {
  /** Its words in catalog.yaml (`datasets.<kind>`). */
  kind: string;
  /** Unique in the catalogue: the fragment of its URI. */
  id: string;
  /** Values the words' `{placeholders}` take (an indicator's name, a contribution's title…). */
  vars: Record<string, string | number>;
  /** Its own French title and description, when the data has them. */
  own?: { title: string; description: string };
  /** Licences its records are published under (by the contract, or by the words when the contract has none). */
  licences: LicenceCode[];
  /** Who publishes it, when the data names someone other than the producer (a partner's catalogue entry). */
  publisherName?: string;
  temporal?: { start: string; end: string };
  modified?: string;
  issued?: string;
  /** INSEE codes of communes and SIRENs of EPCI it covers. */
  places: string[];
  bbox?: BBox;
  /** EU frequency code read from the data (a transparency indicator's periodicity), else the words'. */
  periodicity?: string;
  provenance: { sources: string[]; synthetic: boolean; approximate?: boolean };
  /** Served by the GraphQL API (every dataset but the collectivity's entries, which are metadata only there). */
  graphql: boolean;
  landingPage?: string;
  formats?: string[];
  portalTheme?: string;
}

export interface OpenData {
  datasets: OpenDataset[];
  /** The EPCI SIRENs of the territory. */
  epcis: string[];
  /** Names of the territories `places` cite. */
  names: Map<string, string>;
  kinds: Map<string, 'COMMUNE' | 'EPCI'>;
  bbox: BBox | undefined;
}

/** Where the catalogue looks for dated records: a data set older than 2000 would be a surprise. */
const FIRST_YEAR = 2000;
/** graphql-armor allows 20 aliases per operation. */
const ALIASES_PER_QUERY = 16;

/** The extent of every coordinate in a GeoJSON object (or array of them). */
export function bboxOf(geojson: unknown, into?: BBox): BBox | undefined {
  let box = into;
  const visit = (value: unknown): void => {
    if (!Array.isArray(value)) {
      if (value && typeof value === 'object') for (const [key, inner] of Object.entries(value)) if (key === 'coordinates' || key === 'geometry' || key === 'features' || key === 'geometries') visit(inner);
      return;
    }
    if (value.length >= 2 && typeof value[0] === 'number' && typeof value[1] === 'number') {
      const [lon, lat] = value as number[];
      box = box ? [Math.min(box[0], lon!), Math.min(box[1], lat!), Math.max(box[2], lon!), Math.max(box[3], lat!)] : [lon!, lat!, lon!, lat!];
      return;
    }
    for (const inner of value) visit(inner);
  };
  visit(geojson);
  return box;
}

const unique = <T>(values: (T | null | undefined)[]): T[] => [...new Set(values.filter((v): v is T => v !== null && v !== undefined))];
const maxOf = (values: (string | null | undefined)[]) => unique(values).sort().at(-1);
const minOf = (values: (string | null | undefined)[]) => unique(values).sort()[0];
const provenanceOf = (records: { source?: string | null; synthetic?: boolean | null }[]) => ({
  sources: unique(records.map((r) => r.source)).sort(),
  synthetic: records.some((r) => r.synthetic === true),
});
const chunks = <T>(items: T[], size = ALIASES_PER_QUERY): T[][] => Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));
const yearsUpTo = (last: number) => Array.from({ length: last - FIRST_YEAR + 1 }, (_, i) => FIRST_YEAR + i);

/** The last day of the period starting on `day` for a periodicity of the contract (MONTHLY, QUARTERLY, YEARLY). */
function periodEnd(day: string, periodicity: string): string {
  const months = { MONTHLY: 1, QUARTERLY: 3, YEARLY: 12 }[periodicity.toUpperCase()] ?? 0;
  if (!months) return day;
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1 + months, d) - 86_400_000).toISOString().slice(0, 10);
}

/** Reads, as an anonymous caller and through the open contract only, what the catalogue describes. */
export async function readOpenData(query: AnonymousQuery, now = new Date()): Promise<OpenData> {
  const lastYear = now.getUTCFullYear() + 1;
  const years = { from: FIRST_YEAR, to: lastYear };
  const referential = await query(`{
    epcis: territories(kind: EPCI) { code name geometry(simplifyMeters: 100) source approximate }
    communes: territories(kind: COMMUNE) { code name source approximate }
  }`);
  const epcis = referential.epcis as { code: string; name: string; geometry: unknown; source: string; approximate: boolean }[];
  const communes = referential.communes as { code: string; name: string; source: string; approximate: boolean }[];
  const names = new Map<string, string>([...epcis, ...communes].map((t) => [t.code, t.name]));
  const kinds = new Map<string, 'COMMUNE' | 'EPCI'>([...epcis.map((t) => [t.code, 'EPCI'] as const), ...communes.map((t) => [t.code, 'COMMUNE'] as const)]);
  const territoryBBox = bboxOf(epcis.map((t) => t.geometry));
  const everyPlace = [...epcis, ...communes].map((t) => t.code);
  const epciCodes = epcis.map((t) => t.code);
  const datasets: OpenDataset[] = [];

  // Referential: the territories themselves.
  datasets.push({
    kind: 'territories', id: 'territories', vars: {}, licences: [], places: everyPlace, bbox: territoryBBox, graphql: true,
    provenance: { ...provenanceOf([...epcis, ...communes].map((t) => ({ source: t.source }))), approximate: [...epcis, ...communes].some((t) => t.approximate) },
  });

  // Indice ATMO: every day of the EPCI series (ATMO publishes an EPCI's index with its communes'), a year per alias.
  const indices: { date: string; issuedOn: string | null; updatedAt: string | null; source: string; synthetic: boolean }[] = [];
  for (const epci of epciCodes) {
    for (const group of chunks(yearsUpTo(lastYear))) {
      const data = await query(`query Indices($code: ID!) { territory(code: $code) { ${group.map((y) => `y${y}: airQuality(from: "${y}-01-01", to: "${y}-12-31") { date issuedOn updatedAt source synthetic }`).join(' ')} } }`, { code: epci });
      for (const y of group) indices.push(...((data.territory?.[`y${y}`] ?? []) as typeof indices));
    }
  }
  if (indices.length) {
    datasets.push({
      kind: 'air-quality-index', id: 'air-quality-index', vars: {}, licences: [], places: everyPlace, bbox: territoryBBox, graphql: true,
      temporal: { start: minOf(indices.map((i) => i.date))!, end: maxOf(indices.map((i) => i.date))! },
      modified: maxOf(indices.map((i) => i.updatedAt ?? i.issuedOn ?? i.date)),
      provenance: provenanceOf(indices),
    });
  }

  // Station measurements.
  const stations = (await query('{ airStations { id communeCode location source synthetic } }')).airStations as { communeCode: string; location: unknown; source: string; synthetic: boolean }[];
  const measurements: Series = {
    select: (alias, from, to, first) => `${alias}: airStations { measurements(from: "${from}", to: "${to}", first: ${first}) { edges { node { time source synthetic } } } }`,
    records: (answer) => ((answer ?? []) as any[]).flatMap((s) => s.measurements.edges.map((e: any) => ({ at: e.node.time, source: e.node.source, synthetic: e.node.synthetic }))),
    bounds: (a, b) => [`${a}T00:00:00.000Z`, `${b}T23:59:59.999Z`],
    perDay: 200,
  };
  const measured = stations.length ? await seriesExtent(query, measurements, years) : undefined;
  if (measured) {
    datasets.push({
      kind: 'air-measurements', id: 'air-measurements', vars: {}, licences: [], places: unique(stations.map((s) => s.communeCode)), bbox: bboxOf(stations.map((s) => s.location)), graphql: true,
      temporal: { start: measured.start, end: measured.end }, modified: measured.end,
      provenance: provenanceOf([...measured.records, ...stations]),
    });
  }

  // Health: the catalogue of indicators and the periods of the open values, communes and EPCI.
  const catalogue = (await query('{ healthIndicators { code source synthetic } }')).healthIndicators as { source: string; synthetic: boolean }[];
  const healthValues: { period: string; source: string; synthetic: boolean }[] = [];
  for (const kind of ['EPCI', 'COMMUNE']) {
    const data = await query(`{ territories(kind: ${kind}) { health { period source synthetic } } }`);
    for (const territory of data.territories as { health: typeof healthValues | null }[]) healthValues.push(...(territory.health ?? []));
  }
  if (healthValues.length) {
    datasets.push({
      kind: 'health-indicators', id: 'health-indicators', vars: {}, licences: [], places: everyPlace, bbox: territoryBBox, graphql: true,
      temporal: { start: `${minOf(healthValues.map((v) => v.period.slice(0, 4)))}-01-01`, end: `${maxOf(healthValues.map((v) => v.period.slice(-4)))}-12-31` },
      provenance: provenanceOf([...catalogue, ...healthValues]),
    });
  }

  // Urban indicators, a year per alias.
  const urban: { year: number; source: string; synthetic: boolean }[] = [];
  for (const group of chunks(yearsUpTo(lastYear))) {
    const data = await query(`{ territories(kind: COMMUNE) { ${group.map((y) => `y${y}: urban(year: ${y}) { year source synthetic }`).join(' ')} } }`);
    for (const territory of data.territories as Record<string, (typeof urban)[number] | null>[]) for (const y of group) if (territory[`y${y}`]) urban.push(territory[`y${y}`]!);
  }
  if (urban.length) {
    const yearsFound = urban.map((u) => u.year);
    datasets.push({
      kind: 'urban-indicators', id: 'urban-indicators', vars: {}, licences: [], places: everyPlace, bbox: territoryBBox, graphql: true,
      temporal: { start: `${Math.min(...yearsFound)}-01-01`, end: `${Math.max(...yearsFound)}-12-31` },
      provenance: provenanceOf(urban),
    });
  }

  // Groundwater: the points, and their checked analyses.
  const points = (await query('{ groundwaterPoints { id communeCode location source synthetic } }')).groundwaterPoints as { communeCode: string | null; location: unknown; source: string; synthetic: boolean }[];
  const analyses: Series = {
    select: (alias, from, to, first) => `${alias}: groundwaterPoints { analyses(from: "${from}", to: "${to}", first: ${first}) { edges { node { sampledAt source synthetic } } } }`,
    records: (answer) => ((answer ?? []) as any[]).flatMap((p) => p.analyses.edges.map((e: any) => ({ at: e.node.sampledAt, source: e.node.source, synthetic: e.node.synthetic }))),
    bounds: (a, b) => [`${a}T00:00:00.000Z`, `${b}T23:59:59.999Z`],
    perDay: 200,
  };
  if (points.length) {
    const sampled = await seriesExtent(query, analyses, years);
    datasets.push({
      kind: 'groundwater', id: 'groundwater', vars: {}, licences: [], places: unique(points.map((p) => p.communeCode)), bbox: bboxOf(points.map((p) => p.location)), graphql: true,
      ...(sampled ? { temporal: { start: sampled.start, end: sampled.end }, modified: sampled.end } : {}),
      provenance: provenanceOf([...(sampled?.records ?? []), ...points]),
    });
  }

  // Validated citizen sensors and their readings.
  type Sensor = { location: unknown; provenance: { licence: LicenceCode; source: string; synthetic: boolean } };
  const sensors: Sensor[] = [];
  for (let after: string | null = null, more = true; more; ) {
    const page: any = (await query('query Sensors($after: String) { sensors(first: 1000, after: $after) { edges { node { location provenance { licence source synthetic } } } pageInfo { hasNextPage endCursor } } }', { after })).sensors;
    sensors.push(...page.edges.map((e: { node: Sensor }) => e.node));
    more = page.pageInfo.hasNextPage;
    after = page.pageInfo.endCursor;
  }
  const readings: Series = {
    select: (alias, from, to, first) => `${alias}: sensors(first: 1000) { edges { node { provenance { source synthetic } readings(from: "${from}", to: "${to}", first: ${first}) { edges { node { time } } } } } }`,
    records: (answer) => ((answer as any)?.edges ?? []).flatMap((s: any) => s.node.readings.edges.map((e: any) => ({ at: e.node.time, ...s.node.provenance }))),
    bounds: (a, b) => [a, b],
    perDay: 48,
  };
  if (sensors.length) {
    const read = await seriesExtent(query, readings, years);
    datasets.push({
      kind: 'citizen-sensors', id: 'citizen-sensors', vars: {}, licences: unique(sensors.map((s) => s.provenance.licence)).sort(), places: epciCodes, bbox: bboxOf(sensors.map((s) => s.location)), graphql: true,
      ...(read ? { temporal: { start: read.start, end: read.end }, modified: read.end } : {}),
      provenance: provenanceOf([...(read?.records ?? []), ...sensors.map((s) => s.provenance)]),
    });
  }

  // Transparency indicators, one dataset each.
  const indicators = (await query('{ transparencyIndicators { id name definition method unit periodicity ownerService values { period } source synthetic } }')).transparencyIndicators as {
    id: string; name: string; definition: string; method: string; unit: string; periodicity: string; ownerService: string; values: { period: string }[]; source: string; synthetic: boolean;
  }[];
  for (const indicator of indicators) {
    const periods = indicator.values.map((v) => v.period);
    datasets.push({
      kind: 'transparency-indicator', id: `transparency-${indicator.id}`, licences: [], places: epciCodes, bbox: territoryBBox, graphql: true,
      vars: { name: indicator.name, definition: indicator.definition, method: indicator.method, unit: indicator.unit, ownerService: indicator.ownerService },
      ...(periods.length ? { temporal: { start: minOf(periods)!, end: periodEnd(maxOf(periods)!, indicator.periodicity) } } : {}),
      periodicity: indicator.periodicity,
      provenance: provenanceOf([indicator]),
    });
  }

  // The collectivity's own catalogue: each entry (metadata only on the API) with its own licence and producer.
  type Entry = { id: string; title: string; description: string; licence: LicenceCode; producer: { name: string }; theme: string; updatedAt: string; landingPage: string | null; format: string; provenance: { source: string; synthetic: boolean } };
  for (let after: string | null = null, more = true; more; ) {
    const page: any = (await query('query Entries($after: String) { datasets(first: 1000, after: $after) { edges { node { id title description licence producer { name } theme updatedAt landingPage format provenance { source synthetic } } } pageInfo { hasNextPage endCursor } } }', { after })).datasets;
    for (const { node: entry } of page.edges as { node: Entry }[]) {
      datasets.push({
        kind: 'collectivity-dataset', id: `dataset-${entry.id}`, vars: { title: entry.title, theme: entry.theme, format: entry.format },
        own: { title: entry.title, description: entry.description }, licences: [entry.licence], publisherName: entry.producer.name,
        places: epciCodes, bbox: territoryBBox, modified: entry.updatedAt, graphql: false, landingPage: entry.landingPage ?? undefined,
        formats: entry.format.split(',').map((f) => f.trim()).filter(Boolean), portalTheme: entry.theme,
        provenance: provenanceOf([entry.provenance]),
      });
    }
    more = page.pageInfo.hasNextPage;
    after = page.pageInfo.endCursor;
  }

  // Validated contributions, each under its own licence.
  const contributions = (await query('{ contributions { id title description featureCount features provenance { producerName licence source synthetic } history { to at } } }')).contributions as {
    id: string; title: string; description: string; featureCount: number; features: unknown; provenance: { producerName: string; licence: LicenceCode; source: string; synthetic: boolean }; history: { to: string; at: string }[];
  }[];
  for (const contribution of contributions) {
    const validated = contribution.history.filter((h) => h.to === 'VALIDATED').map((h) => h.at);
    datasets.push({
      kind: 'contribution', id: `contribution-${contribution.id}`, vars: { title: contribution.title, featureCount: contribution.featureCount },
      own: { title: contribution.title, description: contribution.description }, licences: [contribution.provenance.licence], publisherName: contribution.provenance.producerName,
      places: [], bbox: bboxOf(contribution.features), graphql: true,
      modified: maxOf(contribution.history.map((h) => h.at)), issued: maxOf(validated),
      provenance: provenanceOf([contribution.provenance]),
    });
  }
  return { datasets, epcis: epciCodes, names, kinds, bbox: territoryBBox };
}
