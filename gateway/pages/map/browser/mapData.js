/**
 * Every request the page makes to the hub goes through here: at most 3 at once (the hub allows 4 in flight
 * per address), a 429 waited out once as Retry-After says, and each answer kept for the page's life (values
 * by URL, outlines by kind and zoom bucket), so panning back and forth asks nothing again.
 */
const MAX_IN_FLIGHT = 3;
let inFlight = 0;
const waiting = [];
const answers = new Map();

async function slot(run) {
  if (inFlight >= MAX_IN_FLIGHT) await new Promise((resolve) => waiting.push(resolve));
  inFlight++;
  try {
    return await run();
  } finally {
    inFlight--;
    waiting.shift()?.();
  }
}

async function request(url, init) {
  for (let attempt = 0; ; attempt++) {
    const response = await slot(() => fetch(url, init));
    if (response.status === 429 && attempt === 0) {
      await new Promise((resolve) => setTimeout(resolve, 1000 * Math.min(10, Number(response.headers.get('retry-after')) || 1)));
      continue;
    }
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body?.errors?.[0]?.message ?? `HTTP ${response.status}`);
    return body;
  }
}

/** A JSON GET, asked once per URL (a failure is forgotten, so it is asked again next time). */
export function getJson(url) {
  if (!answers.has(url)) answers.set(url, request(url).catch((error) => (answers.delete(url), Promise.reject(error))));
  return answers.get(url);
}

/** The zoom bucket of a zoom level, as the server cuts them (territoryGeometry.ts): ≤9, 10–11, ≥12. */
export const bucketOf = (zoom) => (zoom < 10 ? 0 : zoom < 12 ? 1 : 2);
const BUCKET_ZOOM = [9, 11, 12];

export const territories = (kind, bucket) => getJson(`/pages/map/territories.geojson?kind=${kind}&zoom=${BUCKET_ZOOM[bucket]}`);
export const values = (params) => getJson(`/pages/map/values.json?${new URLSearchParams(params)}`);

/** One operation of the open GraphQL API, anonymous; its errors are thrown with their message. */
export async function graphql(query, variables) {
  const body = await request('/graphql', { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ query, variables }) });
  if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join('; '));
  return body.data;
}
