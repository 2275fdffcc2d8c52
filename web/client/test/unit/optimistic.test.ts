/**
 * The optimistic view of a board: predictions show at once, the confirmed
 * event replaces them (never shown twice), a rejection removes them.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { BoardHandle, type BoardHost } from "../../src/board.js";
import { CommandRejected } from "../../src/errors.js";
import type { Board, Command, Recorded } from "../../src/generated/protocol.js";
import { predict } from "../../src/predict.js";

const B = "0b0a0000-0000-4000-8000-000000000001";
const ORG = "0a000000-0000-4000-8000-000000000001";
const U = "02000000-0000-4000-8000-000000000001";
const TODO = "0c000000-0000-4000-8000-000000000001";
const DONE = "0c000000-0000-4000-8000-000000000002";
const ITEM = "01e00000-0000-4000-8000-000000000001";

function board(): Board {
  return {
    id: B,
    org: ORG,
    name: "Roadmap",
    seq: 4,
    archived: false,
    columns: [
      { id: TODO, name: "To do", position: "V", wip_limit: null },
      { id: DONE, name: "Done", position: "k", wip_limit: 1 },
    ],
    items: {
      [ITEM]: {
        id: ITEM,
        number: 1,
        title: "First",
        description: "",
        column: TODO,
        position: "V",
        assignees: [],
        labels: [],
        archived: false,
        created_by: U,
        created_at: 1,
        updated_at: 1,
      },
    },
  };
}

function harness() {
  let n = 0;
  const host: BoardHost = {
    submit: (_h: BoardHandle, c: Command) =>
      c.type === "rename_board" && c.name === "refused"
        ? { id: `c-${++n}`, done: Promise.reject(new CommandRejected(`c-${n}`, B, "queue_full", "full")), queued: false }
        : { id: `c-${++n}`, done: new Promise(() => {}), queued: true },
    subscribe: () => {},
    unsubscribe: () => {},
    presence: () => {},
    user: U,
    session: "s-1",
  };
  const handle = new BoardHandle(B, host);
  handle.onSnapshot(board(), 4, false);
  return handle;
}

function rec(seq: number, event: Recorded["event"], commandId?: string): Recorded {
  const r: Recorded = { board: B, seq, at: 10, by: U, event };
  if (commandId) r.command_id = commandId;
  return r;
}

describe("predictions", () => {
  it("a created item shows at once with a provisional id, and is replaced by the real one, never both", () => {
    const h = harness();
    void h.send({ type: "create_item", title: "  New card ", column: DONE });
    const predicted = Object.values(h.state!.items).filter((it) => it?.title === "New card");
    assert.equal(predicted.length, 1);
    assert.equal(predicted[0]?.id, "pending:c-1");
    const REAL = "01e00000-0000-4000-8000-000000000002";
    h.onEvent(rec(5, { type: "item_created", item: REAL, number: 2, title: "New card", description: "", column: DONE, position: "V" }, "c-1"));
    const shown = Object.values(h.state!.items).filter((it) => it?.title === "New card");
    assert.deepEqual(shown.map((it) => it?.id), [REAL]);
    h.onAck("c-1", 5);
    assert.deepEqual(h.pending, []);
    assert.equal(h.state, h.confirmedState, "nothing left to predict");
  });

  it("a command refused before it is sent is never predicted", async () => {
    const h = harness();
    await assert.rejects(h.send({ type: "rename_board", name: "refused" }), (e: CommandRejected) => e.code === "queue_full");
    assert.equal(h.state, h.confirmedState);
    assert.deepEqual(h.pending, []);
  });

  it("a rejection removes the prediction and is reported", () => {
    const h = harness();
    const seen: string[] = [];
    h.on("rejected", (e) => seen.push(e.code));
    void h.send({ type: "move_item", item: ITEM, column: DONE });
    assert.equal(h.state!.items[ITEM]?.column, DONE);
    h.onRejected(new CommandRejected("c-1", B, "wip_limit_reached", "full"));
    assert.equal(h.state!.items[ITEM]?.column, TODO);
    assert.deepEqual(seen, ["wip_limit_reached"]);
  });

  it("predictions are re-applied on top of other people's events", () => {
    const h = harness();
    void h.send({ type: "edit_item", item: ITEM, title: "Mine" });
    h.onEvent(rec(5, { type: "label_added", item: ITEM, label: "theirs" }));
    assert.equal(h.state!.items[ITEM]?.title, "Mine");
    assert.deepEqual(h.state!.items[ITEM]?.labels, ["theirs"]);
    assert.equal(h.confirmedState!.items[ITEM]?.title, "First", "the confirmed state is untouched");
  });

  it("an ack ahead of the events keeps the prediction until the seq is reached", () => {
    const h = harness();
    void h.send({ type: "rename_board", name: "Plans" });
    h.onAck("c-1", 6);
    assert.equal(h.state!.name, "Plans");
    h.onEvent(rec(5, { type: "board_archived" }));
    assert.equal(h.state!.name, "Plans");
    h.onEvent(rec(6, { type: "board_renamed", name: "Plans" }));
    assert.equal(h.state, h.confirmedState);
  });

  it("events are folded once, in order; a gap is reported", () => {
    const h = harness();
    assert.equal(h.onEvent(rec(5, { type: "board_archived" })), true);
    assert.equal(h.onEvent(rec(5, { type: "board_restored" })), true, "a duplicate is skipped");
    assert.equal(h.state!.archived, true);
    assert.equal(h.onEvent(rec(7, { type: "board_restored" })), false, "seq 6 is missing");
    assert.equal(h.seq, 5);
  });

  it("predicts every command kind it can, and nothing for an unknown item", () => {
    const b = board();
    const kinds: Command[] = [
      { type: "rename_board", name: "X" },
      { type: "add_column", name: "Review", index: 1 },
      { type: "rename_column", column: TODO, name: "Backlog" },
      { type: "move_column", column: DONE, index: 0 },
      { type: "remove_column", column: DONE },
      { type: "set_wip_limit", column: TODO, limit: 3 },
      { type: "create_item", title: "t" },
      { type: "edit_item", item: ITEM, title: "t2" },
      { type: "move_item", item: ITEM, column: DONE, index: 0 },
      { type: "assign_item", item: ITEM, user: U },
      { type: "unassign_item", item: ITEM, user: U },
      { type: "add_label", item: ITEM, label: "l" },
      { type: "remove_label", item: ITEM, label: "l" },
      { type: "archive_item", item: ITEM },
      { type: "archive_board" },
      { type: "add_comment", item: ITEM, body: "hi" },
    ];
    for (const cmd of kinds) assert.equal(predict(b, cmd, "c").length, 1, cmd.type);
    assert.deepEqual(predict(b, { type: "move_item", item: "01e00000-0000-4000-8000-00000000ffff", column: DONE }, "c"), []);
    const [added] = predict(b, { type: "add_column", name: "Review", index: 1 }, "c");
    assert.ok(added?.type === "column_added" && added.position > "V" && added.position < "k");
  });
});
