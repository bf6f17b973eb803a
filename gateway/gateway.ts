import http from 'node:http';
import express from 'express';
import fetch from 'node-fetch';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled, ApolloServerPluginSchemaReportingDisabled, ApolloServerPluginUsageReportingDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { Fetcher } from '@apollo/utils.fetcher';
import { graphiql } from './graphiql.ts';
import { AccessControlledGateway, maskNames, type AccessMode, type GatewayContext } from './auth/AccessControlledGateway.ts';
import type { TokenVerifier } from '../lib/auth/verify.ts';
import type { AuditEntry } from '../lib/audit.ts';
import { jsonErrors, jsonNotFound } from '../lib/http/jsonErrors.ts';
import { maskUnexpectedErrors } from '../lib/http/maskUnexpectedErrors.ts';
import { REQUEST_ID_HEADER, requestId, requestIdOf } from '../lib/http/requestId.ts';
import { securityHeaders } from '../lib/http/securityHeaders.ts';
import { prepareSupergraphForGateway, readSupergraph, subgraphsOf } from './supergraph.ts';
import { pushRoute } from './ingestRoute.ts';
import { SubgraphFailure } from './SubgraphFailure.ts';

export interface GatewayOptions {
  /** Where each subgraph listens, by name; a subgraph not listed is reached at the URL the supergraph gives. */
  subgraphUrls: Record<string, string>;
  /** The composed supergraph SDL. @default schema/supergraph.graphql */
  supergraphSdl?: string;
  verifier: TokenVerifier;
  /** @default filter */
  mode?: AccessMode;
  /** Writes one audit record; restricted reads happen only after it succeeded. */
  audit: (entry: AuditEntry) => Promise<void>;
  /** Where unexpected errors' details go, under their request id. @default console.error */
  log?: (line: string) => void;
}

/**
 * Query limits (graphql-armor). They bound the work one request can ask of four databases; the values
 * leave room for every documented query and for GraphiQL's introspection.
 */
export const QUERY_LIMITS = {
  maxDepth: 10,
  maxAliases: 20,
  maxDirectives: 20,
  maxTokens: 3000,
  maxCost: 20_000,
};

/** Apollo Server reports usage and schemas to Apollo when APOLLO_KEY is set: never from here. */
const noReporting = () => [ApolloServerPluginUsageReportingDisabled(), ApolloServerPluginSchemaReportingDisabled()];

// One pool of keep-alive sockets per gateway: opening a TCP connection per subgraph fetch halves throughput.
const keepAliveAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const keepAliveFetch = ((url: string, init?: Parameters<typeof fetch>[1]) =>
  fetch(url, { ...init, agent: keepAliveAgent })) as unknown as Fetcher;

/** Builds (never listens) the gateway: GraphQL on /graphql, GraphiQL for browsers, /health. */
export async function createGatewayApp(options: GatewayOptions): Promise<{ app: express.Express; server: ApolloServer<GatewayContext> }> {
  const supergraphSdl = options.supergraphSdl ?? readSupergraph();
  // @apollo/gateway otherwise exports usage metrics to Apollo's servers and, to label them, probes the cloud
  // metadata endpoints of AWS, GCP, Azure and Alibaba. Nothing here calls home: forced off, whatever the
  // environment says (test/protection/no-call-home.test.ts watches every socket the hub opens).
  process.env.APOLLO_TELEMETRY_DISABLED = 'true';
  const apolloGateway = new ApolloGateway({
    supergraphSdl: prepareSupergraphForGateway(supergraphSdl),
    buildService: ({ name, url }) =>
      new RemoteGraphQLDataSource<GatewayContext>({
        url: options.subgraphUrls[name] ?? url,
        fetcher: keepAliveFetch,
        willSendRequest: ({ request, context }) => {
          // Subgraphs verify the caller's token themselves (defence in depth): forward it untouched.
          if (context.authorization) request.http?.headers.set('authorization', context.authorization);
          // The subgraph logs under the same id as the gateway, so one id finds a request's whole story.
          if (context.requestId) request.http?.headers.set(REQUEST_ID_HEADER, context.requestId);
        },
        // A subgraph that cannot be reached, or answers something other than GraphQL (a proxy's HTML page):
        // the client gets a masked error, the log says which subgraph failed and how.
        didEncounterError: (error) => {
          throw SubgraphFailure.from(name, error);
        },
      }),
  });
  const gateway = new AccessControlledGateway(apolloGateway, { supergraphSdl, mode: options.mode, audit: options.audit });
  const maskValidationErrors: ApolloServerPlugin<GatewayContext> = {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind !== 'single' || !response.body.singleResult.errors || !contextValue.principal) return;
          const hidden = gateway.hiddenNames(contextValue.principal);
          response.body.singleResult.errors = response.body.singleResult.errors.map((error) =>
            error.extensions?.code === 'GRAPHQL_VALIDATION_FAILED' ? { ...error, message: maskNames(error.message, hidden) } : error,
          );
        },
      };
    },
  };
  const armor = new ApolloArmor({
    maxDepth: { n: QUERY_LIMITS.maxDepth },
    maxAliases: { n: QUERY_LIMITS.maxAliases },
    maxDirectives: { n: QUERY_LIMITS.maxDirectives },
    // graphql-armor's Apollo token limit re-parses the query in a plugin hook, outside Apollo's parse step:
    // any syntax error then escapes as an unexpected error (HTTP 500). graphql-js counts tokens itself while
    // Apollo parses (`parseOptions.maxTokens` below), so an oversized query is a parse error: 400.
    maxTokens: { enabled: false },
    costLimit: { maxCost: QUERY_LIMITS.maxCost },
    blockFieldSuggestion: { enabled: true },
  }).protect();
  const log = options.log ?? ((line: string) => console.error(line));
  const server = new ApolloServer<GatewayContext>({
    gateway,
    // graphql-armor types its plugins against the CommonJS build of @apollo/server; the shapes are identical.
    // Apollo's landing pages load from Apollo's CDN: browsers get our own GraphiQL instead.
    plugins: [...(armor.plugins as unknown as ApolloServerPlugin<GatewayContext>[]), maskValidationErrors, ApolloServerPluginLandingPageDisabled(), ...noReporting()],
    hideSchemaDetailsFromClientErrors: true,
    validationRules: [...armor.validationRules],
    parseOptions: { maxTokens: QUERY_LIMITS.maxTokens },
    includeStacktraceInErrorResponses: false,
    formatError: maskUnexpectedErrors({ service: 'gateway', log }),
    // The process's one shutdown path (lib/runtime/lifecycle.ts) stops the gateway in order.
    stopOnTerminationSignals: false,
  });
  await server.start();
  const app = express();
  app.disable('x-powered-by');
  app.use(requestId(), securityHeaders());
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', service: 'gateway' });
  });
  app.use(graphiql('/graphql'));
  app.use(pushRoute({ subgraphUrls: subgraphsOf(supergraphSdl).reduce<Record<string, string>>((urls, { name, url }) => ({ ...urls, [name]: options.subgraphUrls[name] ?? url }), {}), policy: gateway.policy, verifier: options.verifier }));
  app.use(
    '/graphql',
    // Room for the ingest mutations' 5 MB `content` (JSON-escaped); larger files go through the CLI.
    express.json({ limit: '6mb' }),
    expressMiddleware(server, {
      context: async ({ req, res }) => ({
        principal: await options.verifier(req.headers.authorization),
        authorization: req.headers.authorization,
        requestId: requestIdOf(res),
      }),
    }),
  );
  app.use(jsonNotFound(), jsonErrors({ service: 'gateway', log }));
  return { app, server };
}
