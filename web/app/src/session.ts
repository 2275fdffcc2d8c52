/**
 * Who is logged in, and their client.
 *
 * The access token lives in memory only. The refresh token is the
 * `corkboard_refresh` cookie the server sets on login and refresh
 * (HttpOnly, SameSite=Strict, Path=/api/v1/auth, Secure over HTTPS), so a
 * script can never read it and a reload logs in again with
 * `POST /auth/refresh` (no body). Nothing of the session is in
 * localStorage. Two tabs refreshing at once are within the server's reuse
 * grace (docs/auth.md).
 *
 * A page that never logged in does not ask: `localStorage` keeps one flag,
 * `corkboard.returning` (no token, nothing secret), set at login and
 * cleared at logout or when the cookie is refused, so a first visit makes
 * no refresh call that can only fail.
 *
 * Commands are kept in IndexedDB per user (`IndexedDBStore`), so edits made
 * offline survive a reload and land once when the connection returns.
 */

import { cachedToken, CorkboardError, createClient, IndexedDBStore, RestError, type Client, type Schemas } from "@corkboard/client";
import { anonymous, type LoginOut, type SessionTokens } from "./api.js";
import { Store } from "./store.js";

export type Me = Schemas["Me"];
export type OrgView = Schemas["OrgView"];

export type SessionState =
  | { kind: "loading" }
  | { kind: "anonymous"; notice?: string }
  | { kind: "in"; me: Me; client: Client };

export const session = new Store<SessionState>({ kind: "loading" });

/** The logged-in state; throws outside of it (pages below the login gate only). */
export function current(): { me: Me; client: Client } {
  const s = session.value;
  if (s.kind !== "in") throw new Error("not logged in");
  return s;
}

/** Set while this browser has a login session (a hint, not a credential). */
const RETURNING = "corkboard.returning";

function remember(on: boolean): void {
  try {
    if (on) localStorage.setItem(RETURNING, "1");
    else localStorage.removeItem(RETURNING);
  } catch {
    // Storage disabled: every load then asks the server.
  }
}

function returning(): boolean {
  try {
    return localStorage.getItem(RETURNING) !== null;
  } catch {
    return true;
  }
}

/**
 * A fresh access token from the refresh cookie. A refused cookie (401)
 * ends the session everywhere in the page: the socket stops (a
 * non-retryable `CorkboardError` from `auth`) and, for a REST call that
 * asked first, the page returns to the login form. Any other failure (the
 * server restarting, a 5xx, no network) is a plain error, which the
 * client retries with its backoff.
 */
async function refreshToken(): Promise<string> {
  try {
    return (await anonymous<SessionTokens>("POST", "/api/v1/auth/refresh")).access_token;
  } catch (e) {
    if (e instanceof RestError && e.status === 401) {
      remember(false);
      queueMicrotask(() => end("Your login session has ended. Log in again."));
      throw new CorkboardError("session_ended", "Your login session has ended. Log in again.");
    }
    throw new Error(e instanceof Error ? e.message : String(e));
  }
}

/** Closes the logged-in client and shows the login form with `notice`. */
function end(notice: string): void {
  const s = session.value;
  if (s.kind !== "in") return;
  s.client.close();
  session.set({ kind: "anonymous", notice });
}

function start(me: Me, firstToken: string): void {
  let first: string | undefined = firstToken;
  const auth = cachedToken(async () => {
    if (first) {
      const token = first;
      first = undefined;
      return token;
    }
    return refreshToken();
  });
  const client = createClient({ url: window.location.origin, auth, store: new IndexedDBStore(`corkboard-outbox-${me.id}`) });
  client.on("status", (status) => {
    if (status.state !== "closed" || session.value.kind !== "in" || session.value.client !== client) return;
    const code = status.reason.code;
    if (code === "client_closed") return;
    const ended = code === "token_revoked" || code === "session_ended" || code === "token_expired" || code === "invalid_token";
    if (ended) remember(false);
    end(ended ? "Your login session has ended. Log in again." : `Disconnected: ${status.reason.message}`);
  });
  session.set({ kind: "in", me, client });
}

async function fetchMe(token: string): Promise<Me> {
  const res = await fetch("/api/v1/me", { headers: { authorization: `Bearer ${token}`, accept: "application/json" } });
  if (!res.ok) throw new RestError(res.status, `http_${res.status}`, "Could not load your account.");
  return (await res.json()) as Me;
}

/** At page load: log in again from the refresh cookie, if there is one. */
export async function resume(): Promise<void> {
  if (!returning()) {
    session.set({ kind: "anonymous" });
    return;
  }
  try {
    const token = await refreshToken();
    start(await fetchMe(token), token);
  } catch (e) {
    const notice = e instanceof RestError && e.status === 0 ? "The server cannot be reached." : undefined;
    session.set(notice ? { kind: "anonymous", notice } : { kind: "anonymous" });
  }
}

export async function login(email: string, password: string): Promise<void> {
  const out = await anonymous<LoginOut>("POST", "/api/v1/auth/login", { email, password });
  remember(true);
  start(await fetchMe(out.access_token), out.access_token);
}

/** Registers, then logs in with the same credentials (registration answers no tokens). */
export async function register(name: string, email: string, password: string): Promise<void> {
  await anonymous("POST", "/api/v1/auth/register", { name, email, password });
  await login(email, password);
}

/** Re-reads the account (after joining or creating an organization). */
export async function reloadMe(): Promise<Me> {
  const { me, client } = current();
  const fresh = (await client.rest.me()) as Me;
  const s = session.value;
  if (s.kind === "in" && s.me.id === me.id) session.set({ ...s, me: fresh });
  return fresh;
}

/**
 * Forgets a login session the server has ended on purpose (a password
 * reset, a deleted account) and shows the login form with `notice`. Works
 * logged in or not: the socket may have closed first, with its own notice.
 */
export function forget(notice: string): void {
  remember(false);
  const s = session.value;
  if (s.kind === "in") s.client.close();
  session.set({ kind: "anonymous", notice });
}

/** Ends this login session on the server (and its cookie), then forgets the client. */
export async function logout(): Promise<void> {
  const s = session.value;
  if (s.kind !== "in") return;
  try {
    await s.client.rest.call("post", "/api/v1/auth/logout");
  } finally {
    remember(false);
    s.client.close();
    session.set({ kind: "anonymous", notice: "You are logged out." });
  }
}
