import type { Ingester } from '../../lib/ingest/types.ts';
import { dailyIndexArcgis, dailyIndexCsv, dailyIndexGeoJson } from './ingest/indice.ts';
import { measurementsCsv } from './ingest/measurements.ts';
import { lcsqaE2Csv } from './ingest/e2.ts';
import { lcsqaStationsCsv } from './ingest/stations.ts';

/**
 * ATMO's readers, each recognised from a file's content: the daily indice ATMO (national CSV, GeoJSON,
 * ATMO Grand Est's ArcGIS JSON), hourly station measurements (the hub's CSV, the LCSQA E2 national files)
 * and the LCSQA list of measurement sites. Fixtures and their sources: subgraphs/atmo/samples/README.md.
 */
export const ingesters: Ingester[] = [dailyIndexCsv, dailyIndexGeoJson, dailyIndexArcgis, measurementsCsv, lcsqaE2Csv, lcsqaStationsCsv];
