import { beforeAll, describe, expect, it } from 'vitest';
import { gatewayQuery, testHub } from '../support/hub.ts';

// The public contract: these operations are documented in the README and must work exactly as written.
describe('the public contract, through the gateway', () => {
  beforeAll(async () => {
    await testHub();
  });

  it('reads a commune of the referential with its outline', async () => {
    const { data, errors } = await gatewayQuery('{ territory(code: "67482") { code kind name population geometry } }');
    expect(errors).toBeUndefined();
    expect(data.territory).toMatchObject({ code: '67482', kind: 'COMMUNE', name: 'Strasbourg', population: 293771 });
    expect(data.territory.geometry.type).toBe('MultiPolygon');
  });

  it('lists the 33 communes of the Eurométropole', async () => {
    const { data, errors } = await gatewayQuery('{ territories(kind: COMMUNE, in: "246700488") { code name } }');
    expect(errors).toBeUndefined();
    expect(data.territories).toHaveLength(33);
    expect(data.territories).toContainEqual({ code: '67482', name: 'Strasbourg' });
    expect(data.territories).toContainEqual({ code: '67447', name: 'Schiltigheim' });
  });

  it('reads a month of daily indice ATMO for Strasbourg, with official labels and colours', async () => {
    const { data, errors } = await gatewayQuery('{ territory(code: "67482") { airQuality(from: "2025-01-01", to: "2025-01-31") { date index label color } } }');
    expect(errors).toBeUndefined();
    const days = data.territory.airQuality;
    expect(days).toHaveLength(31);
    expect(days[0].date).toBe('2025-01-01');
    expect(days[30].date).toBe('2025-01-31');
    const official: Record<number, [string, string]> = {
      1: ['Bon', '#50F0E6'], 2: ['Moyen', '#50CCAA'], 3: ['Dégradé', '#F0E641'],
      4: ['Mauvais', '#FF5050'], 5: ['Très mauvais', '#960032'], 6: ['Extrêmement mauvais', '#872181'],
    };
    for (const day of days) expect([day.label, day.color]).toEqual(official[day.index]);
  });

  it('lists the monitoring stations of Strasbourg', async () => {
    const { data, errors } = await gatewayQuery('{ territory(code: "67482") { airStations { id name location } } }');
    expect(errors).toBeUndefined();
    // The four LCSQA stations standing in Strasbourg, by code.
    expect(data.territory.airStations.map((s: { id: string }) => s.id)).toEqual(['FR16029', 'FR16034', 'FR16040', 'FR42010']);
    expect(data.territory.airStations[0]).toMatchObject({ name: 'STG Nord', location: { type: 'Point', coordinates: [7.781631, 48.610363] } });
  });

  it('reads open health indicators of Strasbourg', async () => {
    const { data, errors } = await gatewayQuery('{ territory(code: "67482") { health { indicator period value unit } } }');
    expect(errors).toBeUndefined();
    // Five indicators × six seeded years, every one disclosed for a city of 290,000 inhabitants.
    expect(data.territory.health).toHaveLength(30);
    expect(new Set(data.territory.health.map((h: { indicator: string }) => h.indicator))).toEqual(
      new Set(['ASTHMA_PREVALENCE', 'CARDIOVASCULAR_HOSPITALISATION', 'CHILD_RESPIRATORY_EMERGENCY', 'COPD_HOSPITALISATION', 'LUNG_CANCER_INCIDENCE']),
    );
    for (const value of data.territory.health) expect(value).toEqual({ indicator: expect.any(String), period: expect.stringMatching(/^20(19|2[0-4])$/), value: expect.any(Number), unit: expect.any(String) });
    // Exact values are recorded in the golden answers (test/contract/golden).
  });

  it('reads urban indicators of Strasbourg', async () => {
    const { data, errors } = await gatewayQuery('{ territory(code: "67482") { population areaKm2 urban { greenSpaceShare imperviousShare populationDensity } } }');
    expect(errors).toBeUndefined();
    const { greenSpaceShare, imperviousShare, populationDensity } = data.territory.urban;
    expect(greenSpaceShare).toBeGreaterThan(5);
    expect(greenSpaceShare + imperviousShare).toBeLessThanOrEqual(100);
    // A real ratio of real inputs: 293,771 inhabitants on the commune's surface (~78 km² with the real outline).
    expect(populationDensity).toBeCloseTo(data.territory.population / data.territory.areaKm2, 0);
  });

  it('joins all producers on 2 km around the cathedral', async () => {
    const { data, errors } = await gatewayQuery(
      '{ area(select: { point: { lon: 7.7521, lat: 48.5734 }, radiusMeters: 2000 }) { territories { code } airStations { id } sensors { id } } }',
    );
    expect(errors).toBeUndefined();
    const codes = data.area.territories.map((t: { code: string }) => t.code);
    expect(codes).toContain('67482');
    expect(codes).not.toContain('67437');
    expect(data.area.airStations).toEqual([{ id: 'FR16034' }, { id: 'FR16040' }, { id: 'FR42010' }]);
    expect(data.area.sensors).toHaveLength(7);
  });
});
