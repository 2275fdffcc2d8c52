/**
 * Organization commands over a scripted transport: issue order, resends
 * with the original id after a drop, retryable refusals that pause and are
 * bounded, rule refusals that name the organization, and closing.
 */

import assert from "node:assert/strict";
import { it } from "node:test";

import type { Transport } from "../../src/commands.js";
import { MAX_RETRIES } from "../../src/commands.js";
import { OrgCommandRejected } from "../../src/errors.js";
import type { ClientMsg, OrgRequest } from "../../src/generated/protocol.js";
import { OrgCommands } from "../../src/org-commands.js";

const ORG = "0a000000-0000-4000-8000-000000000001";
const BOB = "02000000-0000-4000-8000-000000000002";
const PROMOTE: OrgRequest = { type: "change_role", user: BOB, role: "admin" };

function setup(maxQueue = 5, maxInFlight = 64) {
  const sent: string[] = [];
  const transport: Transport & { open: boolean } = {
    open: true,
    send: (msg: ClientMsg) => {
      if (!transport.open) return false;
      if (msg.type === "org_command") sent.push(msg.id);
      return true;
    },
    maxMessageBytes: 1_000,
    sizeOf: (msg) => JSON.stringify(msg).length,
  };
  const retrying: Array<{ id: string; code: string; delayMs: number }> = [];
  const orgs = new OrgCommands(transport, { retrying: (_org, id, code, delayMs) => retrying.push({ id, code, delayMs }) }, maxQueue, maxInFlight);
  return { orgs, transport, sent, retrying };
}

/** Whether `e` is the organization refusal expected. */
const refusal = (code: string, id?: string) => (e: unknown) =>
  e instanceof OrgCommandRejected && e.code === code && e.org === ORG && (id === undefined || e.commandId === id);

it("sends in issue order within the window and settles each with its org_ack", async () => {
  const { orgs, sent } = setup(5, 2);
  const a = orgs.submit(ORG, PROMOTE);
  const b = orgs.submit(ORG, { type: "rename_org", name: "Acme" });
  const c = orgs.submit(ORG, { type: "remove_member", user: BOB });
  assert.deepEqual(sent, [a.id, b.id]);
  assert.equal(new Set([a.id, b.id, c.id]).size, 3, "a fresh id per command");
  orgs.onAck(b.id, 8);
  assert.deepEqual(sent, [a.id, b.id, c.id]);
  orgs.onAck(a.id, 7);
  orgs.onAck(c.id, 9);
  assert.deepEqual(await Promise.all([a.done, b.done, c.done]), [{ seq: 7 }, { seq: 8 }, { seq: 9 }]);
  assert.equal(orgs.size, 0);
  assert.equal(orgs.has(a.id), false);
});

it("queues while closed and resends an unanswered command with its id after a drop", async () => {
  const { orgs, transport, sent } = setup();
  transport.open = false;
  const a = orgs.submit(ORG, PROMOTE);
  assert.deepEqual(sent, []);
  assert.equal(orgs.has(a.id), true);
  transport.open = true;
  orgs.pump();
  assert.deepEqual(sent, [a.id]);
  orgs.pump();
  assert.deepEqual(sent, [a.id], "not sent twice on one connection");
  orgs.disconnected();
  orgs.pump();
  assert.deepEqual(sent, [a.id, a.id], "the same id again");
  orgs.onAck(a.id, 3);
  orgs.onAck(a.id, 3);
  assert.deepEqual(await a.done, { seq: 3 }, "the second answer is ignored");
});

it("a rule refusal rejects with OrgCommandRejected carrying code, message and details", async () => {
  const { orgs, retrying } = setup();
  const a = orgs.submit(ORG, PROMOTE);
  orgs.onRejected(a.id, "forbidden", "admins cannot grant owner", false, { action: "change_role", rule: "above_own_role" });
  await assert.rejects(a.done, (e: unknown) => {
    assert.ok(refusal("forbidden", a.id)(e));
    const r = e as OrgCommandRejected;
    assert.equal(r.message, "admins cannot grant owner");
    assert.deepEqual(r.details, { action: "change_role", rule: "above_own_role" });
    assert.equal(r.retryable, false);
    return true;
  });
  assert.deepEqual(retrying, []);
  assert.equal(orgs.size, 0);
});

it("a retryable refusal pauses for retry_after_ms, then resends with the same id", async () => {
  const { orgs, sent, retrying } = setup();
  const a = orgs.submit(ORG, PROMOTE);
  orgs.onRejected(a.id, "rate_limited", "slow down", true, { retry_after_ms: 30 });
  assert.equal(retrying[0]?.code, "rate_limited");
  assert.ok((retrying[0]?.delayMs ?? 0) >= 30, "at least what the server asked");
  const b = orgs.submit(ORG, { type: "rename_org", name: "Acme" });
  assert.deepEqual(sent, [a.id], "paused: nothing new goes either");
  const deadline = Date.now() + 5_000;
  while (sent.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(sent, [a.id, a.id, b.id], "the refused one first, in issue order");
  orgs.onAck(a.id, 1);
  assert.deepEqual(await a.done, { seq: 1 });
});

it(`gives up after ${MAX_RETRIES} retryable refusals with retries_exhausted`, async () => {
  const { orgs, retrying } = setup();
  const a = orgs.submit(ORG, PROMOTE);
  // Answers to earlier sends: while the pause lasts each still counts as a try.
  for (let i = 0; i <= MAX_RETRIES; i++) orgs.onRejected(a.id, "overloaded", "busy", true, { retry_after_ms: 60_000 });
  await assert.rejects(a.done, (e: unknown) => refusal("retries_exhausted", a.id)(e) && (e as OrgCommandRejected).retryable === false);
  assert.equal(retrying.length, MAX_RETRIES);
  orgs.close();
});

it("refuses before sending what is too large or over the bound, and after close everything with client_closed", async () => {
  const { orgs, transport, sent } = setup(2);
  const big = orgs.submit(ORG, { type: "rename_org", name: "x".repeat(2_000) });
  await assert.rejects(big.done, refusal("message_too_large", big.id));
  transport.open = false;
  const a = orgs.submit(ORG, PROMOTE);
  const b = orgs.submit(ORG, PROMOTE);
  const over = orgs.submit(ORG, PROMOTE);
  await assert.rejects(over.done, refusal("queue_full"));
  orgs.close();
  for (const waiting of [a, b]) await assert.rejects(waiting.done, (e: unknown) => refusal("client_closed", waiting.id)(e) && (e as OrgCommandRejected).retryable);
  const late = orgs.submit(ORG, PROMOTE);
  await assert.rejects(late.done, refusal("client_closed"));
  transport.open = true;
  orgs.pump();
  assert.deepEqual(sent, []);
});

it("one queued before the server's limit was known and too large for it is refused, not sent", async () => {
  const { orgs, transport, sent } = setup();
  transport.open = false;
  (transport as { maxMessageBytes: number | undefined }).maxMessageBytes = undefined;
  const big = orgs.submit(ORG, { type: "rename_org", name: "y".repeat(600) });
  const small = orgs.submit(ORG, PROMOTE);
  (transport as { maxMessageBytes: number | undefined }).maxMessageBytes = 500;
  transport.open = true;
  orgs.pump();
  await assert.rejects(big.done, refusal("message_too_large", big.id));
  assert.deepEqual(sent, [small.id]);
});
