/** Request bodies for the benchmark: the public contract, varied over communes and months. */
const body = (query: string, variables?: Record<string, unknown>) => JSON.stringify({ query, variables });

// Communes of the referential only (../shared/data/communes.csv): an unknown code is a NOT_FOUND, not a load.
const COMMUNES = ['67482', '67447', '67218', '67043', '67267', '67437', '67152', '67365'];
const MONTHS = ['2024-01', '2024-07', '2025-01', '2025-06'];
const lastDay = (month: string) => new Date(Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5, 7)), 0)).toISOString().slice(0, 10);

export const GATEWAY_MIX: string[] = COMMUNES.flatMap((code, i) => {
  const month = MONTHS[i % MONTHS.length]!;
  return [
    body(`{ territory(code: "${code}") { code kind name population } }`),
    body('{ territories(kind: COMMUNE, in: "246700488") { code name } }'),
    body(`{ territory(code: "${code}") { airQuality(from: "${month}-01", to: "${lastDay(month)}") { date index label color } } }`),
    body(`{ territory(code: "${code}") { airStations { id name location } } }`),
    body(`{ territory(code: "${code}") { health { indicator period value unit } } }`),
    body(`{ territory(code: "${code}") { urban { greenSpaceShare imperviousShare populationDensity } } }`),
    body(`{ area(select: { point: { lon: ${7.7521 + i * 0.01}, lat: 48.5734 }, radiusMeters: 2000 }) { territories { code } airStations { id } sensors { id } } }`),
  ];
});

const entities = (selection: string, representations: unknown[]) =>
  body(`query($r: [_Any!]!) { _entities(representations: $r) { ${selection} } }`, { r: representations });

const disc = (lon: number) => ({
  __typename: 'Area',
  selector: { point: { lon, lat: 48.5734 }, radiusMeters: 2000 },
  geometry: { type: 'Point', coordinates: [lon, 48.5734] },
});

/** What the gateway asks each subgraph for the mix above, sent to the subgraph directly. */
export const SUBGRAPH_MIXES: Record<string, string[]> = {
  adeus: COMMUNES.map((code) => body(`{ territory(code: "${code}") { code kind name population urban { greenSpaceShare imperviousShare populationDensity } } }`)),
  atmo: COMMUNES.map((code, i) => {
    const month = MONTHS[i % MONTHS.length]!;
    return entities(`... on Territory { airQuality(from: "${month}-01", to: "${lastDay(month)}") { date index label color } airStations { id } }`, [{ __typename: 'Territory', code }]);
  }),
  orsal: COMMUNES.map((code) => entities('... on Territory { health { indicator period value unit } }', [{ __typename: 'Territory', code }])),
  community: COMMUNES.map((_, i) => entities('... on Area { sensors { id } }', [disc(7.7521 + i * 0.01)])),
};

/** One open query, for the authorization-overhead scenarios. */
export const OPEN_HEALTH = body('{ territory(code: "67482") { name health(indicator: "ASTHMA_PREVALENCE") { period value } } }');
/** The same with the restricted case counts: audited at the gateway and at ORSAL. */
export const RESTRICTED_HEALTH = body('{ territory(code: "67482") { name health(indicator: "ASTHMA_PREVALENCE") { period value cases } } }');
