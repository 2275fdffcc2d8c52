/**
 * When to refresh a token on a live socket. A JWT carries its expiry in
 * the `exp` claim (unix seconds); an API key (`cbk_…`) has none the client
 * can read and is never refreshed.
 */

/** Refresh this long before `exp` at least… */
export const REFRESH_MARGIN_MS = 60_000;
/** …or this share of the token's remaining life, if that is shorter. */
export const REFRESH_SHARE = 0.2;

/** The `exp` claim of a JWT in milliseconds, or `undefined` when `token` is not a JWT with one. */
export function tokenExpiry(token: string): number | undefined {
  const parts = token.split(".");
  if (parts.length !== 3 || parts[1] === undefined) return undefined;
  try {
    const base64 = parts[1].replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
    const claims = JSON.parse(atob(padded)) as { exp?: unknown };
    return typeof claims.exp === "number" ? claims.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** How long from `now` to wait before refreshing a token that expires at `expiresAt`. */
export function refreshDelay(expiresAt: number, now: number): number {
  const remaining = expiresAt - now;
  const margin = Math.min(REFRESH_MARGIN_MS, remaining * REFRESH_SHARE);
  return Math.max(0, remaining - margin);
}

/**
 * Wraps a function that fetches a fresh token (e.g. from `/auth/refresh`)
 * so it is called only when the token it last returned is due for a
 * refresh: give the result as `auth` to the client, whose socket and REST
 * calls then share one token.
 */
export function cachedToken(fetchToken: () => Promise<string>): () => Promise<string> {
  let current: { token: string; refreshAt: number } | undefined;
  let inFlight: Promise<string> | undefined;
  return async () => {
    if (current && Date.now() < current.refreshAt) return current.token;
    inFlight ??= fetchToken().then(
      (token) => {
        const exp = tokenExpiry(token);
        const now = Date.now();
        current = { token, refreshAt: exp === undefined ? Number.POSITIVE_INFINITY : now + refreshDelay(exp, now) };
        inFlight = undefined;
        return token;
      },
      (e: unknown) => {
        inFlight = undefined;
        throw e;
      },
    );
    return inFlight;
  };
}
