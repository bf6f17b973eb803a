import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { Feature, FeatureCollection, MultiPolygon, Polygon } from 'geojson';

/**
 * The official geography ADEUS's referential is built from: commune and IRIS outlines (IGN ADMIN EXPRESS,
 * the Eurométropole's geolimites), codes, names and populations (INSEE, DGCL), read from a folder of
 * reference files (`TIGA_SHARED_DATA`), or — in a clone without it — from approximate cells around commune
 * centres, with codes and populations from @etalab/decoupage-administratif, labelled approximate.
 */
export const EPCI_CODES = ['246700488', '200068112'] as const;

export interface CommuneFact {
  code: string;
  name: string;
  epci: string;
  population: number;
  centre: [number, number];
  /** Real outline when the reference files are present; undefined in the fallback. */
  geometry?: Polygon | MultiPolygon;
}

export interface EpciFact {
  code: string;
  name: string;
  kind: string;
  population: number;
}

export interface IrisFact {
  code: string;
  name: string;
  commune: string;
  irisType: string;
  geometry: Polygon | MultiPolygon;
}

export interface OfficialGeography {
  /** `shared`: real boundaries from the reference files. `fallback`: approximate cells, labelled so. */
  source: 'shared' | 'fallback';
  sourceLabel: string;
  communes: CommuneFact[];
  epcis: EpciFact[];
  iris: IrisFact[];
}

interface EtalabCommune { code: string; nom: string; population?: number; type: string }
interface EtalabEpci { code: string; nom: string; type: string; populationMunicipale: number; membres: { code: string }[] }

const require = createRequire(import.meta.url);

/** A small comma-separated file without quoting (the fallback's commune centres). */
export function readPlainCsv(file: string): Record<string, string>[] {
  const [header, ...lines] = fs.readFileSync(file, 'utf8').trim().split('\n');
  const columns = (header ?? '').split(',');
  return lines.map((line) => {
    const cells = line.split(',');
    return Object.fromEntries(columns.map((column, i) => [column, cells[i] ?? '']));
  });
}

/** The mean of the outer ring's vertices (of the largest ring): a rough centre for seeds' gradients. */
export function centreOf(geometry: Polygon | MultiPolygon): [number, number] {
  const rings = geometry.type === 'Polygon' ? [geometry.coordinates[0]!] : geometry.coordinates.map((p) => p[0]!);
  const ring = rings.reduce((a, b) => (a.length >= b.length ? a : b));
  const lon = ring.reduce((s, p) => s + p[0]!, 0) / ring.length;
  const lat = ring.reduce((s, p) => s + p[1]!, 0) / ring.length;
  return [lon, lat];
}

function readJson<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

function fromShared(dir: string): OfficialGeography {
  type CommuneProps = { code: string; nom: string; epci: string; population: number };
  type IrisProps = { code: string; nom: string; commune: string; typ_iris: string };
  const territories = readJson<FeatureCollection<Polygon | MultiPolygon, CommuneProps>>(path.join(dir, 'territories.geojson'));
  const iris = readJson<FeatureCollection<Polygon | MultiPolygon, IrisProps>>(path.join(dir, 'iris.geojson'));
  const epcis = readJson<{ siren: string; nom: string; type: string; populationMunicipale: number }[]>(path.join(dir, 'epci.json'));
  return {
    source: 'shared',
    sourceLabel: 'IGN ADMIN EXPRESS-COG 2018 (simplified) + INSEE/DGCL COG 2026; IRIS: EMS geolimites; via shared/data',
    communes: territories.features.map((f: Feature<Polygon | MultiPolygon, CommuneProps>) => ({
      code: f.properties.code,
      name: f.properties.nom,
      epci: f.properties.epci,
      population: f.properties.population,
      centre: centreOf(f.geometry),
      geometry: f.geometry,
    })),
    epcis: epcis.map((e) => ({ code: e.siren, name: e.nom, kind: e.type, population: e.populationMunicipale })),
    iris: iris.features.map((f) => ({
      code: f.properties.code,
      name: f.properties.nom,
      commune: f.properties.commune,
      irisType: f.properties.typ_iris,
      geometry: f.geometry,
    })),
  };
}

function fromFallback(): OfficialGeography {
  const centresFile = new URL('./fallback/commune-centres.csv', import.meta.url);
  const centres = new Map(readPlainCsv(centresFile.pathname).map((r) => [r.code_insee!, [Number(r.lon), Number(r.lat)] as [number, number]]));
  const allCommunes = require('@etalab/decoupage-administratif/data/communes.json') as EtalabCommune[];
  const allEpcis = require('@etalab/decoupage-administratif/data/epci.json') as EtalabEpci[];
  const epcis = allEpcis.filter((e) => (EPCI_CODES as readonly string[]).includes(e.code));
  const epciOf = new Map(epcis.flatMap((e) => e.membres.map((m) => [m.code, e.code] as const)));
  const communes = allCommunes
    .filter((c) => c.type === 'commune-actuelle' && epciOf.has(c.code) && centres.has(c.code))
    .map((c) => ({ code: c.code, name: c.nom, epci: epciOf.get(c.code)!, population: c.population ?? 0, centre: centres.get(c.code)! }));
  return {
    source: 'fallback',
    sourceLabel: 'APPROXIMATE: Voronoi cells around commune centres (no shared/data); codes and populations from @etalab/decoupage-administratif',
    communes,
    epcis: epcis.map((e) => ({ code: e.code, name: e.nom, kind: e.type, population: e.populationMunicipale })),
    iris: [],
  };
}

/** Real boundaries when `sharedDataDir` holds them, else the approximate fallback. */
export function readOfficialGeography(sharedDataDir: string): OfficialGeography {
  return fs.existsSync(path.join(sharedDataDir, 'territories.geojson')) ? fromShared(sharedDataDir) : fromFallback();
}
