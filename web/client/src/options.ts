/**
 * The settings of `createClient`, checked before anything connects: an
 * unusable one is a typed `invalid_options` error naming it, never a
 * client that retries forever.
 */

import type { BackoffOptions } from "./backoff.js";
import type { Format } from "./codec.js";
import type { Auth } from "./connection.js";
import { CorkboardError } from "./errors.js";
import type { CommandStore } from "./queue.js";

/** Settings of {@link createClient}. */
export interface ClientOptions {
  /** The server: `http(s)://host[:port]` (the WebSocket is `/ws`, REST `/api/v1`), or a `ws(s)://…/ws` URL. */
  url: string;
  /** An access token or API key, or a function returning a fresh one (refreshed before expiry). */
  auth: Auth;
  /** Wire encoding (default `json`; `msgpack` loads `@msgpack/msgpack`). */
  format?: Format;
  /** Where unanswered commands are kept (default: memory; `IndexedDBStore` survives reloads). */
  store?: CommandStore;
  /** Most commands waiting at once (default 1,000). */
  maxQueue?: number;
  /** Most commands sent and not yet answered (default 64). */
  maxInFlight?: number;
  /** Reconnect backoff. */
  backoff?: BackoffOptions;
  /** The WebSocket constructor (default: the global one). */
  WebSocket?: typeof WebSocket;
  /** The fetch function for REST (default: the global one). */
  fetch?: typeof fetch;
  /** Ping interval in ms (default: from the server's idle timeout). */
  heartbeatMs?: number;
}

function parses(url: string): boolean {
  try {
    return ["http:", "https:", "ws:", "wss:"].includes(new URL(url).protocol);
  } catch {
    return false;
  }
}

/** Splits a base URL into the WebSocket and REST endpoints. */
export function endpoints(url: string): { ws: string; http: string } {
  const u = new URL(url);
  const secure = u.protocol === "https:" || u.protocol === "wss:";
  const origin = `${secure ? "https" : "http"}://${u.host}`;
  const ws = u.protocol.startsWith("ws") && u.pathname !== "/" ? u.href : `${secure ? "wss" : "ws"}://${u.host}/ws`;
  return { ws, http: origin };
}

/** Throws `invalid_options` naming the first unusable setting. */
export function validateOptions(options: ClientOptions): void {
  const auth: unknown = options.auth;
  if (!(typeof auth === "function" || (typeof auth === "string" && auth.length > 0))) {
    throw new CorkboardError("invalid_options", "createClient: `auth` must be a token (a non-empty string) or a function returning one");
  }
  const positive = (name: string, value: number | undefined, min = 1) => {
    if (value !== undefined && !(Number.isInteger(value) && value >= min)) {
      throw new CorkboardError("invalid_options", `createClient: \`${name}\` must be an integer of at least ${min}, not ${String(value)}`);
    }
  };
  positive("maxQueue", options.maxQueue);
  positive("maxInFlight", options.maxInFlight);
  positive("heartbeatMs", options.heartbeatMs, 1_000);
  if (options.format !== undefined && options.format !== "json" && options.format !== "msgpack") {
    throw new CorkboardError("invalid_options", `createClient: \`format\` is "json" or "msgpack", not ${JSON.stringify(options.format)}`);
  }
  if (typeof options.url !== "string" || !parses(options.url)) {
    throw new CorkboardError("invalid_options", `createClient: \`url\` must be an absolute http(s) or ws(s) URL, not ${JSON.stringify(options.url)}`);
  }
}
