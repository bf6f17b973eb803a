import fs from 'node:fs';
import http from 'node:http';
import fetch from 'node-fetch';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import type { Fetcher } from '@apollo/utils.fetcher';

/**
 * A peer of the benchmark (`npm run bench:peers`): stock @apollo/gateway behind Apollo Server's standalone
 * HTTP server, as its documentation sets it up, and nothing of the hub's — no limits, no cost model, no logs.
 *   PEER_SUPERGRAPH  the supergraph file (the committed one with this run's subgraph URLs)
 *   PEER_PORT        where it listens, on 127.0.0.1
 *   PEER_FETCHER     `default` (RemoteGraphQLDataSource's own make-fetch-happen) or `keep-alive` (node-fetch
 *                    with a keep-alive http.Agent of 64 sockets, the fetcher the hub's gateway uses)
 * APOLLO_TELEMETRY_DISABLED=true is set by the benchmark: without it @apollo/gateway reports usage to Apollo.
 */
const supergraphSdl = fs.readFileSync(process.env.PEER_SUPERGRAPH!, 'utf8');
const port = Number(process.env.PEER_PORT);
const keepAlive = process.env.PEER_FETCHER === 'keep-alive';
if (process.env.APOLLO_TELEMETRY_DISABLED !== 'true') throw new Error('APOLLO_TELEMETRY_DISABLED=true is required: nothing may call home');

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const keepAliveFetch = ((url: string, init?: Parameters<typeof fetch>[1]) => fetch(url, { ...init, agent })) as unknown as Fetcher;

const gateway = new ApolloGateway({
  supergraphSdl,
  ...(keepAlive ? { buildService: ({ url }: { url?: string }) => new RemoteGraphQLDataSource({ url, fetcher: keepAliveFetch }) } : {}),
});
const server = new ApolloServer({ gateway });
const { url } = await startStandaloneServer(server, { listen: { port, host: '127.0.0.1' } });
console.log(`apollo gateway (${keepAlive ? 'keep-alive fetcher' : 'default fetcher'}) on ${url}`);
// Apollo Server's own SIGTERM/SIGINT handlers stop it (its default outside NODE_ENV=test).
