import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { claimPort, type ClaimedServer } from '../../lib/runtime/server.ts';

/**
 * A supervisor's SIGTERM drains each port (lib/runtime/server.ts). These stories take the client's side from
 * another process, as a real client would: its connections complete in the kernel whatever the hub's event loop
 * is doing, and a reset connection shows as an error there, not as a status.
 */

/** Runs `script` (an ES module body, `URL` given) in a child Node and returns what it prints as JSON. */
function client<T>(url: string, script: string): Promise<T> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', `const URL = ${JSON.stringify(url)};\n${script}`], { timeout: 60_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(JSON.parse(stdout) as T),
    );
  });
}

/** Blocks the event loop, as a synchronous in-process query on the embedded database does. */
function busy(ms: number) {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

async function serve(handler: Parameters<ClaimedServer['attach']>[0]): Promise<ClaimedServer> {
  const server = await claimPort(0, '127.0.0.1', '/');
  server.attach(handler);
  return server;
}

describe('draining a port answers what clients sent before the signal', () => {
  it('connections still in the backlog of a busy process are accepted and answered, not reset', async () => {
    // The process is busy (each turn of its event loop holds 100 ms, each answer 150 ms), and Node accepts one
    // connection per turn: when the signal comes with the first request, the other connections are complete in the
    // kernel but not accepted yet.
    let first: () => void;
    const started = new Promise<void>((resolve) => (first = resolve));
    const server = await serve((_req, res) => {
      first();
      busy(150);
      res.end('answered');
    });
    const load = setInterval(() => busy(100), 0);
    const answers = client<string[]>(
      server.url,
      `const all = await Promise.all(Array.from({ length: 8 }, () =>
         fetch(URL, { method: 'POST', body: 'x' }).then(async (r) => r.status + ' ' + (await r.text()), (e) => 'failed: ' + (e.cause?.code ?? e.message))));
       console.log(JSON.stringify(all));`,
    );
    await started;
    const closed = server.close(30_000);
    try {
      expect(await answers).toEqual(Array(8).fill('200 answered'));
      await closed;
    } finally {
      clearInterval(load);
    }
  });

  it('a request sent on a keep-alive connection right after its previous answer is answered, and that connection closed', async () => {
    let server: ClaimedServer;
    let requests = 0;
    server = await serve((_req, res) => {
      requests++;
      res.end(`answer ${requests}`);
      if (requests === 1) {
        // The signal arrives as the first answer leaves, and the process stays busy while the client sends its next
        // request on the same connection.
        void server.close(30_000);
        busy(300);
      }
    });
    const seen = await client<string[]>(
      server.url,
      `import http from 'node:http';
       const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
       const get = () => new Promise((resolve) => {
         http.get(URL, { agent }, (res) => { let body = ''; res.on('data', (c) => (body += c)); res.on('end', () => resolve(res.statusCode + ' ' + body + ' ' + res.headers.connection)); })
           .on('error', (e) => resolve('failed: ' + e.code));
       });
       const one = await get();
       const two = await get();
       console.log(JSON.stringify([one, two]));`,
    );
    expect(seen).toEqual(['200 answer 1 keep-alive', '200 answer 2 close']);
  });

  it('an idle keep-alive connection does not hold the drain: it is closed once quiet, and the port stops accepting', async () => {
    let answered: () => void;
    const served = new Promise<void>((resolve) => (answered = resolve));
    const server = await serve((_req, res) => {
      res.end('ok');
      answered();
    });
    const outcome = client<{ first: string; closedBy: string; after: string }>(
      server.url,
      `import http from 'node:http';
       const agent = new http.Agent({ keepAlive: true });
       let socket;
       const first = await new Promise((resolve) => http.get(URL, { agent }, (res) => { socket = res.socket; res.resume(); res.on('end', () => resolve(String(res.statusCode))); }));
       const alive = setInterval(() => {}, 1000); // the agent unrefs an idle socket: wait for it all the same
       const closedBy = await new Promise((resolve) => { socket.on('error', (e) => resolve(e.code)); socket.on('close', () => resolve('server')); });
       const after = await new Promise((resolve) => http.get(URL, (res) => resolve(String(res.statusCode))).on('error', (e) => resolve(e.code)));
       clearInterval(alive);
       console.log(JSON.stringify({ first, closedBy, after }));`,
    );
    // The client keeps its connection open after its answer; then the signal.
    await served;
    await server.close(30_000);
    expect(await outcome).toEqual({ first: '200', closedBy: 'server', after: 'ECONNREFUSED' });
  });
});
