import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

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
   * Stops accepting connections, lets in-flight requests finish (their connections then close), and after
   * `timeoutMs` closes whatever is left. Resolves once the server is closed.
   */
  close(timeoutMs?: number): Promise<void>;
}

const starting: Handler = (_req, res) => {
  res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
  res.end('{"status":"starting"}');
};

/**
 * Listens on `port` (0: any free port) before anything else starts, so that a second instance fails on
 * EADDRINUSE before it touches a database, and a supervisor sees the port as soon as the process runs.
 */
export function claimPort(port: number, host: string, path = '/graphql'): Promise<ClaimedServer> {
  let handler: Handler = starting;
  let closing = false;
  let inFlight = 0;
  // Connections, and the requests each is answering. One that has answered and waits (keep-alive) is idle and is
  // closed when draining. One accepted but whose request is not read yet is *not*: its client has sent a request
  // the hub must answer (Node's closeIdleConnections would reset it, and a busy process reads late).
  const connections = new Map<Socket, { answering: number; answered: boolean }>();
  const closeIdle = () => {
    for (const [socket, state] of connections) if (state.answered && state.answering === 0) socket.destroy();
  };
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
        state.answered = true;
      }
      if (closing) closeIdle();
    });
    handler(req, res);
  });
  server.on('connection', (socket: Socket) => {
    connections.set(socket, { answering: 0, answered: false });
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
          closing = true;
          return new Promise<void>((resolve) => setImmediate(resolve)).then(() => new Promise<void>((done) => {
            // (After a turn of the event loop: the connections its poll phase just accepted from the backlog — their
            // clients already sent their requests — are answered, not reset by closing the listening socket.)
            const timer = setTimeout(() => server.closeAllConnections(), timeoutMs);
            timer.unref();
            server.close(() => {
              clearTimeout(timer);
              clearTimeout(silent);
              done();
            });
            closeIdle();
            // A connection that has sent nothing a second after the drain began (a browser's preconnect) is closed
            // too, once the event loop has read whatever had arrived on it.
            const silent = setTimeout(
              () =>
                setImmediate(() => {
                  for (const [socket, state] of connections) if (!state.answered && state.answering === 0) socket.destroy();
                }),
              Math.min(1000, timeoutMs),
            );
            silent.unref();
          }));
        },
      });
    });
  });
}
