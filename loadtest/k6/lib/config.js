// Settings read from the environment (`k6 run -e NAME=value` or exported
// variables). A bad value stops the script at once with a message naming
// the variable, like the server's own configuration.

/** Read `name` from `__ENV`, or `fallback` when unset or empty. */
export function envStr(name, fallback) {
  const v = __ENV[name];
  return v === undefined || v === '' ? fallback : v;
}

/** An integer in `[min, max]` from `name`, or `fallback`. */
export function envInt(name, fallback, min, max) {
  const raw = envStr(name, undefined);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`${name}: ${JSON.stringify(raw)} is not valid: must be an integer from ${min} to ${max}`);
  }
  return n;
}

/** A number (fractions allowed) in `[min, max]` from `name`, or `fallback`. */
export function envNum(name, fallback, min, max) {
  const raw = envStr(name, undefined);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new Error(`${name}: ${JSON.stringify(raw)} is not valid: must be a number from ${min} to ${max}`);
  }
  return n;
}

/** `FORMAT`: `json` (text frames) or `msgpack` (binary frames); default json. */
export const FORMAT = (() => {
  const f = envStr('FORMAT', 'json').toLowerCase();
  if (f !== 'json' && f !== 'msgpack') {
    throw new Error(`FORMAT: ${JSON.stringify(f)} is not valid: must be json or msgpack`);
  }
  return f;
})();

/** `BASE_URL`: the server, `http(s)://host:port`, default http://127.0.0.1:8080. */
export const BASE_URL = (() => {
  const u = envStr('BASE_URL', 'http://127.0.0.1:8080').replace(/\/+$/, '');
  if (!/^https?:\/\/[^/\s]+$/.test(u)) {
    throw new Error(`BASE_URL: ${JSON.stringify(u)} is not valid: must be http(s)://host[:port]`);
  }
  return u;
})();

/** REST API root. */
export const API = `${BASE_URL}/api/v1`;

/** WebSocket endpoint derived from BASE_URL (http → ws, https → wss). */
export const WS_URL = `${BASE_URL.replace(/^http/, 'ws')}/ws`;

/**
 * A k6 duration string such as `30s` or `2m`, from `name`; returns
 * milliseconds. Only s, m and ms units (plain numbers are seconds).
 */
export function envDurationMs(name, fallback, minMs, maxMs) {
  const raw = envStr(name, fallback);
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(String(raw));
  const ms = m ? Number(m[1]) * ({ ms: 1, s: 1000, m: 60000 }[m[2] || 's']) : NaN;
  if (!Number.isFinite(ms) || ms < minMs || ms > maxMs) {
    throw new Error(
      `${name}: ${JSON.stringify(raw)} is not valid: must be a duration like 30s or 2m, from ${minMs / 1000}s to ${maxMs / 1000}s`,
    );
  }
  return ms;
}

/** Format milliseconds as a k6 duration string. */
export function dur(ms) {
  return `${Math.ceil(ms / 1000)}s`;
}
