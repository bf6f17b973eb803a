import express, { type RequestHandler } from 'express';

/**
 * The headers `handlers` set, in order, on the response to `req`: for routes that answer without Express
 * (lib/http/directGraphQL.ts, gateway/directGateway.ts), read off the very middleware the Express route runs, once,
 * so both paths send the same headers from one definition. Only for middleware that sets fixed headers from the
 * request's headers alone, synchronously (helmet, CORS, `Vary`); any other throws here, at start-up.
 */
export function headersSetBy(handlers: RequestHandler[], req: { method: string; url: string; headers: Record<string, string> }): readonly (readonly [string, string])[] {
  const headers = new Map<string, string>();
  const recorder = {
    getHeader: (name: string) => headers.get(name.toLowerCase()),
    getHeaderNames: () => [...headers.keys()],
    setHeader(name: string, value: unknown) {
      headers.set(name.toLowerCase(), Array.isArray(value) ? value.join(', ') : String(value));
      return recorder;
    },
    removeHeader: (name: string) => void headers.delete(name.toLowerCase()),
    // Express's own `res.vary` (it merges into the header through getHeader and setHeader).
    vary(field: string) {
      express.response.vary.call(recorder as never, field);
      return recorder;
    },
  };
  for (const handler of handlers) {
    let done = false;
    handler(req as never, recorder as never, (error?: unknown) => {
      if (error) throw error;
      done = true;
    });
    if (!done) throw new Error('a middleware did not finish synchronously: its headers cannot be read once');
  }
  return [...headers];
}
