import http, { type RequestListener } from 'node:http';
import express from 'express';
import { buildASTSchema, parse } from 'graphql';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled, ApolloServerPluginSchemaReportingDisabled, ApolloServerPluginUsageReportingDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import { graphiql } from './graphiql.ts';
import { AccessControlledGateway, maskNames, type AccessMode, type GatewayContext } from './auth/AccessControlledGateway.ts';
import type { TokenVerifier } from '../lib/auth/verify.ts';
import type { Principal } from '../lib/auth/principal.ts';
import type { AuditEntry } from '../lib/audit.ts';
import { jsonErrors, jsonNotFound } from '../lib/http/jsonErrors.ts';
import { maskUnexpectedErrors } from '../lib/http/maskUnexpectedErrors.ts';
import { REQUEST_ID_HEADER, requestId, requestIdInErrorAnswers, requestIdOf, tagErrorsWithRequestId, tagErrorWithRequestId } from '../lib/http/requestId.ts';
import { securityHeaders } from '../lib/http/securityHeaders.ts';
import { privateWhenAuthorized } from '../lib/http/privateWhenAuthorized.ts';
import { openCors } from './openCors.ts';
import { anonymousQuery } from './catalog/anonymousQuery.ts';
import { catalogRoute } from './catalog/catalogRoute.ts';
import { openDataCache } from './catalog/openDataCache.ts';
import { exportsRoute } from './exports/exportsRoute.ts';
import { ogcRoute } from './ogc/ogcRoute.ts';
import { pagesRoute } from './pages/pagesRoute.ts';
import { downloads } from './opendata/downloads.ts';
import { prepareSupergraphForGateway, readSupergraph, subgraphsOf } from './supergraph.ts';
import { pushRoute } from './ingestRoute.ts';
import { ProducerDataSource } from './ProducerDataSource.ts';
import type { InProcessSubgraph } from '../lib/inProcessSubgraph.ts';
import { EntityCache } from './cache/EntityCache.ts';
import { AnswerCache, type AnswerTicket } from './cache/AnswerCache.ts';
import { directGateway } from './directGateway.ts';
import { headersSetBy } from '../lib/http/headersSetBy.ts';
import { fetchCachePolicies } from './cache/cachePolicy.ts';
import { allListening, type ChangeSource } from './cache/changeSources.ts';
import { readAccessPolicy } from '../lib/auth/policy.ts';
import { answerCacheLookups, entityCacheLookups } from '../lib/observability/metrics.ts';
import { readiness } from './readiness.ts';
import { costLimit } from '../lib/cost/costLimit.ts';
import { actualCost } from '../lib/cost/actualCost.ts';
import { readCostPolicy } from '../lib/cost/costPolicy.ts';
import { DEFAULT_COST_BUDGET } from '../lib/cost/budget.ts';
import { MAX_REQUEST_BYTES, QUERY_LIMITS } from '../lib/queryLimits.ts';
import { loggerFor } from '../lib/observability/logger.ts';
import { observeGraphQL } from '../lib/observability/observeGraphQL.ts';
import { observeHttp } from '../lib/observability/observeHttp.ts';
import { countRateLimited } from '../lib/observability/metrics.ts';
import { loadShedding } from './loadShedding.ts';
import { expensiveGate } from './expensiveGate.ts';
import { DEFAULT_EXPENSIVE_SLOTS, type Config, type LimitsConfig } from '../lib/config.ts';

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
  /** Where the gateway's log lines go (JSON, one per call: requests, errors' details). @default the process's log (standard error) */
  log?: (line: string) => void;
  /** Deadline of one subgraph call, in ms. @default 5000 */
  subgraphTimeoutMs?: number;
  /** Budgets per client (see gateway/loadShedding.ts). @default 10 per second, bursts of 40 in 10 s, 4 in flight, in memory */
  limits?: Partial<LimitsConfig>;
  /** Proxies whose X-Forwarded-For and X-Request-Id are believed (Express `trust proxy` values). @default none */
  trustedProxies?: string[];
  /** The largest estimated cost of one request (lib/cost/). @default DEFAULT_COST_BUDGET (TIGA_COST_BUDGET) */
  costBudget?: number;
  /** Answer introspection (of the schema the caller may see), whatever NODE_ENV says. @default true (TIGA_INTROSPECTION) */
  introspection?: boolean;
  /** Origins browser apps may call `/graphql` and `/catalog` from: `*` or a list (TIGA_CORS_ORIGINS). @default * */
  corsOrigins?: '*' | string[];
  /** The hub's public base URL, for the catalogue's URIs (TIGA_PUBLIC_URL). @default the request's scheme and host */
  publicUrl?: string;
  /**
   * Where committed writes to the producers' data are heard (lib/changes/): with them, the gateway keeps anonymous
   * answers of open fields (gateway/cache/). One per distinct database. @default none: no entity cache
   */
  changes?: ChangeSource[];
  /**
   * Subgraphs running in this very process (the hub, `npm start`), called without HTTP; by name. A subgraph not
   * listed is called over HTTP. @default none
   */
  inProcess?: Record<string, InProcessSubgraph>;
  /** Keep whole anonymous answers too (gateway/cache/AnswerCache.ts), when there is an entity cache (TIGA_ANSWER_CACHE). @default true */
  answerCache?: boolean;
}

const DEFAULT_SUBGRAPH_TIMEOUT_MS = 5000;

export { QUERY_LIMITS };

/** Apollo Server reports usage and schemas to Apollo when APOLLO_KEY is set: never from here. */
const noReporting = () => [ApolloServerPluginUsageReportingDisabled(), ApolloServerPluginSchemaReportingDisabled()];

// One pool of keep-alive sockets per gateway: opening a TCP connection per subgraph fetch halves throughput.
const subgraphConnections = new http.Agent({ keepAlive: true, maxSockets: 64 });

/**
 * The gateway's settings from the configuration: one place, so `npm start` (the hub) and `npm run gateway`
 * (the gateway alone) can never configure it differently.
 */
export function gatewaySettings(config: Config): Pick<GatewayOptions, 'mode' | 'subgraphTimeoutMs' | 'costBudget' | 'limits' | 'trustedProxies' | 'introspection' | 'corsOrigins' | 'publicUrl'> {
  return {
    mode: config.auth.mode,
    subgraphTimeoutMs: config.subgraphTimeoutMs,
    costBudget: config.costBudget,
    limits: config.limits,
    trustedProxies: config.trustedProxies,
    introspection: config.introspection,
    corsOrigins: config.corsOrigins,
    publicUrl: config.publicUrl,
  };
}

/**
 * Who a request is from, for budgets: its token's subject when the token is valid, else its address (the
 * socket's peer, or the client a trusted proxy forwarded for). Before the token is verified, the address.
 */
function clientKey(req: express.Request, principal: Principal | undefined): string {
  return principal?.kind === 'user' ? `token:${principal.subject}` : `address:${req.ip ?? req.socket.remoteAddress ?? 'unknown'}`;
}

/**
 * Builds (never listens) the gateway: GraphQL on /graphql, GraphiQL for browsers, /health. `app` answers every route;
 * `expressApp` is the same gateway without the direct route to /graphql (gateway/directGateway.ts): the reference it keeps to.
 */
export async function createGatewayApp(options: GatewayOptions): Promise<{ app: RequestListener; expressApp: express.Express; server: ApolloServer<GatewayContext>; entityCache?: EntityCache; answerCache?: AnswerCache }> {
  const supergraphSdl = options.supergraphSdl ?? readSupergraph();
  const log = options.log;
  const titles = new Map(subgraphsOf(supergraphSdl).map(({ name, title }) => [name, title]));
  // @apollo/gateway otherwise exports usage metrics to Apollo's servers and, to label them, probes the cloud
  // metadata endpoints of AWS, GCP, Azure and Alibaba. Nothing here calls home: forced off, whatever the
  // environment says (test/protection/no-call-home.test.ts watches every socket the hub opens).
  process.env.APOLLO_TELEMETRY_DISABLED = 'true';
  const supergraphSchema = buildASTSchema(parse(supergraphSdl), { assumeValidSDL: true });
  const entityCache = options.changes?.length
    ? { store: new EntityCache({ onLookup: (subgraph, kind, hit) => entityCacheLookups.inc({ subgraph, kind, result: hit ? 'hit' : 'miss' }) }), policyOf: fetchCachePolicies(supergraphSchema, readAccessPolicy(supergraphSchema)) }
    : undefined;
  const apolloGateway = new ApolloGateway({
    supergraphSdl: prepareSupergraphForGateway(supergraphSdl),
    buildService: ({ name, url }) =>
      new ProducerDataSource({
        name,
        title: titles.get(name) ?? name,
        url: options.subgraphUrls[name] ?? url ?? '',
        agent: subgraphConnections,
        inProcess: options.inProcess?.[name],
        timeoutMs: options.subgraphTimeoutMs ?? DEFAULT_SUBGRAPH_TIMEOUT_MS,
        log,
        cache: entityCache,
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
    // Its cost grows with depth, blind to list sizes and date ranges: the SDL's own prices replace it (costLimit below).
    costLimit: { enabled: false },
    blockFieldSuggestion: { enabled: true },
  }).protect();
  const shedding = loadShedding({
    perSecond: options.limits?.perSecond ?? 10,
    burst: options.limits?.burst ?? 40,
    concurrent: options.limits?.concurrent ?? 4,
    redisUrl: options.limits?.redisUrl,
    verify: options.verifier,
    log: (line) => loggerFor('gateway', log).warn({}, line),
    onRefused: countRateLimited,
  });
  // The shared budget's Redis connection closes with the gateway.
  const closeShedding: ApolloServerPlugin<GatewayContext> = { async serverWillStart() { return { async serverWillStop() { await shedding.close(); } }; } };
  // The entity cache hears every committed write from the start; it stays off until every source listens.
  const listening = entityCache && options.changes ? await allListening(options.changes, entityCache.store, (err, message) => loggerFor('gateway', log).warn({ err }, message)) : undefined;
  if (listening) entityCache?.store.catchUpWith(listening.caughtUp);
  const closeListeners: ApolloServerPlugin<GatewayContext> = { async serverWillStart() { return { async serverWillStop() { await listening?.stop(); } }; } };
  // Priced on the supergraph, where composition keeps @cost, @listSize and @costFactor: before any plan or subgraph call.
  const pricing = costLimit<GatewayContext>({ schema: supergraphSchema, budget: options.costBudget });
  const costPolicy = readCostPolicy(supergraphSchema);
  // Once priced: expensive requests spend a per-client cost budget and wait for a few hub-wide slots.
  const gate = expensiveGate({
    threshold: options.limits?.expensiveCost ?? 100,
    slots: options.limits?.expensiveSlots ?? DEFAULT_EXPENSIVE_SLOTS,
    slotCost: options.limits?.expensiveSlotCost ?? 10_000,
    perClient: options.limits?.expensivePerClient ?? 2,
    waitMs: options.limits?.expensiveWaitMs ?? 2000,
    costPerMinute: options.limits?.costPerMinute ?? 3_000_000,
    hubCostPerMinute: options.limits?.hubCostPerMinute ?? 3_000_000,
    budget: options.costBudget ?? DEFAULT_COST_BUDGET,
    redis: shedding.redis,
    onRefused: countRateLimited,
    actualCost: (answer) => actualCost({ schema: supergraphSchema, policy: costPolicy, ...answer }),
  });
  const observed = observeGraphQL<GatewayContext>('gateway', log);
  // Whole anonymous answers, in front of Apollo, as fresh as the entity cache they rest on.
  const answerCache = entityCache && options.answerCache !== false
    ? new AnswerCache(entityCache.store, {
        clientOf: (req) => clientKey(req, undefined),
        charge: gate.charge,
        onLookup: (hit) => answerCacheLookups.inc({ result: hit ? 'hit' : 'miss' }),
        onReplay: (replay) => observed.replayed(replay),
      })
    : undefined;
  const server = new ApolloServer<GatewayContext>({
    gateway,
    // graphql-armor types its plugins against the CommonJS build of @apollo/server; the shapes are identical.
    // Apollo's landing pages load from Apollo's CDN: browsers get our own GraphiQL instead.
    plugins: [...(armor.plugins as unknown as ApolloServerPlugin<GatewayContext>[]), pricing, gate, maskValidationErrors, closeShedding, closeListeners, tagErrorsWithRequestId<GatewayContext>(), observed, ...(answerCache ? [answerCache.plugin<GatewayContext>()] : []), ApolloServerPluginLandingPageDisabled(), ApolloServerPluginCacheControlDisabled(), ...noReporting()],
    // Apollo's default follows NODE_ENV (off in production), which would break GraphiQL's docs and code
    // generators in a deployment: the open contract is public, so it is on unless configured off.
    introspection: options.introspection ?? true,
    hideSchemaDetailsFromClientErrors: true,
    validationRules: [...armor.validationRules],
    parseOptions: { maxTokens: QUERY_LIMITS.maxTokens },
    includeStacktraceInErrorResponses: false,
    formatError: maskUnexpectedErrors({ service: 'gateway', log }),
    // The process's one shutdown path (lib/runtime/lifecycle.ts) stops the gateway in order.
    stopOnTerminationSignals: false,
  });
  await server.start();
  // One context for both routes to /graphql: Express's and the direct one (gateway/directGateway.ts).
  const contextOf = async (request: { authorization: string | undefined; requestId: string; clientOf: (principal: Principal) => string; answer: AnswerTicket | undefined; priceKey: string | undefined }): Promise<GatewayContext> => {
    try {
      const principal = await options.verifier(request.authorization);
      return { principal, authorization: request.authorization, requestId: request.requestId, client: request.clientOf(principal), answer: request.answer, priceKey: request.priceKey };
    } catch (error) {
      // A refused token's error (or any failure here) carries the request's id, as every error does (lib/http/requestId.ts).
      tagErrorWithRequestId(error, request.requestId);
      throw error;
    }
  };
  const app = express();
  app.disable('x-powered-by');
  // `req.ip` is the socket's peer, or, from a trusted proxy only, the client it forwarded for.
  app.set('trust proxy', options.trustedProxies?.length ? options.trustedProxies : false);
  const trustProxy = app.get('trust proxy fn') as (address: string, hop: number) => boolean;
  // A crowd is refused first, before any other work: its 429s must cost the hub next to nothing.
  app.use(requestId({ trusted: (req) => trustProxy(req.socket.remoteAddress ?? '', 0) }));
  app.use(['/graphql', '/ingest'], shedding);
  app.use(securityHeaders(), privateWhenAuthorized(), observeHttp('gateway'));
  // Liveness: the process answers. Readiness: every producer answers its own /ready in time.
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', service: 'gateway' });
  });
  app.get('/ready', readiness(subgraphsOf(supergraphSdl).map(({ name, title, url }) => ({ name, title, url: options.subgraphUrls[name] ?? url })), log));
  const openRoutes = openCors(options.corsOrigins ?? '*');
  app.use('/graphql', openRoutes);
  app.use(graphiql('/graphql'));
  app.use(pushRoute({ subgraphUrls: subgraphsOf(supergraphSdl).reduce<Record<string, string>>((urls, { name, url }) => ({ ...urls, [name]: options.subgraphUrls[name] ?? url }), {}), policy: gateway.policy, verifier: options.verifier }));
  app.use(
    '/graphql',
    // Room for the ingest mutations' 5 MB `content` (JSON-escaped); larger files go through the CLI.
    express.json({ limit: MAX_REQUEST_BYTES }),
    gate.early((req) => clientKey(req, undefined)),
    ...(answerCache ? [answerCache.middleware()] : []),
    requestIdInErrorAnswers(),
    expressMiddleware(server, {
      context: ({ req, res }) =>
        contextOf({ authorization: req.headers.authorization, requestId: requestIdOf(res), clientOf: (principal) => clientKey(req, principal), answer: AnswerCache.ticketOf(res), priceKey: typeof res.locals.priceKey === 'string' ? res.locals.priceKey : undefined }),
    }),
  );
  // The DCAT-AP catalogue of the open data, read through the anonymous view of this very gateway.
  const anonymous = anonymousQuery(server);
  // One read of the open data (seconds of anonymous operations, renewed every 5 minutes) for the catalogue and
  // the OGC API's extents, on the hub's own open-data budget.
  const openData = openDataCache(anonymous, { warn: (err, message) => loggerFor('gateway', log).warn({ err }, message) });
  app.use(catalogRoute({ openData, titles, downloads: downloads(), publicUrl: options.publicUrl, before: [openRoutes, shedding], log }));
  // Exports and the OGC API: the same anonymous view, read for the client who asked (its budgets, its request id);
  // the pages' shared reads are as fresh as the entity cache (gateway/cache/sharedReads.ts).
  const openRouteOptions = { query: anonymous, openData, titles, publicUrl: options.publicUrl, before: [openRoutes, shedding], clientOf: (req: express.Request) => clientKey(req, undefined), log, freshness: entityCache?.store };
  app.use(exportsRoute(openRouteOptions));
  app.use(ogcRoute(openRouteOptions));
  // The explorer pages: the data inventory, the map and the transparency dashboard, read through the same sources.
  app.use(pagesRoute({ ...openRouteOptions, supergraphSdl }));
  app.use(jsonNotFound(), jsonErrors({ service: 'gateway', log }));
  // The common anonymous POST /graphql skips Express, through the same steps (gateway/directGateway.ts).
  const direct = directGateway({
    server,
    limitBytes: MAX_REQUEST_BYTES,
    // What the middleware above sets on such a request before its body is read, recorded off that very middleware.
    headers: headersSetBy([securityHeaders(), privateWhenAuthorized(), openRoutes], { method: 'POST', url: '/graphql', headers: { 'content-type': 'application/json' } }),
    trustProxy,
    shedding,
    check: gate.check,
    answerCache,
    context: ({ requestId: id, client, answer, priceKey }) => contextOf({ authorization: undefined, requestId: id, clientOf: () => client, answer, priceKey }),
    log,
    fallback: app,
  });
  return { app: direct, expressApp: app, server, entityCache: entityCache?.store, answerCache };
}
