import type { Series } from '../../catalog/seriesExtent.ts';
import type { OpenCollection, OpenFeature, ReadContext } from '../openCollection.ts';
import { ask, crsArgument, extentOf, idsInArea, missingAsUndefined } from '../scope.ts';

const READINGS: Series = {
  select: (alias, from, to, first) => `${alias}: sensors(first: 1000) { edges { node { readings(from: "${from}", to: "${to}", first: ${first}) { edges { node { time } } } } } }`,
  records: (answer) => ((answer as any)?.edges ?? []).flatMap((s: any) => s.node.readings.edges.map((e: any) => ({ at: e.node.time }))),
  bounds: (a, b) => [a, b],
  perDay: 48,
};
/** A sensor's latest reading is looked for in the last days of the readings' extent. */
const LATEST_WINDOW_DAYS = 7;
/** Readings are hourly means: the window holds at most one per hour. */
const READINGS_IN_WINDOW = 24 * LATEST_WINDOW_DAYS;
/**
 * Sensors per page: each is priced with its window of readings, and 1,000 sensors × 1,000 readings cost 2 M,
 * over the 1 M budget of one operation; 200 × 168 costs about 70,000.
 */
const SENSORS_PER_PAGE = 200;

const fields = (crs: Parameters<typeof crsArgument>[0], window?: { from: string; to: string }) =>
  `id sensorType pairedSensorType location${crsArgument(crs)} measures provenance { producerName licence source synthetic validationStatus } status quality { score flags { code } computedAt }` +
  (window ? ` readings(from: "${window.from}", to: "${window.to}", first: ${READINGS_IN_WINDOW}) { edges { node { time pm10 pm25 pm25HumidityCorrected pm10HumidityCorrected temperature humidity } } }` : '');

function toFeature(sensor: any): OpenFeature {
  const latest = sensor.readings?.edges.at(-1)?.node;
  return {
    id: sensor.id,
    geometry: sensor.location,
    properties: {
      id: sensor.id, sensorType: sensor.sensorType, pairedSensorType: sensor.pairedSensorType ?? null, measures: sensor.measures.join(','), status: sensor.status,
      qualityScore: sensor.quality?.score ?? null, qualityFlags: sensor.quality ? sensor.quality.flags.map((f: { code: string }) => f.code).join(',') : null, qualityComputedAt: sensor.quality?.computedAt ?? null,
      latestTime: latest?.time ?? null, latestPm10: latest?.pm10 ?? null, latestPm25: latest?.pm25 ?? null, latestPm25HumidityCorrected: latest?.pm25HumidityCorrected ?? null,
      latestPm10HumidityCorrected: latest?.pm10HumidityCorrected ?? null, latestTemperature: latest?.temperature ?? null, latestHumidity: latest?.humidity ?? null,
      producerName: sensor.provenance.producerName, licence: sensor.provenance.licence, source: sensor.provenance.source, synthetic: sensor.provenance.synthetic,
    },
  };
}

async function latestWindow(ctx: ReadContext): Promise<{ from: string; to: string } | undefined> {
  const extent = await extentOf(ctx, READINGS);
  if (!extent) return undefined;
  const to = extent.end.slice(0, 10);
  return { from: new Date(Date.parse(`${to}T00:00:00Z`) - (LATEST_WINDOW_DAYS - 1) * 86_400_000).toISOString().slice(0, 10), to };
}

/** Validated citizen sensors, as points, with their quality control and their latest hourly reading. */
export const citizenSensors: OpenCollection = {
  id: 'citizen-sensors',
  dataset: 'citizen-sensors',
  producer: 'community',
  title: { fr: 'Capteurs citoyens validés et leur dernière mesure', en: 'Validated citizen sensors and their latest reading' },
  description: {
    fr: "Les capteurs citoyens validés (position arrondie à environ 100 m), leur score de contrôle qualité et leur dernière moyenne horaire (parmi les 7 derniers jours de mesures du réseau). Ce ne sont pas des instruments de référence.",
    en: "Validated citizen sensors (location rounded to about 100 m), their quality-control score and their latest hourly mean (within the network's last 7 days of readings). They are not reference instruments.",
  },
  geometryType: 'Point',
  licenceProperty: 'licence',
  properties: [
    { name: 'id', type: 'string', description: 'Sensor id' },
    { name: 'sensorType', type: 'string', description: 'Particulate sensor model' },
    { name: 'pairedSensorType', type: 'string', description: 'Paired temperature/humidity sensor model' },
    { name: 'measures', type: 'string', description: 'What it measures, comma-separated' },
    { name: 'status', type: 'string', description: 'Moderation status (always VALIDATED here)' },
    { name: 'qualityScore', type: 'number', description: 'Reliability score 0..1 against the nearest ATMO station' },
    { name: 'qualityFlags', type: 'string', description: 'Quality flags, comma-separated' },
    { name: 'qualityComputedAt', type: 'date-time', description: 'When the quality control ran' },
    { name: 'latestTime', type: 'date-time', description: 'Start of the hour of its latest reading' },
    { name: 'latestPm10', type: 'number', description: 'PM10, µg/m³, as measured' },
    { name: 'latestPm25', type: 'number', description: 'PM2.5, µg/m³, as measured' },
    { name: 'latestPm25HumidityCorrected', type: 'number', description: 'PM2.5 corrected for humidity, µg/m³' },
    { name: 'latestPm10HumidityCorrected', type: 'number', description: 'PM10 corrected for humidity, µg/m³' },
    { name: 'latestTemperature', type: 'number', description: 'Temperature, °C' },
    { name: 'latestHumidity', type: 'number', description: 'Relative humidity, %' },
    { name: 'producerName', type: 'string', description: 'Who publishes it' },
    { name: 'licence', type: 'string', description: 'Its own licence (Licence code)' },
    { name: 'source', type: 'string', description: 'Where the hub got it' },
    { name: 'synthetic', type: 'boolean', description: 'True when generated by the project’s seed' },
  ],
  async segments(ctx, filter) {
    const inside = await idsInArea(ctx, filter, 'sensors');
    const window = await latestWindow(ctx);
    const features: OpenFeature[] = [];
    for (let after: string | null = null, more = true; more; ) {
      const page: any = (await ask(ctx, `query Sensors($after: String) { sensors(first: ${SENSORS_PER_PAGE}, after: $after) { edges { node { ${fields(filter.crs, window)} } } pageInfo { hasNextPage endCursor } } }`, { after })).sensors;
      features.push(...(page.edges as { node: any }[]).filter(({ node }) => !inside || inside.has(node.id)).map(({ node }) => toFeature(node)));
      more = page.pageInfo.hasNextPage;
      after = page.pageInfo.endCursor;
    }
    return [{ key: 'all', count: features.length, features }];
  },
  async *features(_ctx, _filter, segment) {
    yield segment.features ?? [];
  },
  async feature(ctx, id, crs) {
    const window = await latestWindow(ctx);
    const data = await missingAsUndefined(ask(ctx, `query One($id: ID!) { sensor(id: $id) { ${fields(crs, window)} } }`, { id }));
    return data?.sensor ? toFeature(data.sensor) : undefined;
  },
};
