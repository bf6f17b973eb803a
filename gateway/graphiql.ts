import { createRequire } from 'node:module';
import path from 'node:path';
import express from 'express';

const require = createRequire(import.meta.url);

/**
 * GraphiQL's browser bundle and its React, served from node_modules: the hub never loads code from a CDN
 * (it runs on networks without one, and a CDN script would see every query).
 */
const ASSETS: Record<string, string> = {
  'graphiql.min.css': require.resolve('graphiql/graphiql.min.css'),
  'graphiql.min.js': require.resolve('graphiql/graphiql.min.js'),
  'react.production.min.js': path.join(path.dirname(require.resolve('react/package.json')), 'umd', 'react.production.min.js'),
  'react-dom.production.min.js': path.join(path.dirname(require.resolve('react-dom/package.json')), 'umd', 'react-dom.production.min.js'),
};

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

function page(endpoint: string): string {
  return `<!doctype html>
<html lang="fr">
<head>
  <meta charset="utf-8" />
  <title>TIGA data hub — GraphiQL</title>
  <link rel="stylesheet" href="/graphiql/assets/graphiql.min.css" />
  <style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
  <div id="graphiql">Loading GraphiQL…</div>
  <script src="/graphiql/assets/react.production.min.js"></script>
  <script src="/graphiql/assets/react-dom.production.min.js"></script>
  <script src="/graphiql/assets/graphiql.min.js"></script>
  <script>
    const token = new URLSearchParams(location.hash.slice(1)).get('token');
    const fetcher = GraphiQL.createFetcher({ url: ${JSON.stringify(endpoint)}, headers: token ? { authorization: 'Bearer ' + token } : {} });
    ReactDOM.createRoot(document.getElementById('graphiql')).render(
      React.createElement(GraphiQL, { fetcher, defaultQuery: ${JSON.stringify(DEFAULT_QUERY)} }),
    );
  </script>
</body>
</html>`;
}

/** GET /graphql from a browser shows GraphiQL; its assets come from /graphiql/assets. */
export function graphiql(endpoint = '/graphql'): express.Router {
  const router = express.Router();
  router.get('/graphiql/assets/:file', (req, res) => {
    const file = ASSETS[req.params.file];
    if (!file) return void res.status(404).end();
    res.sendFile(file, { maxAge: '1d' });
  });
  router.get(['/', endpoint], (req, res, next) => {
    if (!req.accepts('html') || req.query.query) return next();
    res.type('html').send(page(endpoint));
  });
  return router;
}
