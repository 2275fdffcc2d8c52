import assert from "node:assert/strict";
import { it } from "node:test";

import { MemoryStore, Outbox, type StoredCommand } from "../../src/queue.js";

const board = "0b0a0000-0000-4000-8000-000000000001";

it("keeps issue order, is bounded, and forgets answered commands", async () => {
  const store = new MemoryStore();
  const outbox = new Outbox(store, 3);
  assert.ok(outbox.add("a", board, { type: "archive_board" }, 1));
  assert.ok(outbox.add("b", board, { type: "restore_board" }, 2));
  assert.ok(outbox.add("c", board, { type: "archive_board" }, 3));
  assert.equal(outbox.add("d", board, { type: "archive_board" }, 4), false, "full");
  assert.deepEqual(outbox.all().map((c) => c.id), ["a", "b", "c"]);
  outbox.remove("b");
  assert.ok(outbox.add("d", board, { type: "archive_board" }, 5));
  assert.deepEqual(outbox.all().map((c) => c.id), ["a", "c", "d"]);
  assert.deepEqual((await store.load()).map((c) => c.id).sort(), ["a", "c", "d"]);
});

it("restores what the store kept, oldest first, and numbers new commands after them", async () => {
  const store = new MemoryStore();
  const first = new Outbox(store);
  first.add("x", board, { type: "archive_board" }, 1);
  first.add("y", board, { type: "restore_board" }, 2);
  const second = new Outbox(store);
  const restored = await second.restore();
  assert.deepEqual(restored.map((c) => c.id), ["x", "y"]);
  const z = second.add("z", board, { type: "archive_board" }, 3);
  assert.ok(z && z.order > 2);
  assert.deepEqual(second.all().map((c) => c.id), ["x", "y", "z"]);
});

it("a failing store is reported, never thrown at the caller", async () => {
  const errors: unknown[] = [];
  const broken = { load: async () => [], put: async () => Promise.reject(new Error("disk full")), delete: async () => {} };
  const outbox = new Outbox(broken, 10, (e) => errors.push(e));
  assert.ok(outbox.add("a", board, { type: "archive_board" }, 1));
  await new Promise((r) => setImmediate(r));
  assert.equal(errors.length, 1);
});

it("commands added while the store loads are numbered after the stored ones", async () => {
  const store = new MemoryStore();
  await store.put({ id: "old-1", board, command: { type: "archive_board" }, order: 1, issuedAt: 1 });
  await store.put({ id: "old-2", board, command: { type: "restore_board" }, order: 2, issuedAt: 1 });
  // The store answers only when the gate opens, as a slow IndexedDB would.
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const slow = { ...store, load: async () => (await gate, store.load()), put: (c: StoredCommand) => store.put(c), delete: (id: string) => store.delete(id) };
  const outbox = new Outbox(slow);
  const restoring = outbox.restore();
  outbox.add("new", board, { type: "rename_board", name: "n" }, 2);
  open();
  await restoring;
  assert.deepEqual(outbox.all().map((c) => c.id), ["old-1", "old-2", "new"]);
  await outbox.flushed();
  const kept = (await store.load()).sort((a, b) => a.order - b.order);
  assert.deepEqual(kept.map((c) => [c.id, c.order]), [["old-1", 1], ["old-2", 2], ["new", 3]]);
});
