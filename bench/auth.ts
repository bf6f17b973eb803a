import { performance } from 'node:perf_hooks';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildASTSchema, parse } from 'graphql';
import { ensureEmbeddedKeys } from '../lib/auth/keys.ts';
import { signToken } from '../lib/auth/sign.ts';
import { createTokenVerifier } from '../lib/auth/verify.ts';
import { readAccessPolicy } from '../lib/auth/policy.ts';
import { ANONYMOUS } from '../lib/auth/principal.ts';
import { readSupergraph } from '../gateway/supergraph.ts';
import { filterOperation } from '../gateway/auth/filterOperation.ts';

/**
 * `npm run bench:auth`: the CPU cost authorization adds to one request, measured in-process: verifying the
 * bearer token (EdDSA, done by the gateway and again by each subgraph it calls) and rewriting the operation
 * for the caller. The end-to-end cost (including audit writes) is in `npm run bench`'s token scenarios.
 */
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 5000);

async function timeIt(label: string, run: () => unknown | Promise<unknown>) {
  for (let i = 0; i < 200; i++) await run();
  const start = performance.now();
  for (let i = 0; i < ITERATIONS; i++) await run();
  const micros = ((performance.now() - start) * 1000) / ITERATIONS;
  console.log(`${label.padEnd(58)} ${micros.toFixed(1).padStart(8)} µs/request`);
}

const keys = await ensureEmbeddedKeys(fs.mkdtempSync(path.join(os.tmpdir(), 'tiga-bench-auth-')));
const verify = createTokenVerifier({ jwks: keys.jwks, issuer: 'tiga-hub', audience: 'tiga-hub' });
const token = await signToken(keys, { subject: 'alice', scopes: ['orsal:restricted'], ttlSeconds: 3600, issuer: 'tiga-hub', audience: 'tiga-hub' });
const researcher = await verify(`Bearer ${token}`);

const schema = buildASTSchema(parse(readSupergraph()), { assumeValidSDL: true });
const policy = readAccessPolicy(schema);
const typical = parse(`{ territory(code: "67482") { name population urban { greenSpaceShare } airQuality(from: "2025-01-01", to: "2025-01-31") { date index label color } health { indicator period value unit cases } } }`);

console.log(`\n${ITERATIONS} iterations each, ${os.cpus().length} cores\n`);
await timeIt('verify a bearer token (EdDSA JWT, jose)', () => verify(`Bearer ${token}`));
await timeIt('rewrite a typical operation for an anonymous caller', () => filterOperation(schema, policy, ANONYMOUS, typical, undefined, {}));
await timeIt('rewrite a typical operation for a researcher', () => filterOperation(schema, policy, researcher, typical, undefined, {}));
