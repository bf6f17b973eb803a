import express from 'express';
import type { RequestListener } from 'node:http';
import { directGraphQL } from './http/directGraphQL.ts';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled, ApolloServerPluginSchemaReportingDisabled, ApolloServerPluginUsageReportingDisabled } from '@apollo/server/plugin/disabled';
import { inProcessSubgraph, type InProcessSubgraph } from './inProcessSubgraph.ts';
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
import { requestId, requestIdInErrorAnswers, requestIdOf, tagErrorsWithRequestId, tagErrorWithRequestId } from './http/requestId.ts';
import { securityHeaders } from './http/securityHeaders.ts';
import { loggerFor } from './observability/logger.ts';
import { observeGraphQL } from './observability/observeGraphQL.ts';
import { observeHttp } from './observability/observeHttp.ts';
import type { TokenVerifier } from './auth/verify.ts';
import { ANONYMOUS } from './auth/principal.ts';
import type { ProducerContext, ProducerDefinition } from './producer.ts';
import { ingestRoute, mappingsIn } from './ingest/route.ts';
import { costLimit } from './cost/costLimit.ts';
import { depthAndAliasRules, MAX_REQUEST_BYTES } from './queryLimits.ts';
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
  /** The largest estimated cost of one request (lib/cost/). @default DEFAULT_COST_BUDGET (TIGA_COST_BUDGET) */
  costBudget?: number;
  /** Where the subgraph's log lines go (JSON, one per call: requests, errors' details). @default the process's log (standard error) */
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
function auditRestrictedReads(route: string, log: ((line: string) => void) | undefined): ApolloServerPlugin<ProducerContext<unknown>> {
  const logger = loggerFor(route, log);
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
            const id = contextValue.requestId ?? 'unknown';
            logger.error({ requestId: id, err: error }, 'audit write failed, restricted read refused');
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

/** How long the database may take to answer a readiness probe. */
const READY_TIMEOUT_MS = 2000;

/** Builds (never listens) the HTTP handler of one subgraph: POST /graphql, GET /health and /ready. */
export async function createSubgraphApp(
  definition: ProducerDefinition,
  db: Database,
  options: SubgraphServerOptions = {},
): Promise<{ app: RequestListener; server: ApolloServer<ProducerContext<unknown>>; inProcess: InProcessSubgraph }> {
  const service = `subgraph:${definition.name}`;
  const log = options.log;
  const schema = buildSchema(definition);
  const server = new ApolloServer<ProducerContext<unknown>>({
    schema,
    plugins: [
      ApolloServerPluginInlineTraceDisabled(),
      // The SDL's @cacheControl hints are the gateway's entity cache's business (gateway/cache/): no Cache-Control
      // header from here, and no hint computed per request.
      ApolloServerPluginCacheControlDisabled(),
      // Apollo's landing page loads from Apollo's CDN, and a subgraph is no place to explore the schema.
      ApolloServerPluginLandingPageDisabled(),
      // Nothing here calls home, even with an APOLLO_KEY in the environment.
      ApolloServerPluginUsageReportingDisabled(),
      ApolloServerPluginSchemaReportingDisabled(),
      // Priced on its own schema, as the gateway prices on the supergraph: a direct call is bounded too.
      costLimit({ schema, budget: options.costBudget }),
      auditRestrictedReads(service, log),
      tagErrorsWithRequestId(),
      observeGraphQL(service, log),
      ...(options.plugins ?? []),
    ],
    includeStacktraceInErrorResponses: false,
    formatError: maskUnexpectedErrors({ service, log }),
    // A subgraph's schema names its restricted fields; only the composed, filtered view is public:
    // no introspection, and no "Did you mean …" suggestions in validation errors.
    introspection: false,
    hideSchemaDetailsFromClientErrors: true,
    validationRules: depthAndAliasRules(),
    // The process's one shutdown path (lib/runtime/lifecycle.ts) stops every server in order; Apollo's own
    // per-server signal handler would re-raise SIGTERM before the database is closed.
    stopOnTerminationSignals: false,
  });
  const verify = options.verifier ?? refuseTokens;
  const settings = options.settings ?? {};
  // One context for a request over HTTP and a call in the hub's own process: the token is verified here either way.
  // A refused token's error (or any failure here) carries the request's id, as every error does (lib/http/requestId.ts).
  const contextOf = async (authorization: string | undefined, id?: string): Promise<ProducerContext<unknown>> => {
    try {
      const principal = await verify(authorization);
      return { db, loaders: definition.createLoaders(db, settings), principal, touched: [], requestId: id };
    } catch (error) {
      tagErrorWithRequestId(error, id);
      throw error;
    }
  };
  await server.start();
  const app = express();
  app.disable('x-powered-by');
  // The gateway forwards its request id: this subgraph's log lines carry the same one.
  app.use(requestId(), securityHeaders(), observeHttp(service));
  // Liveness: the process answers. Readiness: its database answers too, in time.
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', subgraph: definition.name });
  });
  app.get('/ready', async (_req, res) => {
    const answered = await Promise.race([
      db.knex.raw('select 1').then(() => true, (error: Error) => (loggerFor(service, log).warn({ err: error }, 'readiness: database did not answer'), false)),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), READY_TIMEOUT_MS).unref()),
    ]);
    res.status(answered ? 200 : 503).json({ status: answered ? 'ready' : 'unavailable', subgraph: definition.name });
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
    express.json({ limit: MAX_REQUEST_BYTES }),
    requestIdInErrorAnswers(),
    expressMiddleware(server, { context: ({ req, res }) => contextOf(req.headers.authorization, requestIdOf(res)) }),
  );
  app.use(jsonNotFound(), jsonErrors({ service, log }));
  // The gateway's calls take the direct path; the Express route above stays the reference for everything else.
  const handler = directGraphQL({ path: '/graphql', server, context: (req, id) => contextOf(req.headers.authorization, id), limitBytes: MAX_REQUEST_BYTES, service, log, fallback: app });
  return { app: handler, server, inProcess: inProcessSubgraph(service, server, contextOf) };
}
