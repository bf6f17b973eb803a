import helmet from 'helmet';
import type { RequestHandler } from 'express';
import { headersSetBy } from './headersSetBy.ts';

/**
 * The Content-Security-Policy of every response. GraphiQL (the one HTML the hub serves) loads only files the
 * hub serves itself: its bundle, React, and its start-up script (no inline script, so `script-src 'self'`
 * suffices). React and CodeMirror set style attributes and insert <style> elements at run time, hence
 * `'unsafe-inline'` for styles only; graphiql.min.css embeds its fonts and icons as data: URIs; queries go to
 * the hub's own endpoint. No page of the hub may be framed (clickjacking).
 */
const CONTENT_SECURITY_POLICY = {
  'default-src': ["'self'"],
  'base-uri': ["'none'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};

/**
 * The CSP of a page that needs a little more than the default: the map explorer lets MapLibre start its workers
 * (`worker-src 'self' blob:`). Everything else stays as strict as above. Set after securityHeaders(), it replaces
 * that response's header.
 */
export function pageContentSecurityPolicy(extra: Partial<Record<string, string[]>>): RequestHandler {
  const directives = { ...CONTENT_SECURITY_POLICY, ...extra } as Record<string, string[]>;
  return helmet.contentSecurityPolicy({ useDefaults: false, directives });
}

/**
 * helmet's headers on every response of the gateway and the subgraphs: the CSP above, `nosniff`,
 * `Referrer-Policy: no-referrer`, framing refused, and no `X-Powered-By`.
 */
export function securityHeaders(): RequestHandler {
  return helmet({
    // helmet's defaults would add `upgrade-insecure-requests`, which breaks GraphiQL on a plain-HTTP hub (the
    // embedded default, a container behind a proxy that terminates TLS).
    contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
    referrerPolicy: { policy: 'no-referrer' },
    xFrameOptions: { action: 'deny' },
    // The hub does not own its parent domain: HSTS must not extend to sibling hosts.
    strictTransportSecurity: { maxAge: 15_552_000, includeSubDomains: false },
  });
}

/** The headers {@link securityHeaders} sets, as name–value pairs, for the routes that answer without Express. */
export function securityHeaderValues(): readonly (readonly [string, string])[] {
  return headersSetBy([securityHeaders()], { method: 'GET', url: '/', headers: {} });
}
