import type { OpenCollection } from '../openCollection.ts';
import { airMeasurements } from './airMeasurements.ts';
import { airQualityIndex } from './airQualityIndex.ts';
import { airStations } from './airStations.ts';
import { citizenSensors } from './citizenSensors.ts';
import { groundwaterAnalyses } from './groundwaterAnalyses.ts';
import { groundwaterPoints } from './groundwaterPoints.ts';
import { healthIndicators } from './healthIndicators.ts';
import { territories } from './territories.ts';
import { urbanIndicators } from './urbanIndicators.ts';

/** Every open collection, in the order routes list them. */
export const OPEN_COLLECTIONS: OpenCollection[] = [territories, airQualityIndex, airStations, airMeasurements, citizenSensors, healthIndicators, urbanIndicators, groundwaterPoints, groundwaterAnalyses];

/** Collections the OGC API serves: the time series too long to page by offset (measurements, analyses) are exports only. */
export const OGC_COLLECTIONS = OPEN_COLLECTIONS.filter((c) => c.id !== 'air-measurements' && c.id !== 'groundwater-analyses');
