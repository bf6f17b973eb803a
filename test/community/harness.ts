import type { Polygon } from 'geojson';
import type { Database } from '../../lib/db.ts';
import { loadConfig } from '../../lib/config.ts';
import type { ClaimedServer } from '../support/subgraph.ts';
import { loadReferential } from '../../seeds/referential.ts';
import { seedCommunity } from '../../seeds/community.ts';
import { community } from '../../subgraphs/community/index.ts';
import { openTestDatabase } from '../support/database.ts';
import { serveSubgraph } from '../support/subgraph.ts';
import { bearer } from '../support/auth.ts';

/** The public contract's point: Strasbourg, place de la Cathédrale. */
export const CATHEDRAL = { lon: 7.7521, lat: 48.5734 };

export interface CommunityHarness {
  db: Database;
  server: ClaimedServer;
  /** Headers of a researcher holding community:restricted (raw readings, contributor identities). */
  researcher: Record<string, string>;
  close(): Promise<void>;
}

/** One database per test file: migrated, seeded (idempotently) and served. */
export async function startCommunity(): Promise<CommunityHarness> {
  const db = await openTestDatabase();
  const server = await serveSubgraph(community, db);
  await seedCommunity(db.knex, loadReferential(loadConfig().sharedDataDir), { scale: 1 });
  return {
    db,
    server,
    researcher: await bearer(['community:restricted'], 'researcher'),
    close: async () => {
      await server.close();
      await db.close();
    },
  };
}

/** What ADEUS gives as `geometry` for a point selection: a 64-segment polygon (approximated here). */
export function disc(lon: number, lat: number, radiusMeters: number): Polygon {
  const ring = Array.from({ length: 65 }, (_, i) => {
    const angle = ((i % 64) / 64) * 2 * Math.PI;
    return [
      lon + (radiusMeters * Math.cos(angle)) / (111_320 * Math.cos((lat * Math.PI) / 180)),
      lat + (radiusMeters * Math.sin(angle)) / 111_320,
    ];
  });
  return { type: 'Polygon', coordinates: [ring] };
}

export function bboxPolygon([minLon, minLat, maxLon, maxLat]: [number, number, number, number]): Polygon {
  return {
    type: 'Polygon',
    coordinates: [[[minLon, minLat], [maxLon, minLat], [maxLon, maxLat], [minLon, maxLat], [minLon, minLat]]],
  };
}

export const ENTITIES = `query ($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Area { sensors { id location } }
    ... on CitizenSensor { id sensorType measures location provenance { producerKind producerName licence source synthetic validationStatus } }
    ... on Dataset { id title licence producer { kind name } }
  }
}`;
