import crypto from 'node:crypto';

/**
 * SHA-256 of a text, in base64: the keys of the gateway's caches and budgets, several per request. One call
 * (`crypto.hash`, Node.js ≥ 20.12) costs half of a Hash object fed piece by piece; older Node.js 20 gets the latter.
 */
export const sha256: (text: string) => string =
  typeof crypto.hash === 'function' ? (text) => crypto.hash('sha256', text, 'base64') : (text) => crypto.createHash('sha256').update(text).digest('base64');
