import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import type { SubgraphContext } from '../../lib/subgraph.ts';
import { AreaSelectorScalar, GeoJSONScalar, normalizeAreaSelector, type AreaRepresentation } from '../../lib/geo.ts';
import { badUserInput, notFound } from '../../lib/errors.ts';
import { listTerritories, resolveAreaGeometry, type TerritoryKind, type TerritoryRow, type UrbanRow } from './datasource.ts';
import type { Loaders } from './loaders.ts';
import { ingestContent, type IngestArgs } from '../../lib/ingest/mutation.ts';
import { ingesters } from './ingest.ts';

type Context = SubgraphContext<Loaders>;

const TERRITORY_CODE = /^(\d[0-9AB]\d{3}|\d{9}|\d[0-9AB]\d{7})$/;

function checkCode(code: string, argument: string): string {
  if (!TERRITORY_CODE.test(code)) {
    throw badUserInput(`${argument} "${code}" is not an INSEE commune code (5 characters), an IRIS code (9) or an EPCI SIREN (9 digits)`, { argument });
  }
  return code;
}

const MAX_SIMPLIFY_METERS = 1000;

export const resolvers: GraphQLResolverMap<Context> = {
  Mutation: {
    ingestAdeus: (_: unknown, args: IngestArgs, ctx: Context) => ingestContent(ctx.db.knex, ingesters, args, ctx.principal),
  },
  GeoJSON: GeoJSONScalar,
  AreaSelector: AreaSelectorScalar,

  Query: {
    territory: async (_: unknown, { code }: { code: string }, { loaders }: Context) => {
      const territory = await loaders.territory.load(checkCode(code, 'code'));
      if (!territory) throw notFound(`no territory has the code "${code}"`, { argument: 'code' });
      return territory;
    },
    territories: async (
      _: unknown,
      args: { kind?: TerritoryKind | null; in?: string | null },
      { db, loaders }: Context,
    ) => {
      const parent = args.in ? checkCode(args.in, 'in') : null;
      const territories = await listTerritories(db.knex, { kind: args.kind, parent });
      // Only an empty answer needs to know whether the parent exists: no extra statement otherwise.
      if (parent && territories.length === 0 && !(await loaders.territory.load(parent))) {
        throw notFound(`no territory has the code "${parent}"`, { argument: 'in' });
      }
      return territories;
    },
    area: async (_: unknown, { select }: { select: unknown }, { db }: Context): Promise<AreaRepresentation> => {
      const selector = normalizeAreaSelector(select);
      return { selector, geometry: await resolveAreaGeometry(db.knex, selector) };
    },
  },

  Territory: {
    __resolveReference: (ref: { code: string }, { loaders }: Context) => loaders.territory.load(ref.code),
    areaKm2: (t: TerritoryRow) => t.area_km2,
    parent: (t: TerritoryRow, _: unknown, { loaders }: Context) => (t.parent_code ? loaders.territory.load(t.parent_code) : null),
    children: (t: TerritoryRow, _: unknown, { loaders }: Context) => loaders.children.load(t.code),
    geometry: (t: TerritoryRow, { simplifyMeters }: { simplifyMeters?: number | null }, { loaders }: Context) => {
      const tolerance = simplifyMeters ?? 0;
      if (!(tolerance >= 0 && tolerance <= MAX_SIMPLIFY_METERS)) {
        throw badUserInput(`simplifyMeters must be between 0 and ${MAX_SIMPLIFY_METERS}`, { argument: 'simplifyMeters' });
      }
      return loaders.geometry.load({ code: t.code, simplifyMeters: tolerance });
    },
    urban: (t: TerritoryRow, { year }: { year?: number | null }, { loaders }: Context) =>
      loaders.urban.load({ code: t.code, year: year ?? null }),
  },

  UrbanIndicators: {
    greenSpaceShare: (u: UrbanRow) => u.green_space_share,
    imperviousShare: (u: UrbanRow) => u.impervious_share,
    populationDensity: (u: UrbanRow) => u.population_density,
    cycleLaneDensity: (u: UrbanRow) => u.cycle_lane_density,
    treeCanopyShare: (u: UrbanRow) => u.tree_canopy_share,
  },

  Area: {
    __resolveReference: async (ref: { selector: unknown }, { db }: Context): Promise<AreaRepresentation> => {
      const selector = normalizeAreaSelector(ref.selector);
      return { selector, geometry: await resolveAreaGeometry(db.knex, selector) };
    },
    territories: (area: AreaRepresentation, { kind }: { kind?: TerritoryKind | null }, { loaders }: Context) =>
      loaders.areaTerritories.load({ area, kind: kind ?? null }),
  },
};
