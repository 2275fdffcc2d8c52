/**
 * The whole client over a scripted socket: organization commands need no
 * subscription, `org_ack` and `rejected` reach the right promise (an org
 * command's refusal its promise, a board command's still the board), a
 * reconnect resends with the same id, and closing refuses what waits.
 */

import assert from "node:assert/strict";
import { it } from "node:test";

import { createClient, type Client } from "../../src/client.js";
import { CommandRejected, CorkboardError, OrgCommandRejected } from "../../src/errors.js";
import type { ClientMsg, OrgRequest } from "../../src/generated/protocol.js";
import { fakeSockets, type FakeSocket } from "./fake-socket.js";

const ORG = "0a000000-0000-4000-8000-000000000001";
const B = "0b0a0000-0000-4000-8000-000000000001";
const ADA = "02000000-0000-4000-8000-000000000001";
const BOB = "02000000-0000-4000-8000-000000000002";
const PROMOTE: OrgRequest = { type: "change_role", user: BOB, role: "admin" };

/** Lets the client's promise callbacks and `await`s run. */
const settle = () => new Promise((r) => setTimeout(r, 0));

async function welcomed(fake: ReturnType<typeof fakeSockets>): Promise<FakeSocket> {
  const socket = await fake.next();
  socket.accept();
  socket.receive({ type: "welcome", session: "s-1", user: ADA, limits: { max_frame_bytes: 65_536, max_subscriptions: 100, idle_timeout_ms: 60_000 } });
  return socket;
}

function connect(): { client: Client; fake: ReturnType<typeof fakeSockets> } {
  const fake = fakeSockets();
  const client = createClient({ url: "http://corkboard.test", auth: "token", WebSocket: fake.WebSocket, backoff: { baseMs: 1, maxMs: 1 } });
  client.on("error", () => {});
  return { client, fake };
}

const orgCommands = (socket: FakeSocket) => socket.sent.filter((m): m is Extract<ClientMsg, { type: "org_command" }> => m.type === "org_command");

it("an org command needs no subscription; its org_ack resolves it, and org.send is the same", async () => {
  const { client, fake } = connect();
  const socket = await welcomed(fake);
  const done = client.orgCommand(ORG, PROMOTE);
  const [sent] = orgCommands(socket);
  assert.deepEqual(sent && { ...sent, id: "" }, { type: "org_command", id: "", org: ORG, command: PROMOTE });
  assert.ok(!socket.sent.some((m) => m.type === "subscribe_org"), "not subscribed to the org channel");
  assert.equal(client.queued, 1);
  socket.receive({ type: "org_ack", id: sent!.id, org: ORG, seq: 12 });
  assert.deepEqual(await done, { seq: 12 });
  assert.equal(client.queued, 0);

  const handle = client.org(ORG);
  const viaHandle = handle.send({ type: "rename_org", name: "Acme" });
  const second = orgCommands(socket)[1]!;
  assert.deepEqual(second.command, { type: "rename_org", name: "Acme" });
  socket.receive({ type: "org_ack", id: second.id, org: ORG, seq: 13 });
  assert.deepEqual(await viaHandle, { seq: 13 });
  client.close();
});

it("a rejected reaches the org command's promise, and a board command's still the board", async () => {
  const { client, fake } = connect();
  const socket = await welcomed(fake);
  const boardRejections: CommandRejected[] = [];
  client.on("rejected", (e) => boardRejections.push(e));
  const board = client.board(B);
  const boardDone = board.send({ type: "archive_board" });
  const orgDone = client.orgCommand(ORG, { type: "leave" });
  const boardId = socket.sent.find((m): m is Extract<ClientMsg, { type: "command" }> => m.type === "command")!.id;
  const orgId = orgCommands(socket)[0]!.id;

  socket.receive({ type: "rejected", id: orgId, code: "last_owner", message: "the organization must keep an owner", retryable: false, details: {} });
  await assert.rejects(orgDone, (e: unknown) => e instanceof OrgCommandRejected && e.code === "last_owner" && e.org === ORG && e.commandId === orgId);
  assert.deepEqual(boardRejections, [], "the board pipeline never saw it");
  assert.deepEqual(board.pending, [boardId]);

  socket.receive({ type: "rejected", id: boardId, code: "forbidden", message: "viewers cannot archive", retryable: false, details: { action: "archive_board" } });
  await assert.rejects(boardDone, (e: unknown) => e instanceof CommandRejected && e.code === "forbidden" && e.board === B);
  assert.equal(boardRejections.length, 1);
  assert.deepEqual(board.pending, []);
  client.close();
});

it("queued while offline, sent on open, and sent again with the same id after a reconnect", async () => {
  const { client, fake } = connect();
  const retrying: Array<{ org?: string; code: string }> = [];
  client.on("retrying", (r) => retrying.push({ ...(r.org ? { org: r.org } : {}), code: r.code }));
  const done = client.orgCommand(ORG, PROMOTE);
  const first = await welcomed(fake);
  const id = orgCommands(first)[0]?.id;
  assert.ok(id, "sent once the session is open");

  first.drop();
  const second = await welcomed(fake);
  assert.deepEqual(orgCommands(second).map((m) => m.id), [id], "the same id on the new connection");

  second.receive({ type: "rejected", id, code: "rate_limited", message: "slow down", retryable: true, details: { retry_after_ms: 20 } });
  assert.deepEqual(retrying, [{ org: ORG, code: "rate_limited" }]);
  const deadline = Date.now() + 5_000;
  while (orgCommands(second).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(orgCommands(second).map((m) => m.id), [id, id], "retried after the pause, same id");
  second.receive({ type: "org_ack", id, org: ORG, seq: 4 });
  assert.deepEqual(await done, { seq: 4 });
  client.close();
});

it("closing refuses what waits with client_closed; bad arguments are refused with invalid_options", async () => {
  const { client, fake } = connect();
  const socket = await welcomed(fake);
  const waiting = client.orgCommand(ORG, PROMOTE);
  await assert.rejects(client.orgCommand("", PROMOTE), (e: unknown) => e instanceof CorkboardError && e.code === "invalid_options");
  await assert.rejects(
    client.orgCommand(ORG, { type: "create_invite" } as unknown as OrgRequest),
    (e: unknown) => e instanceof CorkboardError && e.code === "invalid_options" && e.message.includes("change_role"),
  );
  assert.equal(orgCommands(socket).length, 1);
  client.close();
  await assert.rejects(waiting, (e: unknown) => e instanceof OrgCommandRejected && e.code === "client_closed");
  await assert.rejects(client.orgCommand(ORG, PROMOTE), (e: unknown) => e instanceof OrgCommandRejected && e.code === "client_closed");
  await settle();
});
