// REST helpers: JSON requests against `/api/v1` with a bearer token, and a
// patient variant for setup that waits out 429s (login lockout, rate limits)
// instead of failing the whole run on the first one.

import http from 'k6/http';
import { sleep } from 'k6';
import { API } from './config.js';

/** Longest wait for one setup request's 429s before giving up, in seconds. */
const SETUP_RETRY_BUDGET_S = 30;

/** Headers for a JSON request, with a bearer token when given. */
export function headers(token, extra) {
  const h = { 'Content-Type': 'application/json', Accept: 'application/json' };
  if (token) h.Authorization = `Bearer ${token}`;
  return Object.assign(h, extra || {});
}

/**
 * One request: `method` GET/POST/PATCH/DELETE, `path` under /api/v1, `body`
 * an object or undefined. `tags.name` groups URLs with ids into one metric
 * series (pass the route pattern).
 */
export function request(method, path, { token, body, name, extraHeaders, tags } = {}) {
  const params = { headers: headers(token, extraHeaders), tags: Object.assign({ name: name || path }, tags || {}) };
  const payload = body === undefined ? null : JSON.stringify(body);
  return http.request(method, `${API}${path}`, payload, params);
}

/** Parse a response body as JSON, or undefined when it is not JSON. */
export function json(res) {
  try {
    return res.json();
  } catch (_) {
    return undefined;
  }
}

/**
 * A setup request that must answer `want` (a status). Waits out 429/503
 * answers (honouring `Retry-After`) for up to SETUP_RETRY_BUDGET_S, then
 * throws an error naming the request, the status and the body: setup cannot
 * go on without its users, organization and boards.
 */
export function must(method, path, want, opts = {}) {
  let waited = 0;
  for (;;) {
    const res = request(method, path, opts);
    if (res.status === want) return json(res);
    if (res.status === 0) {
      throw new Error(`${method} ${API}${path}: no answer (${res.error}); is the server running at BASE_URL?`);
    }
    const retryable = res.status === 429 || res.status === 503;
    const wait = Math.max(1, Number(res.headers['Retry-After']) || 1);
    if (!retryable || waited + wait > SETUP_RETRY_BUDGET_S) {
      throw new Error(`${method} ${path}: expected ${want}, got ${res.status}: ${res.body}`);
    }
    sleep(wait);
    waited += wait;
  }
}

/** The board's current seq over REST (`GET /boards/{board}`), or null on failure. */
export function boardSeq(token, board) {
  const res = request('GET', `/boards/${board}`, { token, name: '/boards/{board}' });
  const out = res.status === 200 ? json(res) : undefined;
  return out && typeof out.seq === 'number' ? out.seq : null;
}
