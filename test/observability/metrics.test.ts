import { beforeAll, describe, expect, it } from 'vitest';
import { testHub } from '../support/hub.ts';
import { postJson, send } from '../protection/http.ts';
import knex from 'knex';
import { countRateLimited, observeDatabase, registry } from '../../lib/observability/metrics.ts';
import type { Hub } from '../../hub/hub.ts';
import { readExposition, total, type Exposition } from './prometheus.ts';

/** Scrapes `/metrics` beside a GraphQL URL and reads it as Prometheus would. */
async function scrape(graphqlUrl: string): Promise<Exposition & { status: number; type: string | null }> {
  const response = await send(new URL('/metrics', graphqlUrl).href);
  return { status: response.status, type: response.headers.get('content-type'), ...readExposition(response.text) };
}

describe('an operator scrapes /metrics on the gateway and on a subgraph', () => {
  let hub: Hub;
  beforeAll(async () => {
    hub = await testHub();
  });

  it('serves Prometheus text that a parser reads, with every family the runbook names', async () => {
    const { status, type, families } = await scrape(hub.gatewayUrl);
    expect(families.get('tiga_graphql_requests_total')?.type).toBe('COUNTER');
    expect(status).toBe(200);
    expect(type).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const name of [
      'tiga_graphql_requests_total',
      'tiga_graphql_request_duration_seconds',
      'tiga_graphql_errors_total',
      'tiga_subgraph_fetch_duration_seconds',
      'tiga_subgraph_fetch_failures_total',
      'tiga_rate_limited_requests_total',
      'tiga_auth_failures_total',
      'tiga_ingest_runs_total',
      'tiga_db_pool_connections',
      'tiga_db_queries_in_flight',
      'tiga_process_resident_memory_bytes',
    ]) {
      expect({ name, help: Boolean(families.get(name)?.help) }).toEqual({ name, help: true });
    }
    expect(families.get('tiga_graphql_request_duration_seconds')?.type).toBe('HISTOGRAM');
    // The hub is one process: a subgraph's port shows the same registry.
    const atmo = await scrape(hub.subgraph('atmo').url);
    expect(atmo.status).toBe(200);
    expect([...atmo.families.keys()].sort()).toEqual([...families.keys()].sort());
  });

  it('counts requests, latency and errors per operation, and each subgraph fetch', async () => {
    const before = await scrape(hub.gatewayUrl);
    const ok = await postJson(hub.gatewayUrl, { query: 'query ObsMetricsCommune { territory(code: "67482") { name } }' });
    expect(ok.json?.errors).toBeUndefined();
    const missing = await postJson(hub.gatewayUrl, { query: 'query ObsMetricsMissing { territory(code: "67999") { name } }' });
    expect(missing.json?.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const after = await scrape(hub.gatewayUrl);

    const gateway = (operation: string, extra: Record<string, string> = {}) => ({ service: 'gateway', operation, ...extra });
    const moved = (name: string, labels: Record<string, string>) => total(after, name, labels) - total(before, name, labels);
    expect(moved('tiga_graphql_requests_total', gateway('ObsMetricsCommune', { outcome: 'ok' }))).toBe(1);
    expect(moved('tiga_graphql_request_duration_seconds_count', gateway('ObsMetricsCommune'))).toBe(1);
    expect(moved('tiga_graphql_request_duration_seconds_sum', gateway('ObsMetricsCommune'))).toBeGreaterThan(0);
    expect(moved('tiga_graphql_request_duration_seconds_bucket', gateway('ObsMetricsCommune', { le: '+Inf' }))).toBe(1);
    expect(moved('tiga_graphql_requests_total', gateway('ObsMetricsMissing', { outcome: 'partial' }))).toBe(1);
    expect(moved('tiga_graphql_errors_total', gateway('ObsMetricsMissing', { code: 'NOT_FOUND' }))).toBe(1);
    // ADEUS answered both (NOT_FOUND is an answer): the gateway's fetches and ADEUS's own requests are counted.
    expect(moved('tiga_subgraph_fetch_duration_seconds_count', { subgraph: 'adeus', outcome: 'ok' })).toBe(2);
    expect(moved('tiga_graphql_requests_total', { service: 'subgraph:adeus' })).toBe(2);
    expect(moved('tiga_graphql_errors_total', { service: 'subgraph:adeus', code: 'NOT_FOUND' })).toBe(1);
  });

  it('counts refused tokens, rate-limited requests and fetches that fail', async () => {
    const before = await scrape(hub.gatewayUrl);
    const refused = await postJson(hub.gatewayUrl, { query: '{ __typename }' }, { authorization: 'Bearer not-a-token' });
    expect(refused.json?.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    countRateLimited('observability-test');
    const after = await scrape(hub.gatewayUrl);
    expect(total(after, 'tiga_auth_failures_total', { service: 'gateway' }) - total(before, 'tiga_auth_failures_total', { service: 'gateway' })).toBe(1);
    expect(total(after, 'tiga_rate_limited_requests_total', { reason: 'observability-test' })).toBe(1);
  });

  it("reports the database pool and the statements in flight", async () => {
    const { samples } = await scrape(hub.gatewayUrl);
    const pool = samples.filter((s) => s.name === 'tiga_db_pool_connections');
    expect(new Set(pool.map((s) => s.labels.state))).toEqual(new Set(['used', 'free', 'pending']));
    expect(pool.every((s) => s.value >= 0)).toBe(true);
    expect(samples.filter((s) => s.name === 'tiga_db_queries_in_flight').length).toBeGreaterThan(0);
  });

  it('reports two databases of one name (the same database name on two servers) each under its own label', async () => {
    // Pools that never connect: the gauges read their counts, not the server.
    const pools = [1, 2].map((port) => knex({ client: 'pg', connection: `postgres://tiga@127.0.0.1:${port}/tiga`, pool: { min: 0, max: 3 } }));
    const stops = pools.map((pool) => observeDatabase('tiga', { knex: pool, engine: 'postgres', close: () => pool.destroy() }));
    try {
      const pool = readExposition(await registry.metrics()).samples.filter((s) => s.name === 'tiga_db_pool_connections' && s.labels.database?.startsWith('tiga'));
      expect(new Set(pool.map((s) => s.labels.database))).toEqual(new Set(['tiga', 'tiga#2']));
      stops[1]!();
      const left = readExposition(await registry.metrics()).samples.filter((s) => s.name === 'tiga_db_pool_connections' && s.labels.database?.startsWith('tiga'));
      expect(new Set(left.map((s) => s.labels.database))).toEqual(new Set(['tiga']));
    } finally {
      for (const stop of stops) stop();
      await Promise.all(pools.map((pool) => pool.destroy()));
    }
  });
});
