/**
 * Credentials over a live socket: a token refreshed on the socket keeps
 * the session past the old token's expiry; a token that cannot be
 * refreshed ends the connection with `token_expired`; a revoked login
 * session ends it with `token_revoked`; both are terminal (no reconnect).
 */

import assert from "node:assert/strict";
import { it } from "node:test";

import { ConnectionClosed, createClient, type Client } from "../../src/index.js";
import { serverForFile } from "./server.js";
import { call, newBoard, newUser, shortLivedToken } from "./setup.js";
import { until } from "./wait.js";

const SECRET = "integration-test-signing-key-of-at-least-32-bytes";
const file = serverForFile({ CORKBOARD_JWT_SECRET: SECRET });

const track = (c: Client): Client => file.track(c);

it("a token refreshed on the live socket keeps the session past the old token's expiry", async () => {
  const ada = await newUser(file.server.url, "ada");
  const { board } = await newBoard(file.server.url, ada);
  let issued = 0;
  // Tokens that live 3 s; the client must refresh each on the socket in time.
  const client = track(createClient({ url: file.server.url, auth: async () => (issued++, shortLivedToken(ada.token, SECRET, 3)) }));
  const handle = client.board(board);
  await until("open", () => client.status.state === "open" && handle.state !== null, [[client, "status"], [handle, "change"]]);
  const session = client.session;
  const reconnects: string[] = [];
  client.on("status", (s) => reconnects.push(s.state));
  await new Promise((r) => setTimeout(r, 7_500));
  assert.deepEqual(reconnects, [], "the connection never dropped");
  assert.equal(client.session, session, "the same session");
  assert.ok(issued >= 3, `only ${issued} tokens were fetched`);
  await handle.send({ type: "create_item", title: "still works" });
});

it("a token that cannot be refreshed ends the connection with token_expired, for good", async () => {
  const ada = await newUser(file.server.url, "ada");
  const client = track(createClient({ url: file.server.url, auth: shortLivedToken(ada.token, SECRET, 2) }));
  await until("open", () => client.status.state === "open", [[client, "status"]]);
  await until("closed", () => client.status.state === "closed", [[client, "status"]], 10_000);
  const status = client.status;
  assert.ok(status.state === "closed" && status.reason instanceof ConnectionClosed);
  assert.equal(status.reason.code, "token_expired");
  assert.equal(status.reason.closeCode, 1008);
});

it("a revoked login session ends the connection with token_revoked and no reconnect", async () => {
  const ada = await newUser(file.server.url, "ada");
  const { board } = await newBoard(file.server.url, ada);
  let calls = 0;
  const client = track(createClient({ url: file.server.url, auth: async () => (calls++, ada.token) }));
  const handle = client.board(board);
  await until("open", () => client.status.state === "open" && handle.state !== null, [[client, "status"], [handle, "change"]]);
  await call(file.server.url, "POST", "/auth/logout", undefined, ada.token);
  await until("closed", () => client.status.state === "closed", [[client, "status"]], 5_000);
  const status = client.status;
  assert.ok(status.state === "closed");
  assert.equal(status.reason.code, "token_revoked");
  assert.equal(handle.status, "unsubscribed");
  const before = calls;
  await new Promise((r) => setTimeout(r, 1_000));
  assert.equal(calls, before, "no reconnect attempt after a terminal close");
});

it("an unknown board and an oversize command get typed errors", async () => {
  const ada = await newUser(file.server.url, "ada");
  const { board } = await newBoard(file.server.url, ada);
  const client = track(createClient({ url: file.server.url, auth: ada.token }));
  const ghost = client.board("00000000-0000-4000-8000-000000000000");
  await until("refused", () => ghost.status === "failed", [[ghost, "status"]]);
  assert.equal(ghost.error?.code, "not_found");
  const handle = client.board(board);
  await until("open", () => handle.state !== null, [[handle, "change"]]);
  await assert.rejects(handle.send({ type: "create_item", title: "big", description: "x".repeat(300 * 1024) }), (e: { code: string }) => e.code === "message_too_large");
  assert.equal(client.queued, 0);
});

it("an auth function that cannot give a fresh token after expiry ends the client with the reason", async () => {
  const ada = await newUser(file.server.url, "ada");
  let calls = 0;
  const client = track(
    createClient({
      url: file.server.url,
      auth: async () => {
        calls += 1;
        if (calls === 1) return shortLivedToken(ada.token, SECRET, 2);
        throw new Error("the refresh endpoint answered 401");
      },
    }),
  );
  await until("closed", () => client.status.state === "closed", [[client, "status"]], 10_000);
  const status = client.status;
  assert.ok(status.state === "closed" && status.reason instanceof ConnectionClosed, JSON.stringify(status));
  assert.equal(status.reason.code, "token_expired");
  assert.match(status.reason.message, /refresh endpoint answered 401/);
});

it("a token of another user on the live socket ends the client: nothing is sent as them", async () => {
  const ada = await newUser(file.server.url, "ada");
  const bob = await newUser(file.server.url, "bob");
  let calls = 0;
  // The first token lives 3 s; the refresh returns Bob's.
  const client = track(createClient({ url: file.server.url, auth: async () => (++calls === 1 ? shortLivedToken(ada.token, SECRET, 3) : bob.token) }));
  await until("closed", () => client.status.state === "closed", [[client, "status"]], 10_000);
  const status = client.status;
  assert.ok(status.state === "closed");
  assert.equal(status.reason.code, "user_mismatch");
});
