import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import { parse, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { Database } from './db.ts';
import { migrate, type Migration } from './migrate.ts';
import { migrateAudit, recordAccess } from './audit.ts';
import { enforceAccess, type AccessContext } from './auth/enforce.ts';
import { readAccessPolicy } from './auth/policy.ts';
import { unauthenticated } from './errors.ts';
import type { TokenVerifier } from './auth/verify.ts';
import { ANONYMOUS } from './auth/principal.ts';
import type { Config, SubgraphName } from './config.ts';

/** What every resolver receives. Loaders are built per request so batches never mix callers. */
export interface SubgraphContext<Loaders> extends AccessContext {
  db: Database;
  loaders: Loaders;
}

/** Everything the hub needs to know about one producer's subgraph; `index.ts` of each subgraph exports one. */
export interface SubgraphDefinition<Loaders = unknown> {
  name: SubgraphName;
  typeDefs: DocumentNode;
  resolvers: GraphQLResolverMap<SubgraphContext<Loaders>>;
  migrations: Migration[];
  createLoaders(db: Database): Loaders;
  /**
   * Recomputes what derives from the configuration, on every start after migrations and seeds
   * (e.g. ORSAL's statistical-secrecy decisions under TIGA_SECRECY_THRESHOLD).
   */
  refresh?(db: Database, config: Config): Promise<void>;
}

/** Reads a subgraph's hand-written SDL that sits next to its resolvers. */
export function readSchema(url: URL): DocumentNode {
  return parse(fs.readFileSync(url, 'utf8'));
}

/** The subgraph's executable schema, with its access directives enforced on every field. */
export function buildSchema(definition: SubgraphDefinition): GraphQLSchema {
  const schema = buildSubgraphSchema({
    typeDefs: definition.typeDefs,
    resolvers: definition.resolvers as GraphQLResolverMap<unknown>,
  });
  enforceAccess(schema, readAccessPolicy(schema));
  return schema;
}

/** Migrations a subgraph's database needs: the shared audit log, then the subgraph's own schema. */
export async function prepareDatabase(definition: SubgraphDefinition<any>, db: Database): Promise<void> {
  await migrateAudit(db);
  await migrate(db, definition.name, definition.migrations);
}

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Starts an http.Server for `app` on `port` (0 picks a free one). */
export function listen(app: express.Express, port: number, host: string, path = '/graphql'): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = http.createServer(app);
    server.keepAliveTimeout = 65_000;
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address() as AddressInfo;
      const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
      resolve({
        url: `http://${shownHost}:${address.port}${path}`,
        port: address.port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

export interface SubgraphServerOptions {
  /**
   * Verifies bearer tokens (the caller's, forwarded by the gateway, or a direct caller's).
   * @default none: requests without a token are anonymous and any token is refused
   */
  verifier?: TokenVerifier;
  plugins?: ApolloServerPlugin<SubgraphContext<unknown>>[];
}

const refuseTokens: TokenVerifier = async (authorization) => {
  if (authorization) throw unauthenticated('this subgraph has no token verifier configured');
  return ANONYMOUS;
};

/**
 * Records every request that read a restricted field in the audit log before its response leaves;
 * when the record cannot be written, the response carries an error and no data (fail closed).
 */
function auditRestrictedReads(route: string): ApolloServerPlugin<SubgraphContext<unknown>> {
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
          } catch {
            if (response.body.kind === 'single') {
              response.body.singleResult.data = null;
              response.body.singleResult.errors = [
                { message: 'the restricted read could not be audited, so it was not performed', extensions: { code: 'INTERNAL_SERVER_ERROR' } },
              ];
            }
          }
        },
      };
    },
  };
}

/** Builds (never listens) the HTTP app of one subgraph: POST /graphql and GET /health. */
export async function createSubgraphApp(
  definition: SubgraphDefinition,
  db: Database,
  options: SubgraphServerOptions = {},
): Promise<{ app: express.Express; server: ApolloServer<SubgraphContext<unknown>> }> {
  const server = new ApolloServer<SubgraphContext<unknown>>({
    schema: buildSchema(definition),
    plugins: [ApolloServerPluginInlineTraceDisabled(), auditRestrictedReads(`subgraph:${definition.name}`), ...(options.plugins ?? [])],
    includeStacktraceInErrorResponses: false,
    // A subgraph's schema names its restricted fields; only the composed, filtered view is public:
    // no introspection, and no "Did you mean …" suggestions in validation errors.
    introspection: false,
    hideSchemaDetailsFromClientErrors: true,
  });
  const verify = options.verifier ?? refuseTokens;
  await server.start();
  const app = express();
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', subgraph: definition.name });
  });
  app.use(
    '/graphql',
    express.json({ limit: '5mb' }),
    expressMiddleware(server, {
      context: async ({ req }) => ({
        db,
        loaders: definition.createLoaders(db),
        principal: await verify(req.headers.authorization),
        touched: [],
      }),
    }),
  );
  return { app, server };
}
