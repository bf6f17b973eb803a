import http from 'node:http';

/** One answer as a client sees it, with what varies per request (its id, the date) set aside. */
export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  id: string;
  etag?: string;
}

export interface RawPostOptions {
  /** Sent chunked (no Content-Length), in two pieces: nothing tells the body's length before its end. */
  chunked?: boolean;
  headers?: Record<string, string>;
  /** The local address to send from (127.x.y.z: a client of its own, as the gateway's rate limits see it). */
  from?: string;
}

/**
 * POSTs `body` as JSON to `url` and reads the answer as raw as a client gets it: the request id, Date, the
 * connection's headers and the body's framing are set aside (the id replaced by `<request id>` in the body), so two
 * answers to the same request compare equal when they are the same answer.
 */
export function rawPost(url: string, body: string | Buffer, { chunked = false, headers = {}, from }: RawPostOptions = {}): Promise<RawAnswer> {
  const payload = Buffer.isBuffer(body) ? body : Buffer.from(body);
  return new Promise((resolve, reject) => {
    const request = http.request(url, {
      method: 'POST',
      agent: false,
      ...(from ? { localAddress: from } : {}),
      headers: { 'content-type': 'application/json', ...(chunked ? {} : { 'content-length': payload.length }), ...headers },
    });
    request.on('error', reject);
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const id = String(response.headers['x-request-id']);
        const kept = Object.fromEntries(
          Object.entries(response.headers)
            .filter(([name]) => !['date', 'x-request-id', 'content-length', 'transfer-encoding', 'etag', 'connection', 'keep-alive'].includes(name))
            .map(([name, value]) => [name, String(value)]),
        );
        const etag = response.headers.etag;
        resolve({ status: response.statusCode ?? 0, headers: kept, body: Buffer.concat(chunks).toString('utf8').replaceAll(id, '<request id>'), id, ...(etag ? { etag } : {}) });
      });
    });
    if (chunked && payload.length > 1) {
      request.write(payload.subarray(0, 1));
      request.end(payload.subarray(1));
    } else request.end(payload);
  });
}

/**
 * Bodies a JSON parser must answer as body-parser does (the reference both direct routes keep to): broken, not an
 * object, empty, a batch, a byte-order mark, leading white space.
 */
export const ODD_BODIES: [string, string | Buffer][] = [
    ['truncated JSON', '{"query":'],
    ['a JSON string instead of an object', '"hello"'],
    ['an empty body', ''],
    ['a batch (an array)', JSON.stringify([{ query: '{ __typename }' }])],
    ['JSON behind a byte-order mark', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify({ query: '{ __typename }' }))])],
    ['leading white space', `  \n${JSON.stringify({ query: '{ __typename }' })}`],
];
