/**
 * The peer benchmark's mix: the README's contract operations, anonymous (open fields only), each request with
 * fresh variables drawn from a seeded PRNG over the whole seeded data — territory codes from every commune,
 * IRIS and EPCI; date windows anywhere in the indice ATMO's history; points and radii inside the
 * Eurométropole's outline. Same seed, same sequence of requests: every gateway is asked the same questions.
 */
import { rng } from '../../seeds/random.ts';

/** One GraphQL request, as a client sends it. */
export interface MixRequest {
  /** The operation's name in {@link OPERATIONS}. */
  name: OperationName;
  query: string;
  variables: Record<string, unknown>;
}

/** What the variables are drawn from, read once from the hub itself ({@link readMixSpace}). */
export interface MixSpace {
  /** Every territory code of the referential: communes, IRIS and EPCI. */
  codes: { COMMUNE: string[]; IRIS: string[]; EPCI: string[] };
  /** First and last day (YYYY-MM-DD) of the indice ATMO history. */
  history: { first: string; last: string };
  /** The Eurométropole's outline (GeoJSON MultiPolygon or Polygon coordinates, WGS84), and its bbox. */
  outline: number[][][][];
  bbox: [number, number, number, number];
}

/** The Eurométropole de Strasbourg (SIREN): the dashboard's communes, and where the points fall. */
export const EUROMETROPOLE = '246700488';

/** The operations, with their share of the mix (weights, summed to 1 by {@link createMix}). */
export const OPERATIONS = {
  territory: {
    weight: 1,
    query: 'query Territory($code: ID!) { territory(code: $code) { code kind name population } }',
  },
  airQuality: {
    weight: 1,
    query:
      'query AirQuality($code: ID!, $from: String!, $to: String!) { territory(code: $code) { code name airQuality(from: $from, to: $to) { date index label color } } }',
  },
  dashboard: {
    weight: 1,
    // The 33 communes with one day of indice each: one ADEUS list, then one batched ATMO entity fetch.
    query:
      'query Dashboard($day: String!) { territories(kind: COMMUNE, in: "246700488") { code name population airQuality(from: $day, to: $day) { date index label color } } }',
  },
  area: {
    weight: 1,
    query:
      'query Area($lon: Float!, $lat: Float!, $radius: Float!) { area(select: { point: { lon: $lon, lat: $lat }, radiusMeters: $radius }) { territories { code } airStations { id } sensors { id } } }',
  },
  profile: {
    weight: 1,
    query:
      'query Profile($code: ID!) { territory(code: $code) { code name health { indicator period value unit } urban { greenSpaceShare imperviousShare populationDensity } } }',
  },
} as const;

export type OperationName = keyof typeof OPERATIONS;

/** Days of an `airQuality` window: a week to a month, both ends included. */
const WINDOW_DAYS = { min: 7, max: 31 };
/** Radii of the point + radius selection, in metres. */
const RADIUS_METERS = { min: 250, max: 3000 };
const DAY_MS = 86_400_000;

/** Ray casting over every ring (holes included: an even number of crossings is outside). */
function inside(lon: number, lat: number, polygons: number[][][][]): boolean {
  let crossings = 0;
  for (const polygon of polygons) {
    for (const ring of polygon) {
      for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        const [xi, yi] = ring[i]!;
        const [xj, yj] = ring[j]!;
        if (yi! > lat !== yj! > lat && lon < ((xj! - xi!) * (lat - yi!)) / (yj! - yi!) + xi!) crossings++;
      }
    }
  }
  return crossings % 2 === 1;
}

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const round = (value: number, decimals: number) => Math.round(value * 10 ** decimals) / 10 ** decimals;

/**
 * The operations named by BENCH_PEERS_ONLY (a comma list, for a diagnosis: what one kind of request costs), else
 * every one. An unknown name is an error, not an empty mix.
 */
export function operationsFromEnv(value = process.env.BENCH_PEERS_ONLY): OperationName[] | undefined {
  const names = (value ?? '').split(',').map((name) => name.trim()).filter(Boolean);
  for (const name of names) if (!(name in OPERATIONS)) throw new Error(`BENCH_PEERS_ONLY: unknown operation "${name}" (known: ${Object.keys(OPERATIONS).join(', ')})`);
  return names.length ? (names as OperationName[]) : undefined;
}

/** An endless generator of mix requests: the same `seed` gives the same sequence. `only`: a part of the mix. */
export function createMix(space: MixSpace, seed: number, only?: OperationName[]): () => MixRequest {
  // The seeds' PRNG (mulberry32), seeded by name: the same seed gives the same sequence.
  const random = rng(`bench:peers:${seed}`);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const between = (min: number, max: number) => min + random() * (max - min);
  const codes = [...space.codes.COMMUNE, ...space.codes.IRIS, ...space.codes.EPCI];
  const first = Date.parse(`${space.history.first}T00:00:00Z`);
  const last = Date.parse(`${space.history.last}T00:00:00Z`);
  const names = only ?? (Object.keys(OPERATIONS) as OperationName[]);
  const total = names.reduce((sum, name) => sum + OPERATIONS[name].weight, 0);
  const window = () => {
    const days = WINDOW_DAYS.min + Math.floor(random() * (WINDOW_DAYS.max - WINDOW_DAYS.min + 1));
    const start = first + Math.floor(random() * (Math.max(0, (last - first) / DAY_MS - days + 1) + 1)) * DAY_MS;
    return { from: isoDay(start), to: isoDay(Math.min(last, start + (days - 1) * DAY_MS)) };
  };
  const point = () => {
    const [minLon, minLat, maxLon, maxLat] = space.bbox;
    for (;;) {
      const lon = round(between(minLon, maxLon), 5);
      const lat = round(between(minLat, maxLat), 5);
      if (inside(lon, lat, space.outline)) return { lon, lat };
    }
  };
  const variables: Record<OperationName, () => Record<string, unknown>> = {
    territory: () => ({ code: pick(codes) }),
    airQuality: () => ({ code: pick(codes), ...window() }),
    dashboard: () => ({ day: isoDay(first + Math.floor(random() * ((last - first) / DAY_MS + 1)) * DAY_MS) }),
    area: () => ({ ...point(), radius: Math.round(between(RADIUS_METERS.min, RADIUS_METERS.max)) }),
    profile: () => ({ code: pick(codes) }),
  };
  return () => {
    let draw = random() * total;
    const name = names.find((candidate) => (draw -= OPERATIONS[candidate].weight) < 0) ?? names.at(-1)!;
    return { name, query: OPERATIONS[name].query, variables: variables[name]() };
  };
}

type Post = (body: { query: string; variables?: Record<string, unknown> }) => Promise<{ data?: unknown; errors?: { message: string }[] }>;

/**
 * Reads what the variables are drawn from through a gateway, anonymously: the referential's codes by kind,
 * the indice ATMO history of the Eurométropole (one aliased query over twenty years, each year ≤ 366 days as
 * the contract requires), and the Eurométropole's outline.
 */
export async function readMixSpace(post: Post): Promise<MixSpace> {
  const ask = async <T>(query: string): Promise<T> => {
    const answer = await post({ query });
    if (answer.errors?.length || !answer.data) throw new Error(`reading the mix's space failed: ${JSON.stringify(answer.errors ?? answer).slice(0, 500)}`);
    return answer.data as T;
  };
  const kinds = await ask<Record<'COMMUNE' | 'IRIS' | 'EPCI', { code: string }[]>>(
    '{ COMMUNE: territories(kind: COMMUNE) { code } IRIS: territories(kind: IRIS) { code } EPCI: territories(kind: EPCI) { code } }',
  );
  const thisYear = new Date().getUTCFullYear();
  const years = Array.from({ length: 20 }, (_, i) => thisYear - 19 + i);
  const history = await ask<{ territory: Record<string, { date: string }[]> }>(
    `{ territory(code: "${EUROMETROPOLE}") { ${years.map((y) => `y${y}: airQuality(from: "${y}-01-01", to: "${y}-12-31") { date }`).join(' ')} } }`,
  );
  const dates = Object.values(history.territory).flat().map((d) => d.date).sort();
  if (!dates.length) throw new Error(`the Eurométropole has no indice ATMO between ${years[0]} and ${thisYear}: is the database seeded?`);
  const { territory } = await ask<{ territory: { geometry: { type: string; coordinates: number[][][] | number[][][][] } } }>(
    `{ territory(code: "${EUROMETROPOLE}") { geometry(simplifyMeters: 50) } }`,
  );
  const outline = (territory.geometry.type === 'Polygon' ? [territory.geometry.coordinates] : territory.geometry.coordinates) as number[][][][];
  const points = outline.flat(2);
  const bbox: MixSpace['bbox'] = [
    Math.min(...points.map((p) => p[0]!)),
    Math.min(...points.map((p) => p[1]!)),
    Math.max(...points.map((p) => p[0]!)),
    Math.max(...points.map((p) => p[1]!)),
  ];
  return {
    codes: { COMMUNE: kinds.COMMUNE.map((t) => t.code), IRIS: kinds.IRIS.map((t) => t.code), EPCI: kinds.EPCI.map((t) => t.code) },
    history: { first: dates[0]!, last: dates.at(-1)! },
    outline,
    bbox,
  };
}
