import http from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** A port this process holds: it answers 503 until an app is attached, and drains on close. */
export interface ClaimedServer {
  readonly url: string;
  readonly port: number;
  /** Requests being answered now. */
  readonly inFlight: number;
  /** Starts serving `handler` (an express app). */
  attach(handler: Handler): void;
  /**
   * Drains: stops accepting connections once the backlog is empty, answers every request read (each then closes its
   * connection), closes keep-alive connections quiet for a second, and after `timeoutMs` closes whatever is left.
   * Resolves once the server is closed.
   */
  close(timeoutMs?: number): Promise<void>;
}

const starting: Handler = (_req, res) => {
  res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
  res.end('{"status":"starting"}');
};

/**
 * How long a keep-alive connection must have been quiet before draining closes it. A client that has just read an
 * answer may already have sent its next request on the same connection, unread yet by a busy process: closing
 * then would reset that request (the client sees ECONNRESET and, for a POST, cannot know whether it ran). A second
 * covers a client's turnaround on a loaded machine; a connection quiet for longer is closed at once.
 */
const QUIET_MS = 1000;

/**
 * Listens on `port` (0: any free port) before anything else starts, so that a second instance fails on
 * EADDRINUSE before it touches a database, and a supervisor sees the port as soon as the process runs.
 *
 * Draining keeps the listening socket open while connections are still waiting in the kernel's backlog. Node
 * (libuv 1.46) accepts one connection per turn of the event loop, and a turn of a process busy with in-process
 * work can last half a second: eight connections a client opened before the signal may take eight turns to be
 * accepted, and closing the listening socket meanwhile would reset them. So the listening socket closes after a
 * turn that accepted nothing, or after half the drain's time (a steady stream of new connections cannot hold the
 * process longer). Requests read meanwhile are answered, each closing its connection.
 */
export function claimPort(port: number, host: string, path = '/graphql'): Promise<ClaimedServer> {
  let handler: Handler = starting;
  let closing = false;
  let drained: Promise<void> | undefined;
  let inFlight = 0;
  /** Connections accepted so far: a turn of the event loop that accepted one may have left more in the backlog. */
  let accepted = 0;
  // Connections, the requests each is answering, and when it last did something (accepted, answered).
  const connections = new Map<Socket, { answering: number; since: number }>();
  const server = http.createServer((req, res) => {
    inFlight++;
    const state = connections.get(req.socket);
    if (state) state.answering++;
    // While draining, each answer closes its connection so keep-alive clients go elsewhere.
    if (closing) res.setHeader('connection', 'close');
    res.once('close', () => {
      inFlight--;
      if (state) {
        state.answering--;
        state.since = performance.now();
      }
    });
    handler(req, res);
  });
  server.on('connection', (socket: Socket) => {
    accepted++;
    connections.set(socket, { answering: 0, since: performance.now() });
    socket.once('close', () => connections.delete(socket));
  });
  server.keepAliveTimeout = 65_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
      resolve({
        url: `http://${shownHost}:${address.port}${path}`,
        port: address.port,
        get inFlight() {
          return inFlight;
        },
        attach(next) {
          handler = next;
        },
        close(timeoutMs = 10_000) {
          // A second call (a boot step and a drain step may both own the port) waits for the first.
          if (drained) return drained;
          closing = true;
          return (drained = new Promise<void>((done) => {
            let listening = true;
            let sweep: NodeJS.Timeout | undefined;
            const finish = () => {
              clearTimeout(deadline);
              clearTimeout(sweep);
              done();
            };
            const stopListening = () => {
              listening = false;
              // net.Server's close, not http.Server's: the latter first closes every connection Node deems idle,
              // which includes one whose next request has arrived but is not read yet. Its callback runs once the
              // last connection has closed.
              net.Server.prototype.close.call(server, finish);
            };
            const deadline = setTimeout(() => {
              if (listening) stopListening();
              server.closeAllConnections();
            }, timeoutMs);
            deadline.unref();
            const lastCall = performance.now() + timeoutMs / 2;
            // Each sweep runs after a poll phase (a timer, then setImmediate), so a request that has arrived on a
            // quiet connection has been read before the sweep looks, and the backlog has given one connection if it
            // held any.
            const next = (delay: number) => {
              sweep = setTimeout(() => {
                const acceptedBefore = accepted;
                setImmediate(() => {
                  const now = performance.now();
                  if (listening && (accepted === acceptedBefore || now >= lastCall)) stopListening();
                  for (const [socket, state] of connections) if (state.answering === 0 && now - state.since >= QUIET_MS) socket.destroy();
                  if (listening || connections.size > 0) next(listening ? 0 : 100);
                });
              }, delay);
            };
            next(0);
          }));
        },
      });
    });
  });
}
