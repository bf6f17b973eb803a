import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import zlib from 'node:zlib';
import express from 'express';
import { parse as parseCsv } from 'csv-parse/sync';
import { geojson as fgb, type HeaderMeta } from 'flatgeobuf';
import { beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../support/auth.ts';
import { gatewayQuery, testHub } from '../support/hub.ts';
import { serveApp } from '../support/subgraph.ts';
import { readSupergraph, subgraphsOf } from '../../gateway/supergraph.ts';
import { streamExport } from '../../gateway/exports/streamExport.ts';
import { OPEN_COLLECTIONS } from '../../gateway/opendata/collections/index.ts';

/** What a harvester gets: status, headers and the bytes as they came on the wire (not decompressed). */
interface Download {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** False when the transfer was cut before its end. */
  complete: boolean;
}

function download(url: string, headers: Record<string, string> = {}): Promise<Download> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers }, (response) => {
      const chunks: Buffer[] = [];
      const done = (complete: boolean) => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks), complete });
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => done(response.complete));
      response.on('error', () => done(false));
      response.on('aborted', () => done(false));
    });
    request.on('error', reject);
  });
}

type Value = string | number | boolean | null;
/** A record as the open contract gives it: what every export of the collection must carry. */
interface Expected {
  id: string;
  geometry: unknown;
  properties: Record<string, Value>;
}

const LICENCES = {
  ODBL: 'http://opendatacommons.org/licenses/odbl/1-0/',
  LICENCE_OUVERTE_2: 'https://www.etalab.gouv.fr/licence-ouverte-open-licence/',
  CC_BY_4: 'https://creativecommons.org/licenses/by/4.0/',
} as Record<string, string>;
const STRASBOURG = '67482';
const SAVERNE = '200068112';
const OUTLINE = 'geometry(simplifyMeters: 20)';
const YEAR = new Date().getUTCFullYear();

const titles = new Map(subgraphsOf(readSupergraph()).map((g) => [g.name, g.title]));
const hasCrs = fs.readFileSync(new URL('../../schema/open.graphql', import.meta.url), 'utf8').includes('CoordinateReferenceSystem');

async function open<T = any>(query: string): Promise<T> {
  const { data, errors } = await gatewayQuery<T>(query);
  expect(errors).toBeUndefined();
  return data!;
}

/** The day of the latest indice ATMO of the EPCIs (the day the referential's layer shows). */
async function latestIndexDay(): Promise<string> {
  const days: string[] = [];
  for (const year of [YEAR - 2, YEAR - 1, YEAR, YEAR + 1]) {
    const data = await open(`{ territories(kind: EPCI) { airQuality(from: "${year}-01-01", to: "${year}-12-31") { date } } }`);
    days.push(...data.territories.flatMap((t: any) => (t.airQuality ?? []).map((i: any) => i.date)));
  }
  return days.sort().at(-1)!;
}

/** The last day holding a citizen reading anywhere in the network. */
async function lastReadingDay(): Promise<string> {
  const times: string[] = [];
  for (const year of [YEAR - 2, YEAR - 1, YEAR]) {
    const data = await open(`{ sensors(first: 200) { edges { node { readings(from: "${year}-01-01", to: "${year}-12-31", first: 1000) { edges { node { time } } } } } } }`);
    times.push(...data.sensors.edges.flatMap((e: any) => e.node.readings.edges.map((r: any) => r.node.time)));
  }
  return times.sort().at(-1)!.slice(0, 10);
}

const daysBefore = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) - n * 86_400_000).toISOString().slice(0, 10);
const byCode = (a: { code: string }, b: { code: string }) => a.code.localeCompare(b.code);

interface Story {
  collection: string;
  /** The export's query string: narrow enough to keep the test fast. */
  filter: string;
  /** The same selection read through POST /graphql, written out here, and what each record must be. */
  expected(): Promise<Expected[]>;
  /** Each record's licence code (the dataset's, or the record's own). */
  licence: (e: Expected) => string;
  producer: string;
}

const STATION = 'id name location communeCode epciCode typology areaClassification activeFrom activeTo source synthetic';
const stationProperties = (s: any) => ({
  id: s.id, name: s.name, communeCode: s.communeCode, epciCode: s.epciCode, typology: s.typology, areaClassification: s.areaClassification,
  activeFrom: s.activeFrom, activeTo: s.activeTo, source: s.source, synthetic: s.synthetic,
});

const STORIES: Story[] = [
  {
    collection: 'territories',
    filter: `territory=${STRASBOURG}`,
    producer: 'adeus',
    licence: () => 'LICENCE_OUVERTE_2',
    async expected() {
      const day = await latestIndexDay();
      const data = await open(`{ territory(code: "${STRASBOURG}") { ...T airQuality(from: "${day}", to: "${day}") { date index label } urban { year greenSpaceShare imperviousShare populationDensity } children { ...T } } }
        fragment T on Territory { code name kind population areaKm2 parent { code } approximate source ${OUTLINE} }`);
      return [data.territory, ...data.territory.children].sort(byCode).map((t: any) => {
        const index = t.airQuality?.at(-1);
        return {
          id: t.code,
          geometry: t.geometry,
          properties: {
            code: t.code, kind: t.kind, name: t.name, population: t.population, areaKm2: t.areaKm2, parentCode: t.parent?.code ?? null, approximate: t.approximate,
            airQualityDate: index?.date ?? null, airQualityIndex: index?.index ?? null, airQualityLabel: index?.label ?? null, urbanYear: t.urban?.year ?? null,
            greenSpaceShare: t.urban?.greenSpaceShare ?? null, imperviousShare: t.urban?.imperviousShare ?? null, populationDensity: t.urban?.populationDensity ?? null, source: t.source,
          },
        };
      });
    },
  },
  {
    collection: 'air-quality-index',
    filter: `territory=${STRASBOURG}&from=2025-01-01&to=2025-01-07`,
    producer: 'atmo',
    licence: () => 'ODBL',
    async expected() {
      const data = await open(`{ territory(code: "${STRASBOURG}") { code name kind ${OUTLINE}
        airQuality(from: "2025-01-01", to: "2025-01-07") { date index label color subIndices { no2 so2 o3 pm10 pm25 } kind issuedOn updatedAt zoneCode zoneName source synthetic } } }`);
      const t = data.territory;
      return t.airQuality.map((i: any) => ({
        id: `${t.code}-${i.date}`,
        geometry: t.geometry,
        properties: {
          territoryCode: t.code, territoryName: t.name, territoryKind: t.kind, date: i.date, index: i.index, label: i.label, color: i.color, ...i.subIndices,
          kind: i.kind, issuedOn: i.issuedOn, updatedAt: i.updatedAt, zoneCode: i.zoneCode, zoneName: i.zoneName, source: i.source, synthetic: i.synthetic,
        },
      }));
    },
  },
  {
    collection: 'air-stations',
    filter: `territory=${STRASBOURG}`,
    producer: 'atmo',
    licence: () => 'ODBL',
    async expected() {
      const data = await open(`{ area(select: { territory: "${STRASBOURG}" }) { airStations { ${STATION} } } }`);
      return data.area.airStations.map((s: any) => ({ id: s.id, geometry: s.location, properties: stationProperties(s) }));
    },
  },
  {
    collection: 'air-measurements',
    filter: `territory=${STRASBOURG}&from=2025-01-01&to=2025-01-01`,
    producer: 'atmo',
    licence: () => 'ODBL',
    async expected() {
      const data = await open(`{ area(select: { territory: "${STRASBOURG}" }) { airStations { id name location
        measurements(from: "2025-01-01T00:00:00.000Z", to: "2025-01-01T23:59:59.999Z", first: 1000) { edges { node { pollutant time value unit validated verified qualityCode source synthetic } } } } } }`);
      return data.area.airStations.flatMap((s: any) =>
        s.measurements.edges.map(({ node: m }: any) => ({
          id: `${s.id}-${m.pollutant}-${m.time}`,
          geometry: s.location,
          properties: {
            stationId: s.id, stationName: s.name, pollutant: m.pollutant, time: m.time, value: m.value, unit: m.unit, validated: m.validated, verified: m.verified,
            qualityCode: m.qualityCode, source: m.source, synthetic: m.synthetic,
          },
        })),
      );
    },
  },
  {
    collection: 'citizen-sensors',
    filter: `territory=${STRASBOURG}`,
    producer: 'community',
    licence: (e) => e.properties.licence as string,
    async expected() {
      // A sensor's latest reading: its last hourly mean (at most 7 × 24 of them) within the network's last 7 days of readings.
      const last = await lastReadingDay();
      const data = await open(`{ area(select: { territory: "${STRASBOURG}" }) { sensors { id sensorType pairedSensorType location measures status
        provenance { producerName licence source synthetic } quality { score flags { code } computedAt }
        readings(from: "${daysBefore(last, 6)}", to: "${last}", first: ${7 * 24}) { edges { node { time pm10 pm25 pm25HumidityCorrected pm10HumidityCorrected temperature humidity } } } } } }`);
      return data.area.sensors.map((s: any) => {
        const latest = s.readings.edges.at(-1)?.node;
        return {
          id: s.id,
          geometry: s.location,
          properties: {
            id: s.id, sensorType: s.sensorType, pairedSensorType: s.pairedSensorType, measures: s.measures.join(','), status: s.status,
            qualityScore: s.quality?.score ?? null, qualityFlags: s.quality ? s.quality.flags.map((f: any) => f.code).join(',') : null, qualityComputedAt: s.quality?.computedAt ?? null,
            latestTime: latest?.time ?? null, latestPm10: latest?.pm10 ?? null, latestPm25: latest?.pm25 ?? null, latestPm25HumidityCorrected: latest?.pm25HumidityCorrected ?? null,
            latestPm10HumidityCorrected: latest?.pm10HumidityCorrected ?? null, latestTemperature: latest?.temperature ?? null, latestHumidity: latest?.humidity ?? null,
            producerName: s.provenance.producerName, licence: s.provenance.licence, source: s.provenance.source, synthetic: s.provenance.synthetic,
          },
        };
      });
    },
  },
  {
    collection: 'health-indicators',
    // The Pays de Saverne: small communes, so withheld values.
    filter: `territory=${SAVERNE}`,
    producer: 'orsal',
    licence: () => 'LICENCE_OUVERTE_2',
    async expected() {
      const data = await open(`{ territory(code: "${SAVERNE}") { ...H children { ...H } } }
        fragment H on Territory { code name kind ${OUTLINE} health { indicator label period value unit confidenceInterval { low high } precision population suppressed suppressionReason source synthetic } }`);
      return [data.territory, ...data.territory.children].sort(byCode).flatMap((t: any) =>
        t.health.map((v: any) => ({
          id: `${t.code}-${v.indicator}-${v.period}`,
          geometry: t.geometry,
          properties: {
            territoryCode: t.code, territoryName: t.name, territoryKind: t.kind, indicator: v.indicator, label: v.label, period: v.period, value: v.value, unit: v.unit,
            confidenceLow: v.confidenceInterval?.low ?? null, confidenceHigh: v.confidenceInterval?.high ?? null, precision: v.precision, population: v.population,
            suppressed: v.suppressed, suppressionReason: v.suppressionReason, source: v.source, synthetic: v.synthetic,
          },
        })),
      );
    },
  },
  {
    collection: 'urban-indicators',
    filter: `territory=${STRASBOURG}&from=2020-01-01&to=${YEAR}-12-31`,
    producer: 'adeus',
    licence: () => 'LICENCE_OUVERTE_2',
    async expected() {
      const years = Array.from({ length: YEAR - 2020 + 1 }, (_, i) => 2020 + i);
      const data = await open(`{ territory(code: "${STRASBOURG}") { code name ${OUTLINE}
        ${years.map((y) => `y${y}: urban(year: ${y}) { year greenSpaceShare imperviousShare populationDensity cycleLaneDensity treeCanopyShare source synthetic }`).join(' ')} } }`);
      const t = data.territory;
      return years.filter((y) => t[`y${y}`]).map((y) => {
        const u = t[`y${y}`];
        return { id: `${t.code}-${u.year}`, geometry: t.geometry, properties: { territoryCode: t.code, territoryName: t.name, ...u } };
      });
    },
  },
  {
    collection: 'groundwater-points',
    filter: `territory=${STRASBOURG}`,
    producer: 'aprona',
    licence: () => 'LICENCE_OUVERTE_2',
    async expected() {
      const data = await open(`{ area(select: { territory: "${STRASBOURG}" }) { groundwaterPoints { id bssCode name location locationPrecision communeCode aquifer { code name }
        latestStatus { assessment lastSampled parameters { parameter { code } exceedsLimit } } source synthetic } } }`);
      return data.area.groundwaterPoints.map((p: any) => ({
        id: p.id,
        geometry: p.location,
        properties: {
          id: p.id, bssCode: p.bssCode, name: p.name, locationPrecision: p.locationPrecision, communeCode: p.communeCode, aquiferCode: p.aquifer?.code ?? null,
          aquiferName: p.aquifer?.name ?? null, assessment: p.latestStatus.assessment, lastSampled: p.latestStatus.lastSampled,
          parametersExceeding: p.latestStatus.parameters.filter((s: any) => s.exceedsLimit).map((s: any) => s.parameter.code).join(','), source: p.source, synthetic: p.synthetic,
        },
      }));
    },
  },
  {
    collection: 'groundwater-analyses',
    filter: `territory=${STRASBOURG}&from=2024-01-01&to=2024-12-31`,
    producer: 'aprona',
    licence: () => 'LICENCE_OUVERTE_2',
    async expected() {
      const inside = await open(`{ area(select: { territory: "${STRASBOURG}" }) { groundwaterPoints { id } } }`);
      const points: any[] = [];
      for (const { id } of inside.area.groundwaterPoints) {
        const data = await open(`{ groundwaterPoint(id: "${id}") { id location
          analyses(from: "2024-01-01T00:00:00.000Z", to: "2024-12-31T23:59:59.999Z", first: 1000) { edges { node { parameter { code name kind } sampledAt value unit qualifier quantificationLimit exceedsLimit validated source synthetic } } } } }`);
        points.push(data.groundwaterPoint);
      }
      return points.flatMap((p: any) =>
        p.analyses.edges.map(({ node: a }: any) => ({
          id: `${p.id}-${a.parameter.code}-${a.sampledAt}`,
          geometry: p.location,
          properties: {
            pointId: p.id, parameterCode: a.parameter.code, parameterName: a.parameter.name, parameterKind: a.parameter.kind, sampledAt: a.sampledAt, value: a.value,
            unit: a.unit, qualifier: a.qualifier, quantificationLimit: a.quantificationLimit, exceedsLimit: a.exceedsLimit, validated: a.validated, source: a.source, synthetic: a.synthetic,
          },
        })),
      );
    },
  },
];

/** A value as an open CSV writes it: empty for none, true/false, plain decimals. */
function cell(value: Value): string {
  if (value === null) return '';
  if (typeof value === 'number') {
    expect(String(value)).not.toMatch(/e/);
    return String(value);
  }
  return String(value);
}

/** The CSV row the record must be: id, its properties (a licence code as its URI, at the end), coordinates of a point, licence, attribution. */
function csvRecord(story: Story, e: Expected, pointColumns: [string, string] | undefined): Record<string, string> {
  const { id: _, licence: __, ...rest } = e.properties;
  const row: Record<string, string> = { id: e.id };
  for (const [name, value] of Object.entries(rest)) row[name] = cell(value);
  if (pointColumns) {
    const [x, y] = (e.geometry as { coordinates: number[] }).coordinates;
    row[pointColumns[0]] = String(x);
    row[pointColumns[1]] = String(y);
  }
  row.licence = LICENCES[story.licence(e)]!;
  row.attribution = titles.get(story.producer)!;
  return row;
}

let base: string;

describe('a data scientist downloads whole open datasets at /exports, exactly what anonymous GraphQL gives', () => {
  beforeAll(async () => {
    const hub = await testHub();
    base = hub.gatewayUrl.replace(/\/graphql$/, '');
  });

  it('GET /exports lists every open collection with its titles, formats, URLs, licence and attribution', async () => {
    const response = await fetch(`${base}/exports`);
    expect(response.status).toBe(200);
    const { exports } = (await response.json()) as { exports: any[] };
    expect(exports.map((e) => e.id)).toEqual(OPEN_COLLECTIONS.map((c) => c.id));
    const stations = exports.find((e) => e.id === 'air-stations');
    expect(stations).toMatchObject({
      title: { fr: expect.any(String), en: 'Air quality monitoring stations' },
      licence: LICENCES.ODBL,
      attribution: 'ATMO Grand Est',
      formats: [
        { format: 'csv', url: `${base}/exports/air-stations.csv` },
        { format: 'geojson', url: `${base}/exports/air-stations.geojson` },
        { format: 'fgb', url: `${base}/exports/air-stations.fgb` },
      ],
    });
    expect(exports.find((e) => e.id === 'citizen-sensors')).toMatchObject({ licence: null, licencePerRecord: expect.stringContaining('licence') });
  });

  it('a browser app on another origin may download an export and read its licence and validator (CORS)', async () => {
    const response = await download(`${base}/exports/air-stations.geojson`, { origin: 'https://data.strasbourg.eu' });
    expect(response.status).toBe(200);
    expect(response.headers['access-control-allow-origin']).toBe('*');
    expect(String(response.headers['access-control-expose-headers']).split(',')).toEqual(expect.arrayContaining(['etag', 'link']));
  });

  for (const story of STORIES) {
    it(`${story.collection}: the CSV and the GeoJSON hold the anonymous GraphQL answer, record for record, with the licence`, async () => {
      const expected = await story.expected();
      expect(expected.length, 'the filter selects records').toBeGreaterThan(0);
      const collection = OPEN_COLLECTIONS.find((c) => c.id === story.collection)!;
      const point = collection.geometryType === 'Point';

      const geojson = await download(`${base}/exports/${story.collection}.geojson?${story.filter}`);
      expect(geojson.status).toBe(200);
      expect(geojson.headers['content-type']).toBe('application/geo+json');
      expect(geojson.headers['content-disposition']).toBe(`attachment; filename="${story.collection}.geojson"`);
      const document = JSON.parse(geojson.body.toString('utf8'));
      const licences = [...new Set(expected.map((e) => LICENCES[story.licence(e)]!))];
      expect(document).toMatchObject({ type: 'FeatureCollection', name: story.collection, attribution: titles.get(story.producer), licence: licences.length === 1 ? licences[0] : licences });
      expect(document.crs).toBeUndefined();
      expect(document.features).toEqual(expected.map((e) => ({ type: 'Feature', id: e.id, geometry: e.geometry, properties: e.properties })));

      const csv = await download(`${base}/exports/${story.collection}.csv?${story.filter}`);
      expect(csv.status).toBe(200);
      expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8; header=present');
      expect(csv.headers['content-disposition']).toBe(`attachment; filename="${story.collection}.csv"`);
      for (const uri of licences) expect(csv.headers.link).toContain(`<${uri}>; rel="license"`);
      const text = csv.body.toString('utf8');
      expect(text.endsWith('\r\n')).toBe(true);
      expect(text.replaceAll('\r\n', '')).not.toMatch(/(?<!\r)\n/);
      const rows = parseCsv(text, { columns: true }) as Record<string, string>[];
      const want = expected.map((e) => csvRecord(story, e, point ? ['longitude', 'latitude'] : undefined));
      expect(Object.keys(rows[0]!)).toEqual(Object.keys(want[0]!));
      expect(rows).toEqual(want);
    });
  }

  it('withheld health values stay withheld, and a researcher\'s token changes nothing in the bytes', async () => {
    const path = `${base}/exports/health-indicators.csv?territory=${SAVERNE}`;
    const anonymous = await download(path);
    const researcher = await bearer(['orsal:restricted'], 'researcher-exports');
    // The token is valid and opens restricted values through GraphQL…
    const { data, errors } = await gatewayQuery(`{ territory(code: "${SAVERNE}") { children { code healthDetailed(indicator: "ASTHMA_PREVALENCE") { period value cases } } } }`, undefined, researcher);
    expect(errors).toBeUndefined();
    expect(data.territory.children.some((c: any) => c.healthDetailed?.length)).toBe(true);
    // …yet the export is the anonymous one, byte for byte.
    const withToken = await download(path, researcher);
    expect(withToken.status).toBe(200);
    expect(withToken.body.equals(anonymous.body)).toBe(true);
    const rows = parseCsv(anonymous.body.toString('utf8'), { columns: true }) as Record<string, string>[];
    const withheld = rows.filter((r) => r.suppressed === 'true');
    expect(withheld.length).toBeGreaterThan(0);
    for (const row of withheld) expect({ value: row.value, confidenceLow: row.confidenceLow, confidenceHigh: row.confidenceHigh }).toEqual({ value: '', confidenceLow: '', confidenceHigh: '' });
    const geojson = JSON.parse((await download(`${base}/exports/health-indicators.geojson?territory=${SAVERNE}`, researcher)).body.toString('utf8'));
    for (const f of geojson.features.filter((f: any) => f.properties.suppressed)) expect(f.properties.value).toBeNull();
  });

  it('a French spreadsheet gets semicolons, decimal commas and a byte order mark (sep=semicolon, or locale=fr)', async () => {
    const plain = parseCsv((await download(`${base}/exports/health-indicators.csv?territory=${STRASBOURG}`)).body.toString('utf8'), { columns: true }) as Record<string, string>[];
    for (const option of ['sep=semicolon', 'locale=fr']) {
      const french = await download(`${base}/exports/health-indicators.csv?territory=${STRASBOURG}&${option}`);
      expect(french.status).toBe(200);
      expect([...french.body.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      const text = french.body.toString('utf8');
      expect(text.split('\r\n')[0]).toMatch(/^\uFEFFid;territoryCode;territoryName;/);
      const rows = parseCsv(text, { columns: true, delimiter: ';', bom: true }) as Record<string, string>[];
      expect(rows.some((r) => r.value!.includes(','))).toBe(true);
      const decimal = new Set(['value', 'confidenceLow', 'confidenceHigh', 'precision']);
      expect(rows).toEqual(plain.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, decimal.has(k) ? v.replace('.', ',') : v]))));
    }
  });

  it('an open CSV parsed back with csv-parse gives every value exactly, quotes and commas included', async () => {
    const csv = (await download(`${base}/exports/air-stations.csv`)).body.toString('utf8');
    const geojson = JSON.parse((await download(`${base}/exports/air-stations.geojson`)).body.toString('utf8'));
    const rows = parseCsv(csv, { columns: true }) as Record<string, string>[];
    expect(rows.some((r) => r.source!.includes(','))).toBe(true);
    expect(rows.map((r) => [r.id, r.name, r.source, Number(r.longitude), Number(r.latitude)])).toEqual(
      geojson.features.map((f: any) => [f.id, f.properties.name, f.properties.source, ...f.geometry.coordinates]),
    );
  });

  it('the FlatGeobuf export, read back with the flatgeobuf library, holds the CSV\'s records, geometries and CRS', async () => {
    for (const [collection, filter] of [['territories', `territory=${STRASBOURG}`], ['air-measurements', `territory=${STRASBOURG}&from=2025-01-01&to=2025-01-01`], ['citizen-sensors', '']] as const) {
      const file = await download(`${base}/exports/${collection}.fgb?${filter}`);
      expect(file.status).toBe(200);
      expect(file.headers['content-type']).toBe('application/flatgeobuf');
      let header: any;
      const features: any[] = [];
      for await (const feature of fgb.deserialize(new Uint8Array(file.body), { headerMetaFn: (meta: HeaderMeta) => (header = meta) })) features.push(feature);
      const csv = parseCsv((await download(`${base}/exports/${collection}.csv?${filter}`)).body.toString('utf8'), { columns: true }) as Record<string, string>[];
      const geojson = JSON.parse((await download(`${base}/exports/${collection}.geojson?${filter}`)).body.toString('utf8'));
      expect(header.crs.code).toBe(4326);
      expect(features.length).toBe(csv.length);
      const columns = header.columns.map((c: any) => c.name);
      expect(columns).toEqual(Object.keys(csv[0]!).filter((name) => !['longitude', 'latitude'].includes(name)));
      features.forEach((f, i) => {
        const asText = Object.fromEntries(columns.map((name: string) => {
          const value = f.properties[name];
          return [name, value === undefined || value === null ? '' : String(value)];
        }));
        expect(asText).toEqual(Object.fromEntries(columns.map((name: string) => [name, csv[i]![name]])));
        const g = geojson.features[i].geometry;
        expect(f.geometry).toEqual(g.type === 'Polygon' ? { type: 'MultiPolygon', coordinates: [g.coordinates] } : g);
      });
    }
  });

  it('a client that accepts gzip (or Brotli) gets the same bytes compressed, with their own ETag', async () => {
    const path = `${base}/exports/air-stations.csv`;
    const plain = await download(path);
    const gzip = await download(path, { 'accept-encoding': 'gzip' });
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(gzip.headers.vary).toContain('Accept-Encoding');
    expect(zlib.gunzipSync(gzip.body).equals(plain.body)).toBe(true);
    expect(gzip.headers.etag).toBe(plain.headers.etag!.replace(/"$/, '-gzip"'));
    const br = await download(path, { 'accept-encoding': 'br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(zlib.brotliDecompressSync(br.body).equals(plain.body)).toBe(true);
    // A long series, streamed from its first byte, compressed as it goes.
    const series = `${base}/exports/air-measurements.csv?territory=${STRASBOURG}&from=2025-01-01&to=2025-01-02`;
    expect(zlib.gunzipSync((await download(series, { 'accept-encoding': 'gzip, deflate, br' })).body).equals((await download(series)).body)).toBe(true);
  });

  it('a harvester revalidates: its ETag (the SHA-256 of the file) gets 304 while the data is unchanged', async () => {
    // A collection read whole to count it: every answer carries its ETag.
    const stations = await download(`${base}/exports/air-stations.geojson`);
    const digest = createHash('sha256').update(stations.body).digest('base64url');
    expect(stations.headers.etag).toBe(`"${digest}"`);
    expect(stations.headers['cache-control']).toBe('public, no-cache');
    expect(stations.headers['last-modified']).toBeDefined();
    expect((await download(`${base}/exports/air-stations.geojson`, { 'if-none-match': stations.headers.etag! })).status).toBe(304);
    const head = await new Promise<http.IncomingMessage>((resolve) => http.request(`${base}/exports/air-stations.geojson`, { method: 'HEAD' }, resolve).end());
    head.resume();
    expect({ status: head.statusCode, etag: head.headers.etag, type: head.headers['content-type'] }).toEqual({ status: 200, etag: stations.headers.etag, type: 'application/geo+json' });
    expect((await download(`${base}/exports/air-stations.geojson`, { 'if-none-match': `"${digest}-gzip"`, 'accept-encoding': 'gzip' })).status).toBe(304);
    expect((await download(`${base}/exports/air-stations.geojson`, { 'if-modified-since': stations.headers['last-modified']! })).status).toBe(304);
    // Another filter is another body: another tag, so no 304.
    const filtered = await download(`${base}/exports/air-stations.geojson?territory=${STRASBOURG}`, { 'if-none-match': stations.headers.etag! });
    expect(filtered.status).toBe(200);
    expect(filtered.headers.etag).toBe(`"${createHash('sha256').update(filtered.body).digest('base64url')}"`);

    // A long series streams at once, without an ETag; the harvester hashes the file it got, and revalidates.
    const path = `${base}/exports/air-measurements.csv?territory=${STRASBOURG}&from=2025-01-01&to=2025-01-01`;
    const series = await download(path);
    expect(series.headers.etag).toBeUndefined();
    const tag = `"${createHash('sha256').update(series.body).digest('base64url')}"`;
    const revalidated = await download(path, { 'if-none-match': tag });
    expect(revalidated.status).toBe(304);
    expect(revalidated.headers.etag).toBe(tag);
    // A stale tag: the whole file again, under its current tag.
    const stale = await download(path, { 'if-none-match': '"an-old-digest"' });
    expect(stale.status).toBe(200);
    expect(stale.body.equals(series.body)).toBe(true);
    expect(stale.headers.etag).toBe(tag);
  });

  it('a proxy speaking HTTP/1.0 to the hub (no chunked encoding: nginx\'s default) gets a Content-Length, so a cut transfer shows', async () => {
    const path = `/exports/air-measurements.csv?territory=${STRASBOURG}&from=2025-01-01&to=2025-01-01`;
    const chunked = await download(`${base}${path}`);
    const { hostname, port } = new URL(base);
    const socket = net.connect(Number(port), hostname);
    socket.write(`GET ${path} HTTP/1.0\r\nHost: ${hostname}\r\nAccept-Encoding: gzip\r\n\r\n`);
    const parts: Buffer[] = [];
    for await (const part of socket) parts.push(part as Buffer);
    const raw = Buffer.concat(parts);
    const split = raw.indexOf('\r\n\r\n');
    const head = raw.subarray(0, split).toString('latin1');
    const body = raw.subarray(split + 4);
    expect(head).toMatch(/^HTTP\/1\.[01] 200/);
    expect(head).not.toMatch(/transfer-encoding|content-encoding/i);
    expect(Number(/content-length: (\d+)/i.exec(head)?.[1])).toBe(body.length);
    expect(body.equals(chunked.body)).toBe(true);
  });

  it('a bad filter is a 400 naming it, an unknown export or territory a 404, each with the request id', async () => {
    const bad = [
      'air-stations.csv?bbox=7.7,48.5,7.8',
      'air-stations.csv?bbox=7.8,48.5,7.7,48.6',
      'air-stations.csv?territory=Strasbourg',
      'air-measurements.csv?from=2025-02-30',
      'air-measurements.csv?from=2025-01-02&to=2025-01-01',
      'air-measurements.csv?from=2025-01-01T08:00',
      'air-stations.csv?crs=EPSG:3857',
      'air-stations.csv?sep=tab',
      'air-stations.geojson?sep=semicolon',
      'air-stations.csv?territorry=67482',
      'air-stations.csv?territory=67482&territory=67043',
    ];
    for (const path of bad) {
      const response = await download(`${base}/exports/${path}`);
      const body = JSON.parse(response.body.toString('utf8'));
      expect({ path, status: response.status, code: body.errors[0].extensions.code }).toEqual({ path, status: 400, code: 'BAD_USER_INPUT' });
      expect(body.errors[0].extensions.requestId).toBe(response.headers['x-request-id']);
      expect(body.errors[0].message).toEqual(expect.any(String));
    }
    for (const path of ['nothing.csv', 'air-stations.xlsx', 'air-stations', 'air-stations.csv?territory=99999']) {
      const response = await download(`${base}/exports/${path}`);
      const body = JSON.parse(response.body.toString('utf8'));
      expect({ path, status: response.status, code: body.errors[0].extensions.code }).toEqual({ path, status: 404, code: 'NOT_FOUND' });
      expect(body.errors[0].extensions.requestId).toBe(response.headers['x-request-id']);
    }
  });

  it('the bbox and the day/instant bounds narrow an export as the contract does', async () => {
    const all = JSON.parse((await download(`${base}/exports/air-stations.geojson`)).body.toString('utf8')).features as any[];
    const box = [7.7, 48.5, 7.8, 48.65];
    const inBox = JSON.parse((await download(`${base}/exports/air-stations.geojson?bbox=${box.join(',')}`)).body.toString('utf8')).features as any[];
    expect(inBox.length).toBeGreaterThan(0);
    expect(inBox.length).toBeLessThan(all.length);
    for (const f of inBox) {
      const [x, y] = f.geometry.coordinates;
      expect(x >= box[0]! && x <= box[2]! && y >= box[1]! && y <= box[3]!).toBe(true);
    }
    const hours = parseCsv((await download(`${base}/exports/air-measurements.csv?territory=${STRASBOURG}&from=2025-01-01T06:00:00Z&to=2025-01-01T08:00:00%2B01:00`)).body.toString('utf8'), { columns: true }) as Record<string, string>[];
    expect([...new Set(hours.map((r) => r.time))].sort()).toEqual(['2025-01-01T06:00:00.000Z', '2025-01-01T07:00:00.000Z']);
  });

  it.skipIf(!hasCrs)('in Lambert-93 (crs=EPSG:2154) the coordinates are the contract\'s projected ones: x,y columns and GeoJSON\'s crs member', async () => {
    const data = await open(`{ area(select: { territory: "${STRASBOURG}" }) { airStations { id location(crs: EPSG_2154) } } }`);
    const geojson = JSON.parse((await download(`${base}/exports/air-stations.geojson?territory=${STRASBOURG}&crs=EPSG:2154`)).body.toString('utf8'));
    expect(geojson.crs).toEqual({ type: 'name', properties: { name: 'urn:ogc:def:crs:EPSG::2154' } });
    expect(geojson.features.map((f: any) => [f.id, f.geometry])).toEqual(data.area.airStations.map((s: any) => [s.id, s.location]));
    const rows = parseCsv((await download(`${base}/exports/air-stations.csv?territory=${STRASBOURG}&crs=EPSG:2154`)).body.toString('utf8'), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => [r.id, Number(r.x), Number(r.y)])).toEqual(data.area.airStations.map((s: any) => [s.id, ...s.location.coordinates]));
    expect(rows[0]).not.toHaveProperty('longitude');
    const file = await download(`${base}/exports/air-stations.fgb?territory=${STRASBOURG}&crs=EPSG:2154`);
    let code = 0;
    for await (const _ of fgb.deserialize(new Uint8Array(file.body), { headerMetaFn: (meta: HeaderMeta) => (code = meta.crs!.code) }));
    expect(code).toBe(2154);
  });

  it('a GIS asking for outlines in the CSV gets a WKT column (geometry=wkt)', async () => {
    const rows = parseCsv((await download(`${base}/exports/territories.csv?territory=${STRASBOURG}&geometry=wkt`)).body.toString('utf8'), { columns: true }) as Record<string, string>[];
    expect(rows[0]!.wkt).toMatch(/^(MULTI)?POLYGON \(\(\(?\d+\.\d+ \d+\.\d+, /);
    const points = parseCsv((await download(`${base}/exports/air-stations.csv?geometry=wkt`)).body.toString('utf8'), { columns: true }) as Record<string, string>[];
    for (const r of points) expect(r.wkt).toBe(`POINT (${r.longitude} ${r.latitude})`);
  });
});

describe('an export that breaks after its first byte never looks complete', () => {
  /** A local server whose body fails after `good` pieces, or whose bytes differ from the ETag it announced. */
  async function serverFailing(mode: 'error' | 'changed') {
    const app = express();
    app.get('/export', async (req, res) => {
      async function* body() {
        yield Buffer.from('id,value\r\n');
        for (let i = 0; i < 200; i++) yield Buffer.from(`${i},${'x'.repeat(1000)}\r\n`);
        if (mode === 'error') throw new Error('a producer went down in the middle of the export');
      }
      res.setHeader('content-type', 'text/csv');
      const coding = req.get('accept-encoding') === 'gzip' ? 'gzip' : 'identity';
      if (coding === 'gzip') res.setHeader('content-encoding', 'gzip');
      await streamExport(res, body(), coding, mode === 'changed' ? 'the-digest-announced-before' : undefined).catch(() => undefined);
    });
    return serveApp(app);
  }

  for (const mode of ['error', 'changed'] as const)
    for (const coding of ['identity', 'gzip'])
      it(`${mode === 'error' ? 'a read failing' : 'data changing under its ETag'} mid-way (${coding}): the transfer is cut before its last chunk`, async () => {
        const server = await serverFailing(mode);
        try {
          const got = await download(`${server.url.replace(/\/graphql$/, '')}/export`, coding === 'gzip' ? { 'accept-encoding': 'gzip' } : {});
          expect(got.status).toBe(200);
          expect(got.body.length).toBeGreaterThan(0);
          expect(got.complete).toBe(false);
        } finally {
          await server.close();
        }
      });
});
