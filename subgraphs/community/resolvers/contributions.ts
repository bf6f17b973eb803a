import { notFound } from '../../../lib/errors.ts';
import type { ContributionRecord } from '../datasource.ts';
import type { Context } from '../loaders.ts';
import { addFeatures, canSee, moderate, moderationRules, subjectOf, submit } from '../contributions.ts';
import type { Resolvers } from '../__generated__/resolvers-types.ts';

/** Citizens' pseudonyms are restricted: open provenance names the kind of producer only. */
const GENERIC_NAMES = { CITIZEN: 'Citizen contributor', PARTNER: 'Partner organisation', COLLECTIVITY: 'The collectivity' } as const;

async function visibleContribution(id: string, { loaders, principal }: Context): Promise<ContributionRecord> {
  const c = await loaders.contribution.load(id);
  if (!c || !canSee(c, principal)) throw notFound(`no visible contribution has the id "${id}"`, { argument: 'id' });
  return c;
}

/** Contributed datasets, their features and their moderation. */
export const contributionResolvers: Resolvers = {
  Query: {
    contributions: (_, __, { loaders }) => loaders.contributionList({ kind: 'validated' }),
    contribution: (_, { id }, ctx) => visibleContribution(id, ctx),
    myContributions: (_, __, { loaders, principal }) => loaders.contributionList({ kind: 'own', contributor: subjectOf(principal) ?? '' }),
    pendingContributions: (_, __, { loaders }) => loaders.contributionList({ kind: 'pending' }),
  },

  Mutation: {
    submitContribution: async (_, { input }, ctx) => visibleContribution(await submit(ctx.db.knex, input, ctx.principal), ctx),
    addContributionFeatures: async (_, { id, features }, ctx) => {
      await addFeatures(ctx.db.knex, id, features, ctx.principal);
      return visibleContribution(id, ctx);
    },
    moderateContribution: async (_, args, ctx) => {
      await moderate(ctx.db.knex, args.id, args.version, args.decision, args.reason, ctx.principal, moderationRules(ctx.loaders.settings));
      return visibleContribution(args.id, ctx);
    },
  },

  Contribution: {
    features: async (c, _, { loaders }) => ({
      type: 'FeatureCollection',
      features: (await loaders.features.load(c.id)).map((f) => ({
        type: 'Feature',
        id: f.featureNo,
        geometry: f.geometry,
        properties: { ...f.properties, _provenance: { producerKind: c.producerKind, licence: c.licence, validationStatus: c.status } },
      })),
    }),
    featureCount: async (c, _, { loaders }) => (await loaders.features.load(c.id)).length,
    provenance: (c) => ({
      producerKind: c.producerKind,
      producerName: GENERIC_NAMES[c.producerKind],
      licence: c.licence,
      source: c.source,
      synthetic: c.synthetic,
      validationStatus: c.status,
    }),
    history: (c, _, { loaders }) => loaders.history.load(c.id),
  },
};
