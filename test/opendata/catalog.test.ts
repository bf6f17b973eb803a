import { beforeAll, describe, expect, it } from 'vitest';
import rdf from '@zazuko/env-node';
import fs from 'node:fs';
import { buildASTSchema, parse as parseSdl, visit } from 'graphql';
import { testHub, gatewayQuery } from '../support/hub.ts';
import { bearer } from '../support/auth.ts';
import { readSupergraph } from '../../gateway/supergraph.ts';
import { readAccessPolicy } from '../../lib/auth/policy.ts';
import { hasShapes, parse, shapesFile, validate, type Dataset } from './rdf.ts';

const DCAT = 'http://www.w3.org/ns/dcat#';
const DCT = 'http://purl.org/dc/terms/';
const RDFS = 'http://www.w3.org/2000/01/rdf-schema#';
const SERIALISATIONS = [
  { extension: 'jsonld', mediaType: 'application/ld+json' },
  { extension: 'ttl', mediaType: 'text/turtle' },
  { extension: 'rdf', mediaType: 'application/rdf+xml' },
] as const;

let base: string;
const texts: Record<string, string> = {};
const graphs: Record<string, Dataset> = {};

/** One dataset's statement of a property, read from the parsed Turtle. */
function valuesOf(subject: string, ...path: string[]): string[] {
  let nodes = [rdf.namedNode(subject)] as any[];
  for (const predicate of path) nodes = nodes.flatMap((node) => [...graphs.ttl!.match(node, rdf.namedNode(predicate))].map((q) => q.object));
  return nodes.map((node) => node.value);
}
const dataset = (id: string) => `${base}/catalog#${id}`;

describe('a portal harvests the DCAT-AP 3.0 catalogue at /catalog', () => {
  beforeAll(async () => {
    const hub = await testHub();
    base = hub.gatewayUrl.replace(/\/graphql$/, '');
    for (const { extension, mediaType } of SERIALISATIONS) {
      const response = await fetch(`${base}/catalog.${extension}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe(`${mediaType}; charset=utf-8`);
      texts[extension] = await response.text();
      graphs[extension] = await parse(texts[extension]!, mediaType, `${base}/catalog`);
    }
  });

  it('the three serialisations say the same thing', () => {
    const size = graphs.ttl!.size;
    expect(size).toBeGreaterThan(500);
    expect(graphs.jsonld!.size).toBe(size);
    expect(graphs.rdf!.size).toBe(size);
  });

  it('each serialisation, parsed back, has zero violations of the official DCAT-AP 3.0 SHACL shapes', async () => {
    // The official shapes come with the project's shared reference data: without them there is no proof, so no pass.
    expect(hasShapes, `${shapesFile('dcat-ap-SHACL.ttl')} is absent: point TIGA_SHARED_DATA at ../shared/data`).toBe(true);
    for (const { extension } of SERIALISATIONS) {
      const results = await validate(graphs[extension]!, shapesFile('dcat-ap-SHACL.ttl'));
      const violations = results.filter((r) => r.severity === 'Violation');
      expect({ extension, violations }).toEqual({ extension, violations: [] });
    }
  });

  it('Accept chooses the serialisation; an unknown one gets 406; a repeated request with its ETag gets 304', async () => {
    const typeFor = async (accept: string) => (await fetch(`${base}/catalog`, { headers: { accept } })).headers.get('content-type');
    expect(await typeFor('text/turtle')).toBe('text/turtle; charset=utf-8');
    expect(await typeFor('application/rdf+xml')).toBe('application/rdf+xml; charset=utf-8');
    expect(await typeFor('application/ld+json')).toBe('application/ld+json; charset=utf-8');
    expect(await typeFor('text/html,application/xhtml+xml,*/*;q=0.8')).toBe('application/ld+json; charset=utf-8');
    expect((await fetch(`${base}/catalog`, { headers: { accept: 'image/png' } })).status).toBe(406);
    const first = await fetch(`${base}/catalog.ttl`);
    expect(first.headers.get('cache-control')).toMatch(/^public/);
    // fetch() adds `Cache-Control: no-cache` to a conditional request unless one is given: a revalidation is what is meant.
    const again = await fetch(`${base}/catalog.ttl`, { headers: { 'if-none-match': first.headers.get('etag')!, 'cache-control': 'max-age=0' } });
    expect(again.status).toBe(304);
  });

  it('one dcat:Dataset per open dataset, each with its producer, licence, places, themes and the GraphQL service', () => {
    const datasets = valuesOf(`${base}/catalog`, `${DCAT}dataset`);
    for (const id of ['air-quality-index', 'air-measurements', 'health-indicators', 'urban-indicators', 'territories', 'groundwater', 'citizen-sensors']) {
      expect(datasets).toContain(dataset(id));
    }
    expect(datasets.some((d) => d.includes('#transparency-'))).toBe(true);
    expect(datasets.some((d) => d.includes('#dataset-'))).toBe(true);
    expect(datasets.some((d) => d.includes('#contribution-'))).toBe(true);
    const indice = dataset('air-quality-index');
    expect(valuesOf(indice, `${DCT}publisher`, 'http://xmlns.com/foaf/0.1/name')).toContain('ATMO Grand Est');
    // Every distribution (GraphQL, exports, OGC API) under the dataset's one licence.
    expect([...new Set(valuesOf(indice, `${DCAT}distribution`, `${DCT}license`))]).toEqual(['http://opendatacommons.org/licenses/odbl/1-0/']);
    expect([...new Set(valuesOf(dataset('health-indicators'), `${DCAT}distribution`, `${DCT}license`))]).toEqual(['https://www.etalab.gouv.fr/licence-ouverte-open-licence/']);
    expect(valuesOf(indice, `${DCT}spatial`)).toEqual(expect.arrayContaining(['http://id.insee.fr/geo/commune/67482', 'http://id.insee.fr/geo/intercommunalite/246700488']));
    expect(valuesOf(indice, `${DCT}spatial`, `${DCAT}bbox`)[0]).toMatch(/^POLYGON\(\(7\.\d+ 48\.\d+,/);
    expect(valuesOf(indice, `${DCAT}theme`)).toContain('http://publications.europa.eu/resource/authority/data-theme/ENVI');
    expect(valuesOf(indice, `${DCT}accrualPeriodicity`)).toEqual(['http://publications.europa.eu/resource/authority/frequency/DAILY']);
    expect(valuesOf(indice, `${DCT}conformsTo`)).toEqual(['https://www.legifrance.gouv.fr/loda/id/JORFTEXT000042164835/']);
    expect(valuesOf(indice, `${DCAT}distribution`, `${DCAT}accessURL`)).toEqual(expect.arrayContaining([`${base}/graphql`, `${base}/exports/air-quality-index.csv`, `${base}/exports/air-quality-index.geojson`, `${base}/ogc/collections/air-quality-index`]));
    expect(valuesOf(indice, `${DCAT}distribution`, `${DCAT}downloadURL`)).toContain(`${base}/exports/air-quality-index.csv`);
    expect(valuesOf(`${base}/catalog#ogc-api`, `${DCAT}servesDataset`)).toContain(indice);
    expect(valuesOf(`${base}/catalog#ogc-api`, `${DCT}conformsTo`)).toEqual(['http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core']);
    expect(valuesOf(`${base}/catalog#graphql-api`, `${DCAT}servesDataset`)).toContain(indice);
    const titles = [...graphs.ttl!.match(rdf.namedNode(indice), rdf.namedNode(`${DCT}title`))].map((q) => (q.object as any).language);
    expect(titles.sort()).toEqual(['en', 'fr']);
  });

  it('a contribution keeps its own licence, as anonymous GraphQL gives it', async () => {
    const { data } = await gatewayQuery('{ contributions { id provenance { licence } } }');
    const uris = { ODBL: 'http://opendatacommons.org/licenses/odbl/1-0/', LICENCE_OUVERTE_2: 'https://www.etalab.gouv.fr/licence-ouverte-open-licence/', CC_BY_4: 'https://creativecommons.org/licenses/by/4.0/' } as Record<string, string>;
    expect(data.contributions.length).toBeGreaterThan(0);
    for (const contribution of data.contributions) {
      expect(valuesOf(dataset(`contribution-${contribution.id}`), `${DCAT}distribution`, `${DCT}license`)).toEqual([uris[contribution.provenance.licence]]);
    }
  });

  it('synthetic data is said to be synthetic, where anonymous GraphQL labels it so', async () => {
    const { data } = await gatewayQuery('{ territory(code: "246700488") { airQuality(from: "2025-01-01", to: "2025-01-01") { synthetic } } healthIndicators { synthetic } transparencyIndicators { id synthetic } groundwaterPoints { synthetic } }');
    const provenance = (id: string) => valuesOf(dataset(id), `${DCT}provenance`, `${RDFS}label`).join(' ');
    expect(data.territory.airQuality[0].synthetic).toBe(true);
    expect(provenance('air-quality-index')).toMatch(/^Synthetic data|Données synthétiques/);
    expect(provenance('air-quality-index')).toContain('Synthetic data');
    expect(provenance('air-quality-index')).toContain('Données synthétiques');
    expect(provenance('air-measurements')).toContain('Synthetic data');
    expect(data.healthIndicators.every((i: any) => i.synthetic)).toBe(true);
    expect(provenance('health-indicators')).toContain('Synthetic data');
    expect(data.groundwaterPoints.some((p: any) => p.synthetic)).toBe(true);
    expect(provenance('groundwater')).toContain('Synthetic data');
    for (const indicator of data.transparencyIndicators) expect(provenance(`transparency-${indicator.id}`)).toContain(indicator.synthetic ? 'Synthetic data' : 'Sources');
  });

  it('temporal extents and modification dates are the data\'s own, as anonymous GraphQL returns them', async () => {
    // Indice ATMO: every day of each EPCI over the seeded years and around them.
    const { data: referential } = await gatewayQuery('{ territories(kind: EPCI) { code } }');
    const days: string[] = [];
    for (const { code } of referential.territories) {
      const { data } = await gatewayQuery(`{ territory(code: "${code}") { a: airQuality(from: "2023-01-01", to: "2023-12-31") { date } b: airQuality(from: "2024-01-01", to: "2024-12-31") { date } c: airQuality(from: "2025-01-01", to: "2025-12-31") { date } d: airQuality(from: "2026-01-01", to: "2026-12-31") { date } } }`);
      days.push(...['a', 'b', 'c', 'd'].flatMap((y) => data.territory[y].map((i: any) => i.date)));
    }
    days.sort();
    expect(valuesOf(dataset('air-quality-index'), `${DCT}temporal`, `${DCAT}startDate`)).toEqual([days[0]]);
    expect(valuesOf(dataset('air-quality-index'), `${DCT}temporal`, `${DCAT}endDate`)).toEqual([days.at(-1)]);

    // Station measurements: a measurement at each end, none beyond.
    const [start] = valuesOf(dataset('air-measurements'), `${DCT}temporal`, `${DCAT}startDate`);
    const [end] = valuesOf(dataset('air-measurements'), `${DCT}temporal`, `${DCAT}endDate`);
    expect(valuesOf(dataset('air-measurements'), `${DCT}modified`)).toEqual([end]);
    const ms = (iso: string, offset: number) => new Date(Date.parse(iso) + offset).toISOString();
    const DAY = 86_400_000;
    const window = (from: string, to: string) => `airStations { measurements(from: "${from}", to: "${to}", first: 1000) { edges { node { time } } } }`;
    const { data: ends } = await gatewayQuery(`{ before: ${window(ms(start!, -365 * DAY), ms(start!, -1))} first: ${window(start!, start!)} last: ${window(end!, end!)} after: ${window(ms(end!, 1), ms(end!, 365 * DAY))} }`);
    const count = (answer: any[]) => answer.reduce((n, s) => n + s.measurements.edges.length, 0);
    expect({ before: count(ends.before), first: count(ends.first) > 0, last: count(ends.last) > 0, after: count(ends.after) }).toEqual({ before: 0, first: true, last: true, after: 0 });

    // Open health values: the span of their periods.
    const { data: health } = await gatewayQuery('{ epcis: territories(kind: EPCI) { health { period } } communes: territories(kind: COMMUNE) { health { period } } }');
    const periods = [...health.epcis, ...health.communes].flatMap((t: any) => (t.health ?? []).map((v: any) => v.period));
    const years = periods.flatMap((p: string) => [p.slice(0, 4), p.slice(-4)]).sort();
    expect(valuesOf(dataset('health-indicators'), `${DCT}temporal`, `${DCAT}startDate`)).toEqual([`${years[0]}-01-01`]);
    expect(valuesOf(dataset('health-indicators'), `${DCT}temporal`, `${DCAT}endDate`)).toEqual([`${years.at(-1)}-12-31`]);

    // The collectivity's entries: their own update dates.
    const { data: entries } = await gatewayQuery('{ datasets(first: 3) { edges { node { id updatedAt } } } }');
    for (const { node } of entries.datasets.edges) expect(valuesOf(dataset(`dataset-${node.id}`), `${DCT}modified`)).toEqual([node.updatedAt]);
  });

  it('nothing restricted appears, whatever token the request carries', async () => {
    const policy = readAccessPolicy(buildASTSchema(parseSdl(readSupergraph()), { assumeValidSDL: true }));
    const restricted = [...policy.entries()].filter(([, rule]) => rule.authenticated || rule.scopes).map(([coordinate]) => coordinate);
    expect(restricted).toEqual(expect.arrayContaining(['HealthValue.cases', 'Territory.healthDetailed']));
    // No restricted field of an open type is named, neither as a JSON-LD key nor as a word of any text
    // (descriptions included). Names an open field shares (`population`) and short words (`by`) tell nothing.
    const open = new Set<string>();
    const openTypes = new Set<string>();
    visit(parseSdl(fs.readFileSync(new URL('../../schema/open.graphql', import.meta.url), 'utf8')), {
      FieldDefinition: (node) => void open.add(node.name.value),
      ObjectTypeDefinition: (node) => void openTypes.add(node.name.value),
    });
    const fields = [...new Set(restricted.filter((c) => openTypes.has(c.split('.')[0]!)).map((c) => c.split('.')[1]!))].filter((field) => !open.has(field) && field.length >= 5);
    expect(fields).toEqual(expect.arrayContaining(['cases', 'healthDetailed', 'contributor', 'rawMeasurements']));
    const catalogue = await fetch(`${base}/catalog.jsonld`, { headers: await bearer(['orsal:restricted', 'community:restricted', 'community:moderate', 'atmo:restricted', 'aprona:restricted']) });
    expect(catalogue.headers.get('cache-control')).toBe('private, no-store');
    const text = await catalogue.text();
    expect(text).toBe(texts.jsonld);
    // An identifier (`healthDetailed`) nowhere; a plain word (`contributor`: "Citizen contributor" is an open
    // producer name) never as a key nor as the last segment of an IRI.
    const words = new Set(text.split(/[^A-Za-z_]+/));
    expect(fields.filter((field) => /[A-Z]/.test(field) && words.has(field))).toEqual([]);
    const names = new Set<string>();
    const collect = (value: unknown): void => {
      if (Array.isArray(value)) return value.forEach(collect);
      if (!value || typeof value !== 'object') return;
      for (const [key, inner] of Object.entries(value)) {
        names.add(key.replace(/^.*[:#/]/, ''));
        if (key === '@id' || key === '@type') for (const id of [inner].flat()) if (typeof id === 'string') names.add(id.replace(/^.*[:#/]/, ''));
        collect(inner);
      }
    };
    collect(JSON.parse(text));
    expect(fields.filter((field) => names.has(field))).toEqual([]);
    // No restricted value either: the identities and contacts a moderator reads.
    const { data } = await gatewayQuery('{ contributions { contributor contact history { by } } datasetRequests { requestedBy } }', undefined, await bearer(['community:moderate', 'community:restricted']));
    const secrets = [...data.contributions.flatMap((c: any) => [c.contributor, c.contact, ...c.history.map((h: any) => h.by)]), ...data.datasetRequests.map((r: any) => r.requestedBy)].filter((v) => typeof v === 'string' && v.length > 3);
    expect(secrets.length).toBeGreaterThan(0);
    for (const extension of Object.keys(texts)) expect(secrets.filter((secret) => texts[extension]!.includes(secret))).toEqual([]);
  });
});
