import type express from 'express';
import type { RequestHandler } from 'express';
import type { AnonymousQuery } from '../catalog/anonymousQuery.ts';
import type { OpenDataReader } from '../catalog/openDataCache.ts';
import type { DataFreshness } from '../cache/sharedReads.ts';

/** What every open-data route (exports, OGC API) is built from: anonymous reads of the open contract, nothing else. */
export interface OpenRouteOptions {
  /** Anonymous GraphQL operations against the gateway itself (gateway/catalog/anonymousQuery.ts): the only source. */
  query: AnonymousQuery;
  /** The open data as the catalogue reads it (gateway/catalog/openDataCache.ts): the OGC API's extents. */
  openData: OpenDataReader;
  /** The producers' public names, by producer (the supergraph's titles): attributions. */
  titles: Map<string, string>;
  /** The hub's public base URL (TIGA_PUBLIC_URL). @default the request's scheme and host */
  publicUrl?: string;
  /** Middleware run first on the route's paths (CORS, load shedding). */
  before?: RequestHandler[];
  /** The budget key of the client a request comes from (its address, or its token's subject). */
  clientOf: (req: express.Request) => string;
  log?: (line: string) => void;
  /** The writes the gateway hears (its entity cache): the pages' shared reads are read again after one. @default lifetimes only */
  freshness?: DataFreshness;
}
