import express from 'express';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled, ApolloServerPluginSchemaReportingDisabled, ApolloServerPluginUsageReportingDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLSchema } from 'graphql';
import type { Database } from './db.ts';
import { recordAccess } from './audit.ts';
import { enforceAccess } from './auth/enforce.ts';
import { readAccessPolicy } from './auth/policy.ts';
import { internalError, unauthenticated } from './errors.ts';
import { jsonErrors, jsonNotFound } from './http/jsonErrors.ts';
import { maskUnexpectedErrors } from './http/maskUnexpectedErrors.ts';
import { currentRequestId, requestId } from './http/requestId.ts';
import { securityHeaders } from './http/securityHeaders.ts';
import type { TokenVerifier } from './auth/verify.ts';
import { ANONYMOUS } from './auth/principal.ts';
import type { ProducerContext, ProducerDefinition } from './producer.ts';
import { ingestRoute, mappingsIn } from './ingest/route.ts';
import type { AccessRule } from './auth/principal.ts';

/**
 * Who may push files to a producer over HTTP: exactly who may call its `ingest<Name>` mutation, as its SDL
 * declares (one rule, two doors).
 */
export function ingestRule(definition: Pick<ProducerDefinition, 'typeDefs' | 'resolvers' | 'name'>): AccessRule | undefined {
  const policy = readAccessPolicy(buildSubgraphSchema({ typeDefs: definition.typeDefs }));
  const [, rule] = [...policy].find(([coordinate]) => /^Mutation\.ingest[A-Z]/.test(coordinate)) ?? [];
  return rule;
}

type SubgraphModule = Extract<Parameters<typeof buildSubgraphSchema>[0], { typeDefs: unknown }>;

/** The subgraph's executable schema, with its access directives enforced on every field. */
export function buildSchema(definition: Pick<ProducerDefinition, 'typeDefs' | 'resolvers'>): GraphQLSchema {
  const schema = buildSubgraphSchema({
    typeDefs: definition.typeDefs,
    // Resolvers are typed per producer by GraphQL Code Generator; Apollo's own map type is looser.
    resolvers: definition.resolvers as SubgraphModule['resolvers'],
  });
  enforceAccess(schema, readAccessPolicy(schema));
  return schema;
}

export interface SubgraphServerOptions {
  /**
   * Verifies bearer tokens (the caller's, forwarded by the gateway, or a direct caller's).
   * @default none: requests without a token are anonymous and any token is refused
   */
  verifier?: TokenVerifier;
  plugins?: ApolloServerPlugin<ProducerContext<unknown>>[];
  /** The producer's settings, handed to its loaders. @default {} */
  settings?: unknown;
  /** Where unexpected errors' details go, under their request id. @default console.error */
  log?: (line: string) => void;
}

const refuseTokens: TokenVerifier = async (authorization) => {
  if (authorization) throw unauthenticated('this subgraph has no token verifier configured');
  return ANONYMOUS;
};

/**
 * Records every request that read a restricted field in the audit log before its response leaves;
 * when the record cannot be written, the response carries an error and no data (fail closed).
 */
function auditRestrictedReads(route: string, log: (line: string) => void): ApolloServerPlugin<ProducerContext<unknown>> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, response, operationName, queryHash }) {
          if (!contextValue.touched.length) return;
          try {
            await recordAccess(contextValue.db.knex, {
              route,
              principal: contextValue.principal,
              operationName: operationName ?? null,
              operationHash: queryHash ?? '',
              fields: contextValue.touched,
            });
          } catch (error) {
            // Errors are formatted (and masked) before this hook: this one is masked here.
            const id = currentRequestId() ?? 'unknown';
            log(`[${id}] ${route}: audit write failed, restricted read refused: ${error instanceof Error ? error.message : String(error)}`);
            if (response.body.kind === 'single') {
              response.body.singleResult.data = null;
              response.body.singleResult.errors = [internalError(id)];
            }
          }
        },
      };
    },
  };
}

/** Builds (never listens) the HTTP app of one subgraph: POST /graphql and GET /health. */
export async function createSubgraphApp(
  definition: ProducerDefinition,
  db: Database,
  options: SubgraphServerOptions = {},
): Promise<{ app: express.Express; server: ApolloServer<ProducerContext<unknown>> }> {
  const service = `subgraph:${definition.name}`;
  const log = options.log ?? ((line: string) => console.error(line));
  const server = new ApolloServer<ProducerContext<unknown>>({
    schema: buildSchema(definition),
    plugins: [
      ApolloServerPluginInlineTraceDisabled(),
      // Apollo's landing page loads from Apollo's CDN, and a subgraph is no place to explore the schema.
      ApolloServerPluginLandingPageDisabled(),
      // Nothing here calls home, even with an APOLLO_KEY in the environment.
      ApolloServerPluginUsageReportingDisabled(),
      ApolloServerPluginSchemaReportingDisabled(),
      auditRestrictedReads(service, log),
      ...(options.plugins ?? []),
    ],
    includeStacktraceInErrorResponses: false,
    formatError: maskUnexpectedErrors({ service, log }),
    // A subgraph's schema names its restricted fields; only the composed, filtered view is public:
    // no introspection, and no "Did you mean …" suggestions in validation errors.
    introspection: false,
    hideSchemaDetailsFromClientErrors: true,
    // The process's one shutdown path (lib/runtime/lifecycle.ts) stops every server in order; Apollo's own
    // per-server signal handler would re-raise SIGTERM before the database is closed.
    stopOnTerminationSignals: false,
  });
  const verify = options.verifier ?? refuseTokens;
  const settings = options.settings ?? {};
  await server.start();
  const app = express();
  app.disable('x-powered-by');
  // The gateway forwards its request id: this subgraph's log lines carry the same one.
  app.use(requestId(), securityHeaders());
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', subgraph: definition.name });
  });
  const pushRule = ingestRule(definition);
  if (definition.ingest.length && pushRule) {
    app.use(
      ingestRoute({
        producer: definition.name,
        ingesters: definition.ingest,
        db,
        verifier: verify,
        rule: pushRule,
        mappings: definition.mappings ? mappingsIn(definition.mappings) : () => undefined,
      }),
    );
  }
  app.use(
    '/graphql',
    express.json({ limit: '5mb' }),
    expressMiddleware(server, {
      context: async ({ req }) => ({
        db,
        loaders: definition.createLoaders(db, settings),
        principal: await verify(req.headers.authorization),
        touched: [],
      }),
    }),
  );
  app.use(jsonNotFound(), jsonErrors({ service, log }));
  return { app, server };
}
