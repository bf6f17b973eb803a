import { AreaSelectorScalar, GeoJSONScalar, normalizeAreaSelector, type AreaRepresentation } from '../../lib/geo.ts';
import { badUserInput, notFound } from '../../lib/errors.ts';
import { checkTerritoryCode } from '../../lib/territory-codes.ts';
import { DEFAULT_CRS, inCrs } from '../../lib/crs.ts';
import { ingestContent } from '../../lib/ingest/mutation.ts';
import type { Context } from './loaders.ts';
import { ingesters } from './ingest.ts';
import type { Resolvers } from './__generated__/resolvers-types.ts';

const MAX_SIMPLIFY_METERS = 1000;

async function area(selection: unknown, { loaders }: Context): Promise<AreaRepresentation> {
  const selector = normalizeAreaSelector(selection);
  return { selector, geometry: await loaders.areaGeometry(selector) };
}

export const resolvers: Resolvers = {
  Mutation: {
    ingestAdeus: (_, args, ctx) => ingestContent(ctx.db, ingesters, args, ctx.principal),
  },
  GeoJSON: GeoJSONScalar,
  AreaSelector: AreaSelectorScalar,

  Query: {
    territory: async (_, { code }, { loaders }) => {
      const territory = await loaders.territory.load(checkTerritoryCode(code, 'code'));
      if (!territory) throw notFound(`no territory has the code "${code}"`, { argument: 'code' });
      return territory;
    },
    territories: async (_, args, { loaders }) => {
      const parent = args.in ? checkTerritoryCode(args.in, 'in') : null;
      const territories = await loaders.territoryList({ kind: args.kind, parent });
      // Only an empty answer needs to know whether the parent exists: no extra statement otherwise.
      if (parent && territories.length === 0 && !(await loaders.territory.load(parent))) {
        throw notFound(`no territory has the code "${parent}"`, { argument: 'in' });
      }
      return territories;
    },
    area: (_, { select }, ctx) => area(select, ctx),
  },

  Territory: {
    __resolveReference: (ref, { loaders }) => loaders.territory.load(ref.code),
    areaKm2: (t) => t.area_km2,
    parent: (t, _, { loaders }) => (t.parent_code ? loaders.territory.load(t.parent_code) : null),
    children: (t, _, { loaders }) => loaders.children.load(t.code),
    geometry: (t, { simplifyMeters, crs }, { loaders }) => {
      const tolerance = simplifyMeters ?? 0;
      if (!(tolerance >= 0 && tolerance <= MAX_SIMPLIFY_METERS)) {
        throw badUserInput(`simplifyMeters must be between 0 and ${MAX_SIMPLIFY_METERS}`, { argument: 'simplifyMeters' });
      }
      // An explicit `crs: null` is valid GraphQL (the argument is nullable, with a default): the default.
      return loaders.geometry.load({ code: t.code, simplifyMeters: tolerance, crs: crs ?? DEFAULT_CRS });
    },
    centre: (t, { crs }, { loaders }) => (t.centre ? inCrs(loaders.projection, t.centre, crs) : null),
    urban: (t, { year }, { loaders }) => loaders.urban.load({ code: t.code, year: year ?? null }),
  },

  UrbanIndicators: {
    greenSpaceShare: (u) => u.green_space_share,
    imperviousShare: (u) => u.impervious_share,
    populationDensity: (u) => u.population_density,
    cycleLaneDensity: (u) => u.cycle_lane_density,
    treeCanopyShare: (u) => u.tree_canopy_share,
  },

  Area: {
    __resolveReference: (ref, ctx) => area(ref.selector, ctx),
    geometry: (area, { crs }, { loaders }) => inCrs(loaders.projection, area.geometry, crs),
    territories: (area, { kind }, { loaders }) => loaders.areaTerritories.load({ area, kind: kind ?? null }),
  },
};
