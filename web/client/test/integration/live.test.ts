/**
 * Two clients on one board against the real server: convergence under 500
 * concurrent random commands (one JSON, one MessagePack), a rejected
 * optimistic move that reverts, and offline work that lands exactly once.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { createClient, type Client } from "../../src/index.js";
import type { Board, Command } from "../../src/generated/protocol.js";
import { serverForFile } from "./server.js";
import { call, CuttableProxy, newBoard, newUser, sharedBoard, type User } from "./setup.js";
import { until } from "./wait.js";

const file = serverForFile();

function client(url: string, user: User, format: "json" | "msgpack" = "json"): Client {
  const c = createClient({ url, auth: user.token, format, backoff: { baseMs: 50, maxMs: 500 } });
  return file.track(c);
}

/** A deterministic PRNG, so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randomCommand(state: Board, users: string[], rand: () => number): Command {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const columns = state.columns.map((c) => c.id);
  const items = Object.values(state.items).filter((it) => it && !it.id.startsWith("pending:"));
  const r = rand();
  if (items.length === 0 || r < 0.3) {
    return { type: "create_item", title: `card ${Math.floor(rand() * 1e6)}`, column: pick(columns), index: rand() < 0.5 ? Math.floor(rand() * 5) : undefined };
  }
  const item = pick(items)!;
  if (r < 0.6) return { type: "move_item", item: item.id, column: pick(columns), index: rand() < 0.7 ? Math.floor(rand() * 8) : undefined };
  if (r < 0.7) return { type: "edit_item", item: item.id, title: `edited ${Math.floor(rand() * 1e6)}` };
  if (r < 0.77) return { type: "add_label", item: item.id, label: pick(["bug", "ux", "später", "🙂", "ｚ"]) };
  if (r < 0.8) return { type: "remove_label", item: item.id, label: pick(["bug", "ux", "🙂"]) };
  if (r < 0.86) return { type: "assign_item", item: item.id, user: pick(users) };
  if (r < 0.88) return { type: "unassign_item", item: item.id, user: pick(users) };
  if (r < 0.94) return { type: "archive_item", item: item.id };
  if (r < 0.98) return { type: "restore_item", item: item.id };
  return { type: "set_wip_limit", column: pick(columns), limit: rand() < 0.5 ? null : 40 + Math.floor(rand() * 20) };
}

async function freshSnapshot(url: string, user: User, board: string): Promise<Board> {
  const c = client(url, user);
  const handle = c.board(board);
  await until("a fresh snapshot", () => handle.state !== null, [[handle, "change"]]);
  const state = structuredClone(handle.confirmedState as Board);
  c.close();
  return state;
}

describe("two clients on one board", () => {
  it("converge on the same state after 500 random concurrent commands, one JSON and one MessagePack", async () => {
    const { ada, bob, board } = await sharedBoard(file.server.url, "admin");
    const a = client(file.server.url, ada, "json");
    const b = client(file.server.url, bob, "msgpack");
    const boardA = a.board(board);
    const boardB = b.board(board);
    await until("both snapshots", () => boardA.state !== null && boardB.state !== null, [[boardA, "change"], [boardB, "change"]]);

    const rand = rng(20261203);
    const outcomes: Array<Promise<unknown>> = [];
    let acked = 0;
    let refused = 0;
    for (let i = 0; i < 500; i++) {
      const handle = rand() < 0.5 ? boardA : boardB;
      const cmd = randomCommand(handle.state as Board, [ada.id, bob.id], rand);
      outcomes.push(
        handle.send(cmd).then(
          () => acked++,
          (e: { retryable?: boolean; code?: string }) => {
            assert.equal(e.retryable, false, `a command was given up: ${e.code}`);
            refused++;
          },
        ),
      );
      if (i % 7 === 0) await new Promise((r) => setImmediate(r));
    }
    await Promise.all(outcomes);
    assert.equal(acked + refused, 500);
    assert.ok(acked > 250, `only ${acked} of 500 commands were applied`);

    const { seq } = await call<{ seq: number }>(file.server.url, "GET", `/boards/${board}`, undefined, ada.token);
    await until(
      "both clients at the server's seq with nothing pending",
      () => boardA.seq === seq && boardB.seq === seq && boardA.pending.length === 0 && boardB.pending.length === 0,
      [[boardA, "change"], [boardB, "change"]],
    );
    assert.deepEqual(boardA.state, boardA.confirmedState, "A's view still shows a prediction");
    assert.deepEqual(boardB.state, boardB.confirmedState, "B's view still shows a prediction");
    assert.deepEqual(boardA.confirmedState, boardB.confirmedState);
    assert.deepEqual(boardA.confirmedState, await freshSnapshot(file.server.url, ada, board));
  });

  it("a rejected optimistic move snaps back and says why", async () => {
    const ada = await newUser(file.server.url, "ada");
    const { board } = await newBoard(file.server.url, ada);
    const a = client(file.server.url, ada);
    const handle = a.board(board);
    await until("snapshot", () => handle.state !== null, [[handle, "change"]]);
    const [todo, doing] = (handle.state as Board).columns;
    assert.ok(todo && doing);
    await handle.send({ type: "set_wip_limit", column: doing.id, limit: 1 });
    await handle.send({ type: "create_item", title: "fills the column", column: doing.id });
    await handle.send({ type: "create_item", title: "the one to move", column: todo.id });
    const card = Object.values((handle.state as Board).items).find((it) => it?.title === "the one to move");
    assert.ok(card);

    const rejections: string[] = [];
    handle.on("rejected", (e) => rejections.push(e.code));
    const move = handle.send({ type: "move_item", item: card.id, column: doing.id });
    assert.equal(handle.state?.items[card.id]?.column, doing.id, "the move is shown at once");
    await assert.rejects(move, (e: { code: string; message: string }) => e.code === "wip_limit_reached" && /WIP limit of 1/.test(e.message));
    assert.equal(handle.state?.items[card.id]?.column, todo.id, "the card is back where it was");
    assert.deepEqual(rejections, ["wip_limit_reached"]);
    assert.deepEqual(handle.pending, []);
  });

  it("commands issued offline land exactly once when the network returns, even those whose first send got through", async () => {
    const { ada, bob, board } = await sharedBoard(file.server.url, "member");
    const proxy = await CuttableProxy.start(file.server.port);
    try {
      const a = client(proxy.url, ada);
      const watcher = client(file.server.url, bob);
      const mine = a.board(board);
      const theirs = watcher.board(board);
      await until("snapshots", () => mine.state !== null && theirs.state !== null, [[mine, "change"], [theirs, "change"]]);
      await until("open", () => a.status.state === "open", [[a, "status"]]);
      const titles = (b: Board | null) =>
        Object.values(b?.items ?? {})
          .map((it) => it?.title ?? "")
          .filter((t) => t.startsWith("offline "))
          .sort();

      // Half reach the server but their answers are held back, then the
      // network goes; the other half are issued with no network at all.
      proxy.holdAnswers();
      const sends: Array<Promise<{ seq: number }>> = [];
      for (let i = 0; i < 25; i++) sends.push(mine.send({ type: "create_item", title: `offline ${i}` }));
      await until("the server applied the first 25", () => titles(theirs.state).length === 25, [[theirs, "change"]]);
      assert.equal(a.queued, 25, "none of them was answered");
      proxy.cut();
      await until("the client noticed", () => a.status.state !== "open", [[a, "status"]]);
      for (let i = 25; i < 50; i++) sends.push(mine.send({ type: "create_item", title: `offline ${i}` }));
      assert.ok(a.queued >= 25, `${a.queued} commands queued`);
      const shown = Object.values(mine.state?.items ?? {}).filter((it) => it?.title.startsWith("offline ")).length;
      assert.equal(shown, 50, "every offline edit is shown at once");

      proxy.restore();
      await Promise.all(sends);
      const expected = Array.from({ length: 50 }, (_, i) => `offline ${i}`).sort();
      await until("the watcher sees all 50", () => titles(theirs.state).length === 50, [[theirs, "change"]]);
      assert.deepEqual(titles(theirs.state), expected, "each command applied exactly once");
      assert.deepEqual(titles(mine.state), expected);
      assert.equal(a.queued, 0);
      const events = await call<{ events: Array<{ command_id?: string }> }>(file.server.url, "GET", `/boards/${board}/events?limit=500`, undefined, ada.token);
      const ids = events.events.map((e) => e.command_id).filter((id): id is string => typeof id === "string");
      assert.equal(new Set(ids).size, ids.length, "no command id recorded twice");
    } finally {
      await proxy.close();
    }
  });
});
