/**
 * The rest of the client against the real server: the org channel,
 * presence (mine, others', after a reconnect), the REST helper's queries
 * with filters and cursors, and REST errors.
 */

import assert from "node:assert/strict";
import { it } from "node:test";

import { createClient, RestError, type Client } from "../../src/index.js";
import { serverForFile } from "./server.js";
import { addMember, CuttableProxy, newBoard, newUser, sharedBoard } from "./setup.js";
import { until } from "./wait.js";

const file = serverForFile();

function open(url: string, token: string): Client {
  const c = createClient({ url, auth: token, backoff: { baseMs: 50, maxMs: 300 } });
  return file.track(c);
}

it("the org channel shows members and boards as they change", async () => {
  const ada = await newUser(file.server.url, "ada");
  const bob = await newUser(file.server.url, "bob");
  const { org, key } = await newBoard(file.server.url, ada);
  const client = open(file.server.url, ada.token);
  const channel = client.org(org);
  await until("org snapshot", () => channel.state !== null, [[channel, "change"]]);
  assert.equal(channel.state?.key, key);
  assert.deepEqual(channel.state?.members.map((m) => m.role), ["owner"]);
  assert.equal(channel.state?.boards.length, 1);
  await addMember(file.server.url, ada, org, bob, "viewer");
  await until("bob appears", () => channel.state?.members.some((m) => m.user === bob.id && m.role === "viewer") === true, [[channel, "change"]]);
  await client.rest.call("post", "/api/v1/orgs/{org}/boards", { path: { org }, body: { name: "Second" } });
  await until("the new board appears", () => channel.state?.boards.length === 2, [[channel, "change"]]);

  const unknown = client.org("00000000-0000-4000-8000-000000000000");
  await until("an unknown organization is refused", () => unknown.status === "failed", [[unknown, "status"]]);
  assert.equal(unknown.error?.code, "not_found");
});

it("presence: mine is seen by others, and restored after a reconnect", async () => {
  const { ada, bob, board } = await sharedBoard(file.server.url, "member");
  const proxy = await CuttableProxy.start(file.server.port);
  try {
    const a = open(proxy.url, ada.token);
    const b = open(file.server.url, bob.token);
    const mine = a.board(board);
    const theirs = b.board(board);
    await until("both live", () => mine.status === "live" && theirs.status === "live", [[mine, "status"], [theirs, "status"]]);
    await mine.send({ type: "create_item", title: "looked at" });
    const item = Object.values(mine.state!.items).find((it) => it?.title === "looked at")!.id;
    mine.setPresence({ item });
    const adaOnCard = () => [...theirs.presence.values()].some((p) => p.user === ada.id && p.state.item === item);
    await until("B sees A on the card", adaOnCard, [[theirs, "presence"]]);
    assert.ok([...mine.presence.values()].some((p) => p.user === bob.id), "A sees B");

    proxy.cut();
    await until("A's session left", () => !adaOnCard(), [[theirs, "presence"]]);
    proxy.restore();
    await until("A is back on the card without setting it again", adaOnCard, [[theirs, "presence"]]);
    await until("A's board is live again after a resume with nothing missed", () => mine.status === "live", [[mine, "status"]]);
  } finally {
    await proxy.close();
  }
});

it("REST: items with filters and cursors, search, history, comments, members, and typed errors", async () => {
  const ada = await newUser(file.server.url, "ada");
  const { org, board } = await newBoard(file.server.url, ada);
  const client = open(file.server.url, ada.token);
  const handle = client.board(board);
  await until("live", () => handle.status === "live", [[handle, "status"]]);
  for (let i = 0; i < 7; i++) await handle.send({ type: "create_item", title: i === 3 ? "Fix the login bug" : `card ${i}` });
  const target = Object.values(handle.state!.items).find((it) => it?.title === "Fix the login bug")!;
  await handle.send({ type: "add_label", item: target.id, label: "bug" });
  await handle.send({ type: "add_comment", item: target.id, body: "seen on Safari" });

  const pages: number[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.rest.items(org, cursor ? { board, limit: 3, cursor } : { board, limit: 3 });
    pages.push(page.items.length);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  assert.deepEqual(pages, [3, 3, 1]);
  const all = [];
  for await (const item of client.rest.allItems(org, { board, limit: 2 })) all.push(item);
  assert.equal(all.length, 7);
  const bugs = await client.rest.items(org, { label: "bug" });
  assert.deepEqual(bugs.items.map((it) => it.title), ["Fix the login bug"]);

  const hits = await client.rest.search(org, "login");
  assert.equal(hits.items[0]?.title, "Fix the login bug");

  const events = [];
  for await (const entry of client.rest.allHistory(board)) events.push(entry);
  assert.equal(events.length, handle.seq);
  assert.ok(events.some((e) => e.event.type === "comment_added"));

  const comments = await client.rest.comments(board, target.id);
  assert.deepEqual(comments.comments.map((c) => c.body), ["seen on Safari"]);
  const members = await client.rest.members(org);
  assert.deepEqual(members.members.map((m) => m.user_id), [ada.id]);

  await assert.rejects(client.rest.items("00000000-0000-4000-8000-000000000000"), (e: unknown) => e instanceof RestError && e.status === 404 && e.code === "not_found" && e.requestId !== undefined);
  await assert.rejects(client.rest.search(org, ""), (e: unknown) => e instanceof RestError && e.status === 400 && e.code === "validation_failed" && e.message.startsWith("q:"));
});
