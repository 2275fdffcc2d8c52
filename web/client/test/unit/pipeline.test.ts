/**
 * The command pipeline over a scripted transport: order, the in-flight
 * window, resends with the original id after a drop, retryable refusals
 * that pause sending, and rule refusals that settle at once.
 */

import assert from "node:assert/strict";
import { it } from "node:test";

import { Pipeline, type Transport } from "../../src/commands.js";
import type { CommandRejected } from "../../src/errors.js";
import type { ClientMsg } from "../../src/generated/protocol.js";
import { MemoryStore, Outbox } from "../../src/queue.js";

const B = "0b0a0000-0000-4000-8000-000000000001";

function setup(maxInFlight = 64) {
  const sent: string[] = [];
  const transport: Transport & { open: boolean } = {
    open: true,
    send: (msg: ClientMsg) => {
      if (!transport.open) return false;
      if (msg.type === "command") sent.push(msg.id);
      return true;
    },
    maxMessageBytes: 1_000,
    sizeOf: (msg) => JSON.stringify(msg).length,
  };
  const acks: string[] = [];
  const rejections: CommandRejected[] = [];
  const outbox = new Outbox(new MemoryStore(), 5);
  const pipeline = new Pipeline(outbox, transport, {
    acked: (_b, id) => acks.push(id),
    rejected: (e) => rejections.push(e),
    retrying: () => {},
  }, maxInFlight);
  pipeline.restore([]);
  pipeline.setUser("u-1");
  return { pipeline, transport, sent, acks, rejections, outbox };
}

it("sends in order within the window, and the rest as answers come", async () => {
  const { pipeline, sent } = setup(2);
  const a = pipeline.submit(B, { type: "archive_board" });
  const b = pipeline.submit(B, { type: "restore_board" });
  const c = pipeline.submit(B, { type: "archive_board" });
  assert.deepEqual(sent, [a.id, b.id]);
  pipeline.onAck(a.id, B, 7);
  assert.deepEqual(sent, [a.id, b.id, c.id]);
  assert.deepEqual(await a.done, { seq: 7 });
});

it("queues while closed and resends unanswered commands with their ids after a drop", () => {
  const { pipeline, transport, sent } = setup();
  transport.open = false;
  const a = pipeline.submit(B, { type: "archive_board" });
  assert.deepEqual(sent, []);
  transport.open = true;
  pipeline.pump();
  assert.deepEqual(sent, [a.id]);
  pipeline.disconnected();
  pipeline.pump();
  assert.deepEqual(sent, [a.id, a.id], "the same id again");
});

it("a rule refusal settles at once; a full queue and an oversize command are refused before sending", async () => {
  const { pipeline, sent, rejections } = setup();
  const a = pipeline.submit(B, { type: "archive_board" });
  pipeline.onRejected(a.id, "board_archived", "the board is archived", false, null);
  await assert.rejects(a.done, (e: CommandRejected) => e.code === "board_archived" && e.commandId === a.id);
  assert.equal(rejections.length, 1);
  const big = pipeline.submit(B, { type: "rename_board", name: "x".repeat(2_000) });
  assert.equal(big.queued, false);
  await assert.rejects(big.done, (e: CommandRejected) => e.code === "message_too_large");
  for (let i = 0; i < 5; i++) pipeline.submit(B, { type: "archive_board" });
  const over = pipeline.submit(B, { type: "archive_board" });
  await assert.rejects(over.done, (e: CommandRejected) => e.code === "queue_full");
  assert.equal(sent.length, 6);
});

it("a retryable refusal pauses sending for retry_after_ms, then resends with the same id", async () => {
  const { pipeline, sent } = setup();
  const a = pipeline.submit(B, { type: "archive_board" });
  pipeline.onRejected(a.id, "rate_limited", "slow down", true, { retry_after_ms: 30 });
  const b = pipeline.submit(B, { type: "restore_board" });
  assert.deepEqual(sent, [a.id], "paused");
  const deadline = Date.now() + 5_000;
  while (sent.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(sent, [a.id, a.id, b.id]);
  pipeline.onAck(a.id, B, 1);
  assert.deepEqual(await a.done, { seq: 1 });
});

it("after close, unanswered commands are refused client_closed and new ones at once", async () => {
  const { pipeline, transport } = setup();
  transport.open = false;
  const waiting = pipeline.submit(B, { type: "archive_board" });
  pipeline.close();
  await assert.rejects(waiting.done, (e: CommandRejected) => e.code === "client_closed");
  const late = pipeline.submit(B, { type: "archive_board" });
  assert.equal(late.queued, false);
  await assert.rejects(late.done, (e: CommandRejected) => e.code === "client_closed");
});

it("a command queued before the limit was known and too large for it is refused, not sent", async () => {
  const { pipeline, transport, sent, rejections } = setup();
  transport.open = false;
  const big = pipeline.submit(B, { type: "rename_board", name: "y".repeat(600) });
  const small = pipeline.submit(B, { type: "archive_board" });
  (transport as { maxMessageBytes: number }).maxMessageBytes = 500;
  transport.open = true;
  pipeline.pump();
  await assert.rejects(big.done, (e: CommandRejected) => e.code === "message_too_large");
  assert.deepEqual(sent, [small.id]);
  assert.equal(rejections.length, 1);
});

it("commands are sent as their user only: another user's are refused user_mismatch", async () => {
  const { pipeline, transport, sent, outbox } = setup();
  transport.open = false;
  const mine = pipeline.submit(B, { type: "archive_board" });
  assert.equal(outbox.all()[0]?.user, "u-1", "stamped with the session's user");
  pipeline.setUser("u-2");
  await assert.rejects(mine.done, (e: CommandRejected) => e.code === "user_mismatch");
  transport.open = true;
  pipeline.pump();
  assert.deepEqual(sent, []);
});

it("nothing is sent before the store's commands are loaded, and those go first", async () => {
  const sent: string[] = [];
  const transport = { open: true, send: (m: ClientMsg) => (m.type === "command" && sent.push(m.id), true), maxMessageBytes: 10_000, sizeOf: () => 10 };
  const store = new MemoryStore();
  await store.put({ id: "stored-1", board: B, command: { type: "restore_board" }, order: 7, issuedAt: 0, user: "u-1" });
  const outbox = new Outbox(store);
  const pipeline = new Pipeline(outbox, transport, { acked: () => {}, rejected: () => {}, retrying: () => {} });
  pipeline.setUser("u-1");
  const early = pipeline.submit(B, { type: "archive_board" });
  assert.deepEqual(sent, [], "held until the store is read");
  pipeline.restore(await outbox.restore());
  assert.deepEqual(sent, ["stored-1", early.id]);
});

it("another user's stored commands are refused even when the welcome comes before the store is read", async () => {
  const sent: string[] = [];
  const transport = { open: true, send: (m: ClientMsg) => (m.type === "command" && sent.push(m.id), true), maxMessageBytes: 10_000, sizeOf: () => 10 };
  const store = new MemoryStore();
  await store.put({ id: "alice-1", board: B, command: { type: "archive_board" }, order: 1, issuedAt: 0, user: "alice" });
  await store.put({ id: "anyone-1", board: B, command: { type: "restore_board" }, order: 2, issuedAt: 0 });
  const refused: string[] = [];
  const outbox = new Outbox(store);
  const pipeline = new Pipeline(outbox, transport, { acked: () => {}, rejected: (e) => refused.push(`${e.commandId}:${e.code}`), retrying: () => {} });
  pipeline.setUser("bob");
  pipeline.restore(await outbox.restore());
  assert.deepEqual(sent, ["anyone-1"], "alice's command is never sent as bob");
  assert.deepEqual(refused, ["alice-1:user_mismatch"]);
  assert.equal(outbox.all().find((c) => c.id === "anyone-1")?.user, "bob", "an unstamped one is stamped");
});

it("a listener that sends from inside a refusal does not make the pump settle anything twice", () => {
  const sent: string[] = [];
  // The limit is not known yet when the commands are queued.
  const transport: { open: boolean; send: (m: ClientMsg) => boolean; maxMessageBytes: number | undefined; sizeOf: (m: ClientMsg) => number } = {
    open: false,
    send: (m: ClientMsg) => (m.type === "command" && sent.push(m.id), transport.open),
    maxMessageBytes: undefined,
    sizeOf: (m: ClientMsg) => JSON.stringify(m).length,
  };
  const refused: string[] = [];
  let pipeline!: Pipeline;
  let resent = false;
  pipeline = new Pipeline(new Outbox(new MemoryStore()), transport, {
    acked: () => {},
    rejected: (e) => {
      refused.push(e.commandId);
      if (!resent) {
        resent = true;
        pipeline.submit(B, { type: "archive_board" });
      }
    },
    retrying: () => {},
  });
  pipeline.restore([]);
  pipeline.setUser("u-1");
  const big = [0, 1, 2].map(() => pipeline.submit(B, { type: "rename_board", name: "z".repeat(200) }));
  for (const b of big) b.done.catch(() => {});
  transport.maxMessageBytes = 150;
  transport.open = true;
  pipeline.pump();
  assert.equal(refused.length, 3, `refusals: ${refused.join(", ")}`);
  assert.equal(new Set(refused).size, 3);
  assert.equal(sent.length, 1, "the command sent from the listener went once");
});
