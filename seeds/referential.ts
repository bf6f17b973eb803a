import fs from 'node:fs';
import path from 'node:path';
import type { FeatureCollection, Point } from 'geojson';
import { readOfficialGeography, readPlainCsv, type OfficialGeography } from '../subgraphs/adeus/referential.ts';

export { centreOf, type CommuneFact, type EpciFact, type IrisFact } from '../subgraphs/adeus/referential.ts';

export interface StationFact {
  code: string;
  name: string;
  commune: string;
  location: [number, number];
}

/**
 * The facts about the territory that seed generators need: ADEUS's official geography (codes, names,
 * centres, populations, outlines) and ATMO's real station points (LCSQA), read from the reference data in
 * shared/data or — in a clone without it — from the fallbacks the project keeps.
 */
export interface Referential extends OfficialGeography {
  stations: StationFact[];
}

function stationsFrom(sharedDataDir: string): StationFact[] {
  const file = path.join(sharedDataDir, 'atmo-stations-67.geojson');
  if (fs.existsSync(file)) {
    const stations = JSON.parse(fs.readFileSync(file, 'utf8')) as FeatureCollection<Point, { code: string; nom: string; commune: string }>;
    return stations.features.map((f) => ({ code: f.properties.code, name: f.properties.nom, commune: f.properties.commune, location: f.geometry.coordinates as [number, number] }));
  }
  return readPlainCsv(path.join(path.dirname(new URL(import.meta.url).pathname), 'fallback', 'atmo-stations.csv')).map((r) => ({
    code: r.code!,
    name: r.nom!,
    commune: r.commune!,
    location: [Number(r.lon), Number(r.lat)] as [number, number],
  }));
}

/** Real data when `sharedDataDir` holds it, else the approximate fallback. */
export function loadReferential(sharedDataDir: string): Referential {
  return { ...readOfficialGeography(sharedDataDir), stations: stationsFrom(sharedDataDir) };
}
