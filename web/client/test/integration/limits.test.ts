/**
 * A server with a small per-session message limit: commands sent faster
 * than it allows are refused `rate_limited` (retryable, with
 * `retry_after_ms`), and the client sends them again with their ids after
 * that delay until each is committed, once.
 */

import assert from "node:assert/strict";
import { after, before, it } from "node:test";

import { createClient, type Client } from "../../src/index.js";
import type { Board } from "../../src/generated/protocol.js";
import { TestServer } from "./server.js";
import { newBoard, newUser } from "./setup.js";
import { until } from "./wait.js";

let server: TestServer;
let client: Client | undefined;

before(async () => {
  server = await TestServer.start({ CORKBOARD_RATE_LIMIT_WS_PER_SEC: "10", CORKBOARD_RATE_LIMIT_WS_BURST: "5" });
});
after(async () => {
  client?.close();
  await server?.stop();
});

it("rate-limited commands are retried after retry_after_ms and each lands once", async () => {
  const ada = await newUser(server.url, "ada");
  const { board } = await newBoard(server.url, ada);
  client = createClient({ url: server.url, auth: ada.token });
  const handle = client.board(board);
  await until("live", () => handle.status === "live", [[handle, "status"]]);
  const retries: Array<{ code: string; delayMs: number }> = [];
  client.on("retrying", (r) => retries.push(r));
  const sends = Array.from({ length: 25 }, (_, i) => handle.send({ type: "create_item", title: `burst ${i}` }));
  const acks = await Promise.all(sends);
  assert.equal(new Set(acks.map((a) => a.seq)).size, 25);
  assert.ok(retries.length > 0, "the limit was never reached");
  assert.ok(retries.every((r) => r.code === "rate_limited" && r.delayMs >= 1), JSON.stringify(retries.slice(0, 3)));
  const titles = Object.values((handle.confirmedState as Board).items).map((it) => it?.title);
  for (let i = 0; i < 25; i++) assert.equal(titles.filter((t) => t === `burst ${i}`).length, 1);
});
