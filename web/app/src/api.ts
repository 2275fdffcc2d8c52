/**
 * The calls made before there is an access token (register, login, the
 * cookie refresh, logout), and the words a person reads for an error.
 * Everything else goes through `client.rest`, typed from the OpenAPI
 * document.
 */

import { CorkboardError, RestError, type Schemas } from "@corkboard/client";
import { ERROR_CODE_DESCRIPTIONS } from "@corkboard/client/codes";

export type SessionTokens = Schemas["SessionTokens"];
export type LoginOut = Schemas["LoginOut"];

/** A JSON call without a bearer token; the refresh cookie goes along (same origin). */
export async function anonymous<T>(method: "POST", path: string, body?: unknown, bearer?: string): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, credentials: "same-origin", ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  } catch (e) {
    throw new RestError(0, "network_error", `The server did not answer (${String(e)}).`, { retryable: true });
  }
  const text = await res.text();
  let parsed: { code?: string; message?: string; details?: unknown; request_id?: string } | undefined;
  try {
    parsed = text ? (JSON.parse(text) as typeof parsed) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!res.ok) {
    throw new RestError(res.status, parsed?.code ?? `http_${res.status}`, parsed?.message ?? `${res.status} ${res.statusText}`, {
      retryable: res.status === 429 || res.status >= 502,
      details: parsed?.details,
      ...(parsed?.request_id ? { requestId: parsed.request_id } : {}),
    });
  }
  return parsed as T;
}

/** What to tell a person about `e`: the server's sentence, else the code's description. */
export function errorText(e: unknown): string {
  if (e instanceof CorkboardError) {
    if (e.code === "network_error") return "The server cannot be reached. Check your connection and try again.";
    const described = (ERROR_CODE_DESCRIPTIONS as Record<string, string | undefined>)[e.code];
    const message = e.message && !e.message.startsWith(`${e.code}:`) ? e.message : (described ?? e.code);
    return sentence(message);
  }
  return sentence(e instanceof Error ? e.message : String(e));
}

/**
 * The server's sentence about `field` when `e` is a `validation_failed`
 * naming it (`details: {field: message}`), else undefined.
 */
export function fieldError(e: unknown, field: string): string | undefined {
  if (!(e instanceof CorkboardError) || e.code !== "validation_failed") return undefined;
  const said = (e.details as Record<string, unknown> | null | undefined)?.[field];
  return typeof said === "string" ? sentence(said) : undefined;
}

function sentence(text: string): string {
  const t = text.trim();
  if (!t) return "Something went wrong.";
  const first = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

/** How many rows each page of a cursor-paged list asks for. */
export const PAGE_LIMIT = 200;

/**
 * Every row of a cursor-paged list: `page(query)` fetches one page with
 * `{limit, cursor?}`, `rows` picks its list; pages are followed until
 * `next_cursor` is empty.
 */
export async function allPages<P extends { next_cursor?: string | null }, T>(
  page: (query: { limit: number; cursor?: string }) => Promise<P>,
  rows: (page: P) => T[],
  limit = PAGE_LIMIT,
): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | undefined;
  do {
    const p = await page({ limit, ...(cursor ? { cursor } : {}) });
    all.push(...rows(p));
    cursor = p.next_cursor ?? undefined;
  } while (cursor);
  return all;
}
