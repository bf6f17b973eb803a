import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatewayApp } from '../../gateway/gateway.ts';
import { testHub } from '../support/hub.ts';
import { testVerifier } from '../support/auth.ts';
import { postGraphQL, serveApp, type ClaimedServer } from '../support/subgraph.ts';
import type { Hub } from '../../hub/hub.ts';

/**
 * An operator's bad day: ORSAL's subgraph is down, or frozen. A territory page asks four producers at once;
 * the three that answer must still fill their fields, and the caller must be told which producer is missing,
 * where, and never the internal address it lives at.
 */
const TERRITORY_PAGE = `{
  territory(code: "67482") {
    name population
    urban { year }
    airQuality(from: "2025-01-01", to: "2025-01-07") { date index }
    health(indicator: "ASTHMA_PREVALENCE") { period value }
  }
}`;

const DEADLINE_MS = 1500;

/** A port that answers nothing: the subgraph's process was killed and nothing listens there any more. */
async function deadPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A subgraph that accepts connections and never answers (a process stuck in a long GC, a lock, a full disk). */
async function frozenServer(): Promise<{ url: string; sockets: Set<net.Socket>; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    sockets,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('a producer down costs only its own fields', () => {
  let hub: Hub;
  const logged: string[] = [];
  const gateways: { server: ClaimedServer; stop(): Promise<void> }[] = [];

  async function gatewayWithOrsalAt(orsalUrl: string): Promise<string> {
    const subgraphUrls = { ...Object.fromEntries(Object.entries(hub.subgraphs).map(([name, s]) => [name, s.url])), orsal: orsalUrl };
    const { app, server } = await createGatewayApp({
      subgraphUrls,
      verifier: await testVerifier(),
      audit: async () => {},
      subgraphTimeoutMs: DEADLINE_MS,
      log: (line) => void logged.push(line),
    });
    const served = await serveApp(app);
    gateways.push({ server: served, stop: () => server.stop() });
    return served.url;
  }

  beforeAll(async () => {
    hub = await testHub();
  });

  afterAll(async () => {
    for (const { server, stop } of gateways) {
      await server.close();
      await stop();
    }
  });

  it('ORSAL killed: ATMO and ADEUS fields stay, with one PRODUCER_UNAVAILABLE error at the health path', async () => {
    const gateway = await gatewayWithOrsalAt(`http://127.0.0.1:${await deadPort()}/graphql`);
    const response = await postGraphQL(gateway, TERRITORY_PAGE);
    const territory = response.data?.territory;
    expect(territory.name).toBe('Strasbourg');
    expect(territory.population).toBeGreaterThan(200_000);
    expect(territory.urban).not.toBeNull();
    expect(territory.airQuality).toHaveLength(7);
    expect(territory.health).toBeNull();
    expect(response.errors).toHaveLength(1);
    const error = response.errors![0]!;
    expect(error.path).toEqual(['territory', 'health']);
    expect(error.extensions).toMatchObject({ code: 'PRODUCER_UNAVAILABLE', producer: 'orsal', reason: 'UNREACHABLE', requestId: expect.any(String) });
    expect(error.message).toMatch(/^ORS Grand Est \(ORSAL\) is unavailable/);
    // The caller learns who is missing, never where it lives: no URL, host, port or cause.
    const text = JSON.stringify(response);
    expect(text).not.toMatch(/127\.0\.0\.1|localhost|http:|ECONNREFUSED|4002/);
    // The operator finds the cause in the log, under the id the caller was given.
    expect(logged.some((line) => line.includes(error.extensions!.requestId as string) && /ECONNREFUSED/.test(line))).toBe(true);
  });

  it('ORSAL killed: a list of territories keeps every other field, and the errors say how many are missing', async () => {
    const gateway = await gatewayWithOrsalAt(`http://127.0.0.1:${await deadPort()}/graphql`);
    const response = await postGraphQL(gateway, '{ territories(kind: COMMUNE) { code name health { value } } }');
    const territories = response.data?.territories as { code: string; name: string; health: unknown }[];
    expect(territories.length).toBe(68);
    expect(territories.every((t) => t.name && t.health === null)).toBe(true);
    const codes = new Set(response.errors!.map((e) => e.extensions?.code));
    expect([...codes]).toEqual(['PRODUCER_UNAVAILABLE']);
    // 50 located errors, then one that counts the rest: 68 fields are null, all of them said.
    const located = response.errors!.filter((e) => e.path);
    expect(located[0]?.path).toEqual(['territories', 0, 'health']);
    expect(located).toHaveLength(50);
    expect(response.errors!.at(-1)!.message).toMatch(/18 more fields are null/);
  });

  it('ORSAL frozen: the answer arrives within the deadline, with the other producers\' fields and a TIMEOUT reason', async () => {
    const frozen = await frozenServer();
    try {
      const gateway = await gatewayWithOrsalAt(frozen.url);
      const started = performance.now();
      const response = await postGraphQL(gateway, TERRITORY_PAGE);
      const elapsed = performance.now() - started;
      expect(elapsed).toBeLessThan(DEADLINE_MS + 1500);
      expect(elapsed).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
      expect(response.data?.territory.airQuality).toHaveLength(7);
      expect(response.data?.territory.health).toBeNull();
      expect(response.errors?.map((e) => [e.path, e.extensions?.code, e.extensions?.reason])).toEqual([[['territory', 'health'], 'PRODUCER_UNAVAILABLE', 'TIMEOUT']]);
      // A query that does not need ORSAL never waits for it.
      const quick = performance.now();
      const air = await postGraphQL(gateway, '{ territory(code: "67482") { name airQuality(from: "2025-01-01", to: "2025-01-02") { index } } }');
      expect(air.errors).toBeUndefined();
      expect(performance.now() - quick).toBeLessThan(DEADLINE_MS);
    } finally {
      await frozen.close();
    }
  });

  it('/ready says which producer is not ready, while /health stays alive', async () => {
    const gateway = await gatewayWithOrsalAt(`http://127.0.0.1:${await deadPort()}/graphql`);
    const base = gateway.replace(/\/graphql$/, '');
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { status: string; producers: { name: string; title: string; state: string }[] };
    expect(body.status).toBe('degraded');
    expect(body.producers.find((p) => p.name === 'orsal')).toMatchObject({ state: 'unavailable', title: 'ORS Grand Est (ORSAL)' });
    expect(body.producers.filter((p) => p.name !== 'orsal').map((p) => p.state)).toEqual(Array(body.producers.length - 1).fill('ready'));
    expect(JSON.stringify(body)).not.toMatch(/127\.0\.0\.1|http:/);
  });
});
