import assert from "node:assert/strict";
import { it } from "node:test";

import { cachedToken, refreshDelay, tokenExpiry } from "../../src/token.js";

function jwt(claims: object): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${part({ alg: "HS256" })}.${part(claims)}.sig`;
}

it("reads exp from a JWT, nothing from an API key", () => {
  assert.equal(tokenExpiry(jwt({ exp: 1_700_000_000 })), 1_700_000_000_000);
  assert.equal(tokenExpiry("cbk_abcdef"), undefined);
  assert.equal(tokenExpiry("a.b.c"), undefined);
});

it("refreshes a minute early, or at 80% of a short life", () => {
  assert.equal(refreshDelay(900_000, 0), 840_000);
  assert.equal(refreshDelay(10_000, 0), 8_000);
  assert.equal(refreshDelay(0, 5_000), 0);
});

it("cachedToken fetches once per token life, and once for concurrent callers", async () => {
  let fetched = 0;
  const auth = cachedToken(async () => {
    fetched++;
    return jwt({ exp: Math.floor(Date.now() / 1000) + 900 });
  });
  const [a, b] = await Promise.all([auth(), auth()]);
  assert.equal(a, b);
  await auth();
  assert.equal(fetched, 1);
});

it("createClient refuses unusable options with a clear error instead of retrying forever", async () => {
  const { createClient } = await import("../../src/index.js");
  assert.throws(() => createClient({ url: "http://localhost:8080", auth: undefined as unknown as string }), /`auth` must be a token/);
  assert.throws(() => createClient({ url: "http://localhost:8080", auth: "" }), /`auth` must be a token/);
  assert.throws(() => createClient({ url: "localhost:8080", auth: "t" }), /`url` must be an absolute/);
});

it("a frame's UTF-8 size is counted exactly without encoding it", async () => {
  const { utf8Length } = await import("../../src/codec.js");
  const utf8 = new TextEncoder();
  for (const text of ["", "plain", "später", "ｚ", "🙂 a", "\ud800", "\udc00x", "a\ud83d", JSON.stringify({ label: "🙂ü\u2028" })]) {
    assert.equal(utf8Length(text), utf8.encode(text).length, JSON.stringify(text));
  }
});
