import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { seedAtmo } from '../../seeds/atmo.ts';
import { startAtmo, boxPolygon, STRASBOURG, STRASBOURG_CENTRE, EUROMETROPOLE, type AtmoFixture } from './setup.ts';

/** The national classes (arrêté du 10 juillet 2020): label and colour of each index. */
const OFFICIAL = new Map([
  [1, ['Bon', '#50F0E6']],
  [2, ['Moyen', '#50CCAA']],
  [3, ['Dégradé', '#F0E641']],
  [4, ['Mauvais', '#FF5050']],
  [5, ['Très mauvais', '#960032']],
  [6, ['Extrêmement mauvais', '#872181']],
]);

const AIR_QUALITY = `... on Territory { code airQuality(from: $from, to: $to) {
  date index label color subIndices { no2 so2 o3 pm10 pm25 } zoneCode zoneType source synthetic } }`;

let atmo: AtmoFixture;

function airQuality(codes: string[], from: string, to: string) {
  return atmo.query(
    `query($r: [_Any!]!, $from: String!, $to: String!) { _entities(representations: $r) { ${AIR_QUALITY} } }`,
    { r: codes.map((code) => ({ __typename: 'Territory', code })), from, to },
  );
}

beforeAll(async () => {
  atmo = await startAtmo();
});

afterAll(async () => {
  await atmo?.close();
});

describe('a developer reads the daily indice ATMO of a territory', () => {
  it('gets 31 days for Strasbourg in January 2025, in order, with the official label and colour', async () => {
    const { data, errors } = await atmo.entities(
      [{ __typename: 'Territory', code: STRASBOURG }],
      '... on Territory { airQuality(from: "2025-01-01", to: "2025-01-31") { date index label color } }',
    );
    expect(errors).toBeUndefined();
    const days = data._entities[0].airQuality;
    expect(days).toHaveLength(31);
    expect(days.map((d: { date: string }) => d.date)).toEqual(
      Array.from({ length: 31 }, (_, i) => `2025-01-${String(i + 1).padStart(2, '0')}`),
    );
    for (const day of days) expect([day.label, day.color]).toEqual(OFFICIAL.get(day.index));
  });

  it('sees an index that is the worst of its five sub-indices, labelled synthetic', async () => {
    const { data } = await airQuality([STRASBOURG], '2025-01-01', '2025-03-31');
    const days = data._entities[0].airQuality;
    expect(days).toHaveLength(90);
    for (const day of days) {
      expect(day.index).toBe(Math.max(...Object.values(day.subIndices as Record<string, number>)));
      expect(day).toMatchObject({ zoneCode: STRASBOURG, zoneType: 'COMMUNE', synthetic: true });
      expect(day.source).toMatch(/synthetic/);
    }
  });

  it('finds the Eurométropole index equal to its worst commune, day by day', async () => {
    const members = atmo.referential.communes.filter((c) => c.epci === EUROMETROPOLE).map((c) => c.code);
    const { data } = await airQuality([EUROMETROPOLE, ...members], '2025-02-01', '2025-02-28');
    const [epci, ...communes] = data._entities as { airQuality: { date: string; index: number; zoneType: string }[] }[];
    expect(epci!.airQuality).toHaveLength(28);
    epci!.airQuality.forEach((day, i) => {
      expect(day.zoneType).toBe('EPCI');
      expect(day.index).toBe(Math.max(...communes.map((c) => c.airQuality[i]!.index)));
    });
  });

  it('gets an empty list for an IRIS, which ATMO does not publish an index for', async () => {
    const iris = atmo.referential.iris[0]?.code ?? '674820101';
    const { data, errors } = await airQuality([iris], '2025-01-01', '2025-01-31');
    expect(errors).toBeUndefined();
    expect(data._entities[0].airQuality).toEqual([]);
  });

  it.each([
    ['reversed', '2025-01-31', '2025-01-01'],
    ['longer than a year', '2024-01-01', '2025-01-02'],
    ['impossible', '2025-02-30', '2025-03-01'],
  ])('is told BAD_USER_INPUT for a %s range', async (_, from, to) => {
    const { errors } = await airQuality([STRASBOURG], from, to);
    expect(errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('a developer finds monitoring stations', () => {
  it('lists the stations of Strasbourg with their real codes and locations', async () => {
    const { data, errors } = await atmo.entities(
      [{ __typename: 'Territory', code: STRASBOURG }],
      '... on Territory { airStations { id name location communeCode epciCode } }',
    );
    expect(errors).toBeUndefined();
    const expected = atmo.referential.stations.filter((s) => s.commune === STRASBOURG).sort((a, b) => a.code.localeCompare(b.code));
    expect(expected.length).toBeGreaterThan(0);
    expect(data._entities[0].airStations).toEqual(
      expected.map((s) => ({
        id: s.code,
        name: s.name,
        location: { type: 'Point', coordinates: s.location },
        communeCode: STRASBOURG,
        epciCode: EUROMETROPOLE,
      })),
    );
  });

  it('lists an EPCI’s stations across its communes, and none for an IRIS', async () => {
    const iris = atmo.referential.iris[0]?.code ?? '674820101';
    const { data } = await atmo.entities(
      [{ __typename: 'Territory', code: EUROMETROPOLE }, { __typename: 'Territory', code: iris }],
      '... on Territory { airStations { id communeCode } }',
    );
    const [epci, irisEntity] = data._entities;
    const inside = atmo.referential.stations.filter((s) => atmo.referential.communes.some((c) => c.code === s.commune && c.epci === EUROMETROPOLE));
    expect(epci.airStations.map((s: { id: string }) => s.id)).toEqual(inside.map((s) => s.code).sort());
    expect(epci.airStations.some((s: { communeCode: string }) => s.communeCode !== STRASBOURG)).toBe(true);
    expect(irisEntity.airStations).toEqual([]);
  });

  it('finds the three stations within 2 km of place Kléber', async () => {
    const { data, errors } = await atmo.entities(
      [
        {
          __typename: 'Area',
          selector: { point: STRASBOURG_CENTRE, radiusMeters: 2000 },
          // A point selector is measured on the spheroid: the resolved disc is not needed, any shape will do.
          geometry: boxPolygon([7.72, 48.55, 7.78, 48.6]),
        },
      ],
      '... on Area { airStations { id } }',
    );
    expect(errors).toBeUndefined();
    expect(data._entities[0].airStations).toEqual([{ id: 'FR16034' }, { id: 'FR16040' }, { id: 'FR42010' }]);
  });

  it('finds the stations inside a drawn box through its resolved geometry', async () => {
    const bbox: [number, number, number, number] = [7.7, 48.55, 7.8, 48.62];
    const { data } = await atmo.entities(
      [{ __typename: 'Area', selector: { bbox }, geometry: boxPolygon(bbox) }],
      '... on Area { airStations { id } }',
    );
    const inside = atmo.referential.stations.filter(
      ({ location: [lon, lat] }) => lon > bbox[0] && lon < bbox[2] && lat > bbox[1] && lat < bbox[3],
    );
    expect(data._entities[0].airStations.map((s: { id: string }) => s.id)).toEqual(inside.map((s) => s.code).sort());
  });

  it('lists every station, reads one by code, and gets null for an unknown code', async () => {
    const { data, errors } = await atmo.query(
      '{ airStations { id } nord: airStation(id: "FR16029") { id name communeCode } none: airStation(id: "FR99999") { id } }',
    );
    expect(errors).toBeUndefined();
    expect(data.airStations).toHaveLength(atmo.referential.stations.length);
    expect(data.nord).toEqual({ id: 'FR16029', name: 'STG Nord', communeCode: STRASBOURG });
    expect(data.none).toBeNull();
  });

  it('resolves station references sent by the gateway', async () => {
    const { data } = await atmo.entities(
      [{ __typename: 'AirStation', id: 'FR16040' }, { __typename: 'AirStation', id: 'FR99999' }],
      '... on AirStation { id name }',
    );
    expect(data._entities).toEqual([{ id: 'FR16040', name: 'Strasbourg A35' }, null]);
  });
});

describe('a researcher reads hourly measurements at a station', () => {
  const PAGE = `edges { cursor node { pollutant time value unit validated synthetic } } pageInfo { hasNextPage endCursor }`;

  async function series(station: string, field: 'measurements' | 'rawMeasurements', args: string) {
    const headers = field === 'rawMeasurements' ? atmo.restricted : {};
    const { data, errors } = await atmo.query(`{ airStation(id: "${station}") { ${field}(${args}) { ${PAGE} } } }`, {}, headers);
    expect(errors).toBeUndefined();
    return data.airStation[field];
  }

  it('is refused raw measurements without the scope atmo:restricted', async () => {
    const { data, errors } = await atmo.query('{ airStation(id: "FR16029") { rawMeasurements(from: "2025-01-10T00:00:00Z", to: "2025-01-10T05:00:00Z") { edges { cursor } } } }');
    expect(errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    // The station stays readable; only its raw series is withheld.
    expect(data?.airStation).toEqual({ rawMeasurements: null });
  });

  it('never sees an unvalidated value in measurements, while rawMeasurements keeps them', async () => {
    const { rows } = await atmo.db.knex.raw(
      `select station_code, pollutant, measured_at from atmo.measurement where not validated and (value < 0 or value > 1000) and measured_at between '2025-01-02' and '2025-03-30' order by station_code, measured_at limit 1`,
    );
    const fault = rows[0] as { station_code: string; pollutant: string; measured_at: Date | string };
    expect(fault).toBeDefined();
    const at = new Date(fault.measured_at).getTime();
    const args = `pollutant: ${fault.pollutant}, from: "${new Date(at - 12 * 3600_000).toISOString()}", to: "${new Date(at + 12 * 3600_000).toISOString()}"`;

    const raw = await series(fault.station_code, 'rawMeasurements', args);
    const validated = await series(fault.station_code, 'measurements', args);
    const rawNodes = raw.edges.map((e: { node: { validated: boolean; time: string } }) => e.node);
    const faulty = rawNodes.filter((n: { validated: boolean }) => !n.validated);
    expect(rawNodes).toHaveLength(25);
    expect(faulty.some((n: { time: string }) => n.time === new Date(at).toISOString())).toBe(true);
    expect(validated.edges.every((e: { node: { validated: boolean } }) => e.node.validated)).toBe(true);
    expect(validated.edges).toHaveLength(25 - faulty.length);
    expect(validated.edges[0].node).toMatchObject({ unit: 'µg/m³', synthetic: true });
  });

  it('pages through every pollutant in time order with cursors', async () => {
    const args = 'from: "2025-01-10T00:00:00Z", to: "2025-01-10T05:00:00Z"';
    const all = await series('FR16029', 'rawMeasurements', `${args}, first: 1000`);
    const first = await series('FR16029', 'rawMeasurements', `${args}, first: 7`);
    const second = await series('FR16029', 'rawMeasurements', `${args}, first: 1000, after: "${first.pageInfo.endCursor}"`);
    expect(all.edges).toHaveLength(6 * 5);
    expect(first.pageInfo.hasNextPage).toBe(true);
    expect(second.pageInfo.hasNextPage).toBe(false);
    const key = (e: { node: { time: string; pollutant: string } }) => `${e.node.time} ${e.node.pollutant}`;
    expect([...first.edges, ...second.edges].map(key)).toEqual(all.edges.map(key));
    expect(all.edges.map(key)).toEqual([...all.edges.map(key)].sort());
  });

  it('sees the rush-hour NO2 peaks of traffic near the A35', async () => {
    const page = await series('FR16040', 'measurements', 'pollutant: NO2, from: "2025-01-06T00:00:00Z", to: "2025-01-31T23:00:00Z", first: 1000');
    const meanAt = (utcHour: number) => {
      const values = page.edges.map((e: { node: { time: string; value: number } }) => e.node).filter((n: { time: string }) => new Date(n.time).getUTCHours() === utcHour);
      return values.reduce((sum: number, n: { value: number }) => sum + n.value, 0) / values.length;
    };
    // 07:00 UTC is 08:00 in Strasbourg in winter.
    expect(meanAt(7)).toBeGreaterThan(1.5 * meanAt(2));
  });

  it.each([
    ['a reversed range', 'from: "2025-01-02T00:00:00Z", to: "2025-01-01T00:00:00Z"'],
    ['a range over one year', 'from: "2025-01-01T00:00:00Z", to: "2026-01-03T00:00:00Z"'],
    ['a date that is not ISO 8601', 'from: "yesterday", to: "2025-01-01T00:00:00Z"'],
    ['a page over 1,000', 'from: "2025-01-01T00:00:00Z", to: "2025-01-02T00:00:00Z", first: 5000'],
    ['a forged cursor', 'from: "2025-01-01T00:00:00Z", to: "2025-01-02T00:00:00Z", after: "WyJ4Il0"'],
  ])('is told BAD_USER_INPUT for %s', async (_, args) => {
    const { errors } = await atmo.query(`{ airStation(id: "FR16029") { measurements(${args}) { edges { cursor } } } }`);
    expect(errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('the ATMO seed and schema', () => {
  it('holds one index per day of 2024–2025 for every commune and both EPCI, and seeding again changes nothing', async () => {
    const zones = atmo.referential.communes.length + atmo.referential.epcis.length;
    const row = await atmo.db.knex('atmo.daily_index').count({ count: '*' }).first();
    expect(Number(row?.count)).toBe(zones * 731);
    expect(await seedAtmo(atmo.db.knex, atmo.referential, { scale: 1 })).toEqual({ subgraph: 'atmo', rows: {} });
  });

  it('refuses a daily row whose index is not the worst of its sub-indices', async () => {
    const row = {
      date_ech: '2030-01-01', code_zone: STRASBOURG, lib_zone: 'Strasbourg', type_zone: 'COMMUNE',
      code_qual: 2, code_no2: 3, code_so2: 1, code_o3: 1, code_pm10: 1, code_pm25: 1, source: 'test', synthetic: true,
    };
    await expect(atmo.db.knex('atmo.daily_index').insert(row)).rejects.toThrow(/daily_index_code_qual_is_max/);
    await expect(atmo.db.knex('atmo.daily_index').insert({ ...row, code_qual: 7, code_no2: 7 })).rejects.toThrow(/check/);
  });

  it('keeps the national classification as a reference table', async () => {
    const classes = await atmo.db.knex('atmo.index_class').whereBetween('code', [1, 6]).orderBy('code');
    expect(classes.map((c: { code: number; label: string; color: string }) => [c.code, [c.label, c.color]])).toEqual([...OFFICIAL]);
  });
});
