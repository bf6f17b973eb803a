import { afterAll, describe, expect, it } from 'vitest';
import { openPostgres } from '../../lib/db.ts';
import { PRODUCERS } from '../../subgraphs/registry.ts';
import { postGraphQL } from '../support/subgraph.ts';
import { spawnEntry, type Service } from '../support/process.ts';

/**
 * docker-compose starts every subgraph at once on an empty database. PostgreSQL only: the embedded
 * folder has a single owner by design (test/lifecycle/embedded-folder.test.ts), so this story exists
 * where several processes share one database.
 */
const serverUrl = process.env.DATABASE_URL;
const database = `tiga_concurrent_${process.pid}`;
const withDatabase = (url: string, name: string) => Object.assign(new URL(url), { pathname: `/${name}` }).toString();

describe.runIf(serverUrl)('every subgraph started at once on an empty PostgreSQL database', () => {
  const services: Service[] = [];
  const admin = serverUrl ? openPostgres(withDatabase(serverUrl, 'postgres'), 1) : undefined;

  afterAll(async () => {
    for (const service of services) service.kill('SIGKILL');
    await Promise.all(services.map((s) => s.exited));
    await admin?.knex.raw('drop database if exists ??', [database]);
    await admin?.close();
  });

  it(`comes up: all ${PRODUCERS.length} migrate, seed and serve`, async () => {
    await admin!.knex.raw('drop database if exists ??', [database]);
    await admin!.knex.raw('create database ??', [database]);
    const url = withDatabase(serverUrl!, database);
    for (const producer of PRODUCERS) {
      services.push(spawnEntry('hub/subgraph.ts', [producer.name], { DATABASE_URL: url, [`${producer.name.toUpperCase()}_PORT`]: '0' }));
    }
    const urls = await Promise.all(services.map((service, i) => service.waitFor(new RegExp(`subgraph ${PRODUCERS[i]!.name} on (\\S+)`), 240_000).then((m) => m[1]!)));
    for (const [i, subgraphUrl] of urls.entries()) {
      const { data, errors } = await postGraphQL(subgraphUrl, '{ _service { __typename } }');
      // Each answers GraphQL (the SDL itself needs hub:schema, so FORBIDDEN is the expected answer).
      expect(errors?.[0]?.extensions?.code, PRODUCERS[i]!.name).toBe('FORBIDDEN');
      expect(data).toBeDefined();
    }
    for (const service of services) service.kill('SIGTERM');
    expect(await Promise.all(services.map((s) => s.exited))).toEqual(services.map(() => 0));
  });
});
