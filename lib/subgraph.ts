import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import { parse, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { Database } from './db.ts';
import type { Migration } from './migrate.ts';
import type { SubgraphName } from './config.ts';

/** What every resolver receives. Loaders are built per request so batches never mix callers. */
export interface SubgraphContext<Loaders> {
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
}

/** Reads a subgraph's hand-written SDL that sits next to its resolvers. */
export function readSchema(url: URL): DocumentNode {
  return parse(fs.readFileSync(url, 'utf8'));
}

export function buildSchema(definition: SubgraphDefinition): GraphQLSchema {
  return buildSubgraphSchema({
    typeDefs: definition.typeDefs,
    resolvers: definition.resolvers as GraphQLResolverMap<unknown>,
  });
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
  plugins?: ApolloServerPlugin[];
}

/** Builds (never listens) the HTTP app of one subgraph: POST /graphql and GET /health. */
export async function createSubgraphApp(
  definition: SubgraphDefinition,
  db: Database,
  options: SubgraphServerOptions = {},
): Promise<{ app: express.Express; server: ApolloServer<SubgraphContext<unknown>> }> {
  const server = new ApolloServer<SubgraphContext<unknown>>({
    schema: buildSchema(definition),
    plugins: options.plugins ?? [],
    includeStacktraceInErrorResponses: false,
  });
  await server.start();
  const app = express();
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', subgraph: definition.name });
  });
  app.use(
    '/graphql',
    express.json({ limit: '5mb' }),
    expressMiddleware(server, {
      context: async () => ({ db, loaders: definition.createLoaders(db) }),
    }),
  );
  return { app, server };
}
