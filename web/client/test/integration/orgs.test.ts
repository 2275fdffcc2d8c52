/**
 * Organization commands over the WebSocket against the real server: a
 * role change seen on another member's org channel, a rule refusal that
 * rejects with its code, and a command whose answer is lost, sent again
 * with its id after a forced reconnect, that applies once.
 */

import assert from "node:assert/strict";
import { it } from "node:test";

import { CommandRejected, createClient, OrgCommandRejected, type Client, type OrgEvent } from "../../src/index.js";
import { serverForFile } from "./server.js";
import { CuttableProxy, newUser, sharedBoard, type User } from "./setup.js";
import { until } from "./wait.js";

const file = serverForFile();

function open(url: string, user: User, WebSocketCtor?: typeof WebSocket): Client {
  const c = createClient({ url, auth: user.token, backoff: { baseMs: 50, maxMs: 300 }, ...(WebSocketCtor ? { WebSocket: WebSocketCtor } : {}) });
  return file.track(c);
}

/** A WebSocket that counts the `org_command` frames it sends, by command id. */
function countingWebSocket(sent: Map<string, number>): typeof WebSocket {
  return class extends WebSocket {
    override send(data: string | ArrayBufferLike | Blob | ArrayBufferView): void {
      if (typeof data === "string") {
        const msg = JSON.parse(data) as { type: string; id?: string };
        if (msg.type === "org_command" && msg.id) sent.set(msg.id, (sent.get(msg.id) ?? 0) + 1);
      }
      super.send(data);
    }
  };
}

it("a role changed over the WebSocket, without following the org, shows on another member's org channel", async () => {
  const { ada, bob, org } = await sharedBoard(file.server.url, "member");
  const a = open(file.server.url, ada);
  const channel = open(file.server.url, bob).org(org);
  await until("bob's org channel is live", () => channel.status === "live", [[channel, "status"]]);
  const seen: OrgEvent[] = [];
  channel.on("change", ({ event }) => event && seen.push(event));

  const { seq } = await a.orgCommand(org, { type: "change_role", user: bob.id, role: "admin" });
  assert.ok(Number.isInteger(seq) && seq > 0, `seq ${seq}`);
  await until("bob is an admin on his channel", () => channel.state?.members.some((m) => m.user === bob.id && m.role === "admin") === true, [[channel, "change"]]);
  assert.deepEqual(seen, [{ type: "member_role_changed", user: bob.id, role: "admin" }]);
});

it("a rule refusal (last_owner) rejects with its code, and board commands on the same client still settle", async () => {
  const { ada, org, board } = await sharedBoard(file.server.url, "member");
  const a = open(file.server.url, ada);
  await assert.rejects(a.orgCommand(org, { type: "change_role", user: ada.id, role: "admin" }), (e: unknown) => {
    assert.ok(e instanceof OrgCommandRejected, String(e));
    assert.equal(e.code, "last_owner");
    assert.equal(e.org, org);
    assert.equal(e.retryable, false);
    assert.ok(e.message.length > 0);
    return true;
  });
  const handle = a.board(board);
  await until("live", () => handle.status === "live", [[handle, "status"]]);
  await handle.send({ type: "create_item", title: "still works" });
  await assert.rejects(handle.send({ type: "set_wip_limit", column: "0c000000-0000-4000-8000-00000000dead", limit: 1 }), (e: unknown) => e instanceof CommandRejected && e.board === board);
  assert.equal(a.queued, 0);
});

it("a command whose answer is lost is sent again with its id after a reconnect and applies once", async () => {
  const { ada, bob, org } = await sharedBoard(file.server.url, "member");
  const carol = await newUser(file.server.url, "carol");
  const proxy = await CuttableProxy.start(file.server.port);
  try {
    const frames = new Map<string, number>();
    const a = open(proxy.url, ada, countingWebSocket(frames));
    const channel = open(file.server.url, bob).org(org);
    await until("ada's session is open", () => a.status.state === "open", [[a, "status"]]);
    await until("bob's org channel is live", () => channel.status === "live", [[channel, "status"]]);
    const added: OrgEvent[] = [];
    channel.on("change", ({ event }) => event?.type === "member_added" && event.user === carol.id && added.push(event));

    // The server gets it and applies it, but its answer never arrives.
    proxy.holdAnswers();
    const done = a.orgCommand(org, { type: "add_member", user: carol.id, role: "viewer" });
    await until("the server added carol", () => added.length === 1, [[channel, "change"]]);
    assert.equal(a.queued, 1, "unanswered");
    proxy.cut();
    await until("ada's client noticed", () => a.status.state !== "open", [[a, "status"]]);
    proxy.restore();

    // Applied a second time it would be refused `already_member`.
    const { seq } = await done;
    assert.ok(seq > 0);
    assert.equal(frames.size, 1, "one command id");
    assert.equal([...frames.values()][0], 2, "sent twice with that id");
    assert.equal(a.queued, 0);

    // Org events reach bob in commit order: once this one shows, a second add would have too.
    await a.orgCommand(org, { type: "change_role", user: carol.id, role: "member" });
    await until("carol's new role shows", () => channel.state?.members.some((m) => m.user === carol.id && m.role === "member") === true, [[channel, "change"]]);
    assert.equal(added.length, 1, "carol was added once");
    assert.equal(channel.state?.members.filter((m) => m.user === carol.id).length, 1);
  } finally {
    await proxy.close();
  }
});
