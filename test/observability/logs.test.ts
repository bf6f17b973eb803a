import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testHub } from '../support/hub.ts';
import { postJson } from '../protection/http.ts';
import { captureLogs, configureLogging, loggerFor, type LoggingSettings } from '../../lib/observability/logger.ts';
import { templateOf } from '../../lib/observability/repeats.ts';
import type { Hub } from '../../hub/hub.ts';

/** An id in a string that breaks PostgreSQL's text encoding: a sure way to make a subgraph fail unexpectedly. */
const NUL_STATION = '{ airStation(id: "FR\\u0000") { id } }';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Entry = Record<string, any>;

describe('every GraphQL request leaves one JSON line, under the id the caller got back', () => {
  let hub: Hub;
  let capture: ReturnType<typeof captureLogs>;
  let saved: LoggingSettings;
  beforeAll(async () => {
    hub = await testHub();
  });
  beforeEach(() => {
    saved = configureLogging({ level: 'info' });
    capture = captureLogs();
  });
  afterEach(() => {
    capture.stop();
    configureLogging(saved);
  });

  it('logs the request at the gateway and at each subgraph it called, with operation name, hash, duration and outcome', async () => {
    const response = await postJson(hub.gatewayUrl, { query: 'query ObsLogsCommune { territory(code: "67482") { name } }' });
    const id = response.headers.get('x-request-id')!;
    expect(response.json?.errors).toBeUndefined();
    const requests = capture.entries().filter((e) => e.msg === 'graphql request' && e.requestId === id);
    const gateway = requests.filter((e) => e.service === 'gateway');
    expect(gateway).toEqual([
      expect.objectContaining({
        level: 'info',
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        service: 'gateway',
        requestId: id,
        operationName: 'ObsLogsCommune',
        operationType: 'query',
        operationHash: expect.stringMatching(/^[0-9a-f]{64}$/),
        durationMs: expect.any(Number),
        outcome: 'ok',
        status: 200,
      }),
    ]);
    // The gateway's fetch to ADEUS carries the same id: ADEUS's line is found with it.
    expect(requests.filter((e) => e.service === 'subgraph:adeus')).toEqual([expect.objectContaining({ outcome: 'ok', operationHash: expect.stringMatching(/^[0-9a-f]{64}$/) })]);
  });

  it('says which requests failed, and with which codes', async () => {
    const response = await postJson(hub.gatewayUrl, { query: 'query ObsLogsMissing { territory(code: "67999") { name } }' });
    const id = response.headers.get('x-request-id');
    const line = capture.entries().find((e) => e.msg === 'graphql request' && e.requestId === id && e.service === 'gateway');
    // `territory` is null, the rest of the answer stands: data with errors.
    expect(line).toMatchObject({ operationName: 'ObsLogsMissing', outcome: 'partial', errorCodes: ['NOT_FOUND'] });
  });

  it("writes an unexpected error's detail as a structured entry, at the gateway and at the subgraph", async () => {
    const response = await postJson(hub.gatewayUrl, { query: NUL_STATION });
    const id = response.headers.get('x-request-id');
    expect(response.json?.errors?.[0]?.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', requestId: id });
    const errors = capture.entries().filter((e) => e.level === 'error' && e.requestId === id);
    const atmo = errors.find((e) => e.service === 'subgraph:atmo');
    expect(atmo).toMatchObject({ msg: 'unexpected error', path: 'airStation', err: { message: expect.stringMatching(/invalid byte sequence/), stack: expect.any(String) } });
    expect(errors.find((e) => e.service === 'gateway')).toMatchObject({ msg: 'unexpected error', subgraph: 'atmo' });
    expect(capture.entries().find((e) => e.msg === 'graphql request' && e.requestId === id && e.service === 'gateway')).toMatchObject({ outcome: 'partial' });
  });
});

describe('a failure repeated by every request is written once per interval, with a count of the rest', () => {
  let hub: Hub;
  let capture: ReturnType<typeof captureLogs>;
  let saved: LoggingSettings;
  const INTERVAL_MS = 400;
  beforeAll(async () => {
    hub = await testHub();
  });
  beforeEach(() => {
    saved = configureLogging({ repeatIntervalMs: INTERVAL_MS });
    capture = captureLogs();
  });
  afterEach(() => {
    capture.stop();
    configureLogging(saved);
  });

  const atmoErrors = () => capture.entries().filter((e: Entry) => e.service === 'subgraph:atmo' && e.level === 'error');

  it('writes the first of a burst, and the count of the others in the next line about the same error', async () => {
    const atmo = hub.subgraph('atmo').url;
    for (let i = 0; i < 5; i++) await postJson(atmo, { query: NUL_STATION });
    expect(atmoErrors()).toHaveLength(1);
    expect(atmoErrors()[0]).not.toHaveProperty('suppressed');
    await sleep(INTERVAL_MS + 50);
    const next = await postJson(atmo, { query: NUL_STATION });
    expect(atmoErrors()).toHaveLength(2);
    expect(atmoErrors()[1]).toMatchObject({ msg: 'unexpected error', suppressed: 4, requestId: next.headers.get('x-request-id') });
  });

  it('reports the count on its own when the error stops', async () => {
    const atmo = hub.subgraph('atmo').url;
    for (let i = 0; i < 3; i++) await postJson(atmo, { query: NUL_STATION });
    expect(atmoErrors()).toHaveLength(1);
    await sleep(2 * INTERVAL_MS + 100);
    expect(atmoErrors()).toHaveLength(2);
    expect(atmoErrors()[1]).toMatchObject({ msg: 'unexpected error (repeats suppressed)', suppressed: 2, repeatIntervalSeconds: INTERVAL_MS / 1000 });
  });

  it('tells errors apart by message template and code, not by their ids and numbers', () => {
    expect(templateOf('connect ECONNREFUSED 10.0.0.5:5432')).toBe(templateOf('connect ECONNREFUSED 10.0.0.6:6543'));
    expect(templateOf('no territory has the code "67999"')).toBe(templateOf('no territory has the code "12345"'));
    expect(templateOf('connect ECONNREFUSED 10.0.0.5:5432')).not.toBe(templateOf('Connection terminated unexpectedly'));
    const lines: string[] = [];
    const logger = loggerFor('test:repeats', (line) => lines.push(line));
    for (const port of [5432, 5433, 5434]) logger.error({ err: new Error(`connect ECONNREFUSED 10.0.0.5:${port}`), code: 'ECONNREFUSED' }, 'database unreachable');
    logger.error({ err: new Error('Connection terminated unexpectedly') }, 'database unreachable');
    logger.error({ err: new Error('connect ECONNREFUSED 10.0.0.5:5432'), code: 'OTHER' }, 'database unreachable');
    expect(lines.map((line) => JSON.parse(line).err.message)).toEqual(['connect ECONNREFUSED 10.0.0.5:5432', 'Connection terminated unexpectedly', 'connect ECONNREFUSED 10.0.0.5:5432']);
  });
});
