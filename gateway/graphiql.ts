import { createRequire } from 'node:module';
import path from 'node:path';
import express from 'express';

const require = createRequire(import.meta.url);

/** A file under /graphiql/assets: one from node_modules, or a script the gateway writes. */
type Asset = { file: string } | { type: string; body: string };

/**
 * GraphiQL's browser bundle and its React, served from node_modules: the hub never loads code from a CDN
 * (it runs on networks without one, and a CDN script would see every query).
 */
const VENDOR_ASSETS: [string, Asset][] = [
  ['graphiql.min.css', { file: require.resolve('graphiql/graphiql.min.css') }],
  ['graphiql.min.js', { file: require.resolve('graphiql/graphiql.min.js') }],
  ['react.production.min.js', { file: path.join(path.dirname(require.resolve('react/package.json')), 'umd', 'react.production.min.js') }],
  ['react-dom.production.min.js', { file: path.join(path.dirname(require.resolve('react-dom/package.json')), 'umd', 'react-dom.production.min.js') }],
];

const DEFAULT_QUERY = `# TIGA — la santé en mouvements. Every producer, joined on one territory:
{
  territory(code: "67482") {
    name
    population
    urban { greenSpaceShare imperviousShare populationDensity }
    airQuality(from: "2025-01-01", to: "2025-01-07") { date index label color }
    health { indicator period value unit }
  }
}
`;

/**
 * GraphiQL's start-up, a file of its own rather than an inline <script>, so the page's CSP can be
 * `script-src 'self'`. A token in the URL's fragment (`#token=…`, never sent to a server) is sent as a bearer token;
 * a query there (`#query=…`, the data inventory's links) fills the editor. The fragment, not `?query=`: a GET
 * with `query` is an operation the endpoint runs for clients that do not ask for HTML.
 */
function startScript(endpoint: string): string {
  return `'use strict';
(() => {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const token = fragment.get('token');
  const query = fragment.get('query');
  const fetcher = GraphiQL.createFetcher({ url: ${JSON.stringify(endpoint)}, headers: token ? { authorization: 'Bearer ' + token } : {} });
  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, query ? { fetcher, query, defaultQuery: query } : { fetcher, defaultQuery: ${JSON.stringify(DEFAULT_QUERY)} }),
  );
})();
`;
}

const PAGE = `<!doctype html>
<html lang="fr">
<head>
  <meta charset="utf-8" />
  <title>TIGA data hub — GraphiQL</title>
  <link rel="icon" href="data:," />
  <link rel="stylesheet" href="/graphiql/assets/graphiql.min.css" />
  <style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
  <div id="graphiql">Loading GraphiQL…</div>
  <script src="/graphiql/assets/react.production.min.js"></script>
  <script src="/graphiql/assets/react-dom.production.min.js"></script>
  <script src="/graphiql/assets/graphiql.min.js"></script>
  <script src="/graphiql/assets/start.js"></script>
</body>
</html>`;

/**
 * GET /graphql from a browser shows GraphiQL; its assets come from /graphiql/assets. Only the names in the
 * asset map are served: a name looked up on a plain object would also find `constructor` or `__proto__`.
 */
export function graphiql(endpoint = '/graphql'): express.Router {
  const assets = new Map<string, Asset>([...VENDOR_ASSETS, ['start.js', { type: 'text/javascript', body: startScript(endpoint) }]]);
  const router = express.Router();
  router.get('/graphiql/assets/:file', (req, res, next) => {
    const asset = assets.get(req.params.file);
    if (!asset) return next();
    if ('file' in asset) return res.sendFile(asset.file, { maxAge: '1d' });
    res.type(asset.type).send(asset.body);
  });
  router.get(['/', endpoint], (req, res, next) => {
    if (!req.accepts('html') || req.query.query) return next();
    res.type('html').send(PAGE);
  });
  return router;
}
