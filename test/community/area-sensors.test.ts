import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { Point } from 'geojson';
import { countStatements } from '../../lib/db.ts';
import { metresBetween } from '../../seeds/random.ts';
import { sensorsInAreasQuery } from '../../subgraphs/community/datasource.ts';
import type { AreaRepresentation } from '../../lib/geo.ts';
import { postGraphQL } from '../support/subgraph.ts';
import { CATHEDRAL, ENTITIES, bboxPolygon, disc, startCommunity, type CommunityHarness } from './harness.ts';

interface SensorRef {
  id: string;
  location: Point;
}

const nearCathedral = (radiusMeters: number): AreaRepresentation & { __typename: string } => ({
  __typename: 'Area',
  selector: { point: CATHEDRAL, radiusMeters },
  geometry: disc(CATHEDRAL.lon, CATHEDRAL.lat, radiusMeters),
});

const SAVERNE_BBOX: [number, number, number, number] = [7.3, 48.7, 7.42, 48.78];

describe('community: citizen sensors in an area', () => {
  let h: CommunityHarness;
  let all: SensorRef[];

  const sensorsIn = async (representation: object): Promise<SensorRef[]> => {
    const response = await postGraphQL(h.server.url, ENTITIES, { representations: [representation] });
    expect(response.errors).toBeUndefined();
    return response.data._entities[0].sensors;
  };

  beforeAll(async () => {
    h = await startCommunity();
    const response = await postGraphQL(h.server.url, '{ sensors(first: 1000) { edges { node { id location } } } }');
    all = response.data.sensors.edges.map((edge: { node: SensorRef }) => edge.node);
  });

  afterAll(async () => {
    await h?.close();
  });

  it('a resident of the city centre finds the validated sensors within 2 km of the cathedral, not the Saverne ones', async () => {
    const found = await sensorsIn(nearCathedral(2000));
    const distance = (s: SensorRef) => metresBetween(s.location.coordinates as [number, number], [CATHEDRAL.lon, CATHEDRAL.lat]);
    expect(found.length).toBeGreaterThanOrEqual(3);
    expect(found.every((s) => distance(s) <= 2010)).toBe(true);
    expect(found.map((s) => s.id)).toEqual([...found.map((s) => s.id)].sort());
    // Same answer as measuring every sensor by hand (away from the 2 km edge, where sphere and spheroid differ).
    const clearlyInside = all.filter((s) => distance(s) < 1990).map((s) => s.id);
    const clearlyOutside = all.filter((s) => distance(s) > 2010).map((s) => s.id);
    expect(found.map((s) => s.id)).toEqual(expect.arrayContaining(clearlyInside));
    expect(found.map((s) => s.id).filter((id) => clearlyOutside.includes(id))).toEqual([]);
    const saverne = all.filter((s) => (s.location.coordinates[0] as number) < 7.5);
    expect(saverne.length).toBeGreaterThanOrEqual(3);
    expect(found.some((s) => saverne.some((far) => far.id === s.id))).toBe(false);
  });

  it('a bbox or polygon area is answered from the geometry ADEUS resolved', async () => {
    const saverneIds = all.filter((s) => (s.location.coordinates[0] as number) < 7.5).map((s) => s.id).sort();
    const byBbox = await sensorsIn({ __typename: 'Area', selector: { bbox: SAVERNE_BBOX }, geometry: bboxPolygon(SAVERNE_BBOX) });
    expect(byBbox.map((s) => s.id)).toEqual(saverneIds);
    const polygon = bboxPolygon(SAVERNE_BBOX);
    const byPolygon = await sensorsIn({ __typename: 'Area', selector: { polygon }, geometry: polygon });
    expect(byPolygon.map((s) => s.id)).toEqual(saverneIds);
    // The territory selector carries no shape of its own: only the geometry can answer it.
    const byTerritory = await sensorsIn({ __typename: 'Area', selector: { territory: '67437' }, geometry: polygon });
    expect(byTerritory.map((s) => s.id)).toEqual(saverneIds);
    const elsewhere = bboxPolygon([7.0, 48.0, 7.1, 48.1]);
    expect(await sensorsIn({ __typename: 'Area', selector: { territory: '67437' }, geometry: elsewhere })).toEqual([]);
  });

  it('an area without a usable geometry is refused with BAD_USER_INPUT, other areas of the batch still answer', async () => {
    const response = await postGraphQL(h.server.url, ENTITIES, {
      representations: [{ __typename: 'Area', selector: { bbox: SAVERNE_BBOX }, geometry: 'nope' }, nearCathedral(2000)],
    });
    expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(response.data._entities[1].sensors.length).toBeGreaterThanOrEqual(3);
  });

  it('a sensor awaiting moderation (PENDING) is not served, even at the cathedral', async () => {
    const id = 'sc-900000001';
    await h.db.knex('community.sensor').insert({
      id,
      sensor_type: 'SDS011',
      paired_sensor_type: 'DHT22',
      measures: ['P1', 'P2', 'temperature', 'humidity'],
      geom: h.db.knex.raw('ST_SetSRID(ST_MakePoint(?, ?), 4326)', [CATHEDRAL.lon, CATHEDRAL.lat]),
      status: 'PENDING',
      producer_kind: 'CITIZEN',
      producer_name: 'test contributor',
      licence: 'ODBL',
      source: 'test: a new contribution',
      synthetic: true,
    });
    try {
      const found = await sensorsIn(nearCathedral(2000));
      expect(found.map((s) => s.id)).not.toContain(id);
      const direct = await postGraphQL(h.server.url, 'query ($id: ID!) { sensor(id: $id) { id } }', { id });
      expect(direct.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      const entity = await postGraphQL(h.server.url, ENTITIES, { representations: [{ __typename: 'CitizenSensor', id }] });
      expect(entity.data._entities).toEqual([null]);
    } finally {
      await h.db.knex('community.sensor').where({ id }).delete();
    }
  });

  it('N areas in one _entities request cost one SQL statement', async () => {
    const representations = [500, 1000, 2000, 5000].map(nearCathedral);
    const counter = countStatements(h.db.knex);
    const response = await postGraphQL(h.server.url, ENTITIES, {
      representations: [...representations, { __typename: 'Area', selector: { bbox: SAVERNE_BBOX }, geometry: bboxPolygon(SAVERNE_BBOX) }],
    });
    counter.stop();
    expect(response.errors).toBeUndefined();
    const counts = response.data._entities.map((area: { sensors: unknown[] }) => area.sensors.length);
    expect(counts.slice(0, 4)).toEqual([...counts.slice(0, 4)].sort((a: number, b: number) => a - b));
    expect(counter.count).toBe(1);
  });

  it('with thousands of sensors on the territory, the area query walks the GiST indexes', async () => {
    const trx = await h.db.knex.transaction();
    try {
      // 5,000 extra nodes spread over the territory (a well-adopted citizen network), rolled back afterwards.
      await trx.raw(`
        insert into community.sensor (id, sensor_type, paired_sensor_type, measures, geom, status,
                                      producer_kind, producer_name, licence, source, synthetic)
        select 'sc-' || (800000000 + i), 'SDS011', 'DHT22', array['P1', 'P2', 'temperature', 'humidity'],
               ST_SetSRID(ST_MakePoint(7.30 + 0.55 * ((i * 7919) % 10007) / 10007.0,
                                       48.45 + 0.35 * ((i * 104729) % 10009) / 10009.0), 4326),
               'VALIDATED', 'CITIZEN', 'test contributor', 'ODBL', 'test: extra sensors for the planner', true
        from generate_series(1, 5000) as i`);
      await trx.raw('analyze community.sensor');
      const plan = async (area: AreaRepresentation) => {
        const result = await trx.raw(`explain select * from (${sensorsInAreasQuery(trx, [area]).toString()}) as q`);
        return (result.rows as { 'QUERY PLAN': string }[]).map((row) => row['QUERY PLAN']).join('\n');
      };
      expect(await plan(nearCathedral(2000))).toContain('sensor_geog');
      expect(await plan({ selector: { bbox: [7.74, 48.57, 7.76, 48.58] }, geometry: bboxPolygon([7.74, 48.57, 7.76, 48.58]) })).toContain(
        'sensor_geom',
      );
    } finally {
      await trx.rollback();
    }
  });
});
