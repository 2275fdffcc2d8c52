/**
 * The server is SIGKILLed in the middle of a stream of commands and
 * started again: the client reconnects by itself, resumes the board, and
 * ends with every acked command present and its state equal to a fresh
 * snapshot.
 */

import assert from "node:assert/strict";
import { it } from "node:test";

import { createClient } from "../../src/index.js";
import type { Board } from "../../src/generated/protocol.js";
import { serverForFile } from "./server.js";
import { newBoard, newUser } from "./setup.js";
import { until } from "./wait.js";

const file = serverForFile();

it("a SIGKILL and restart mid-stream loses no acked command and the client converges", async () => {
  const ada = await newUser(file.server.url, "ada");
  const { board } = await newBoard(file.server.url, ada);
  const client = createClient({ url: file.server.url, auth: ada.token, backoff: { baseMs: 100, maxMs: 1_000 } });
  file.track(client);
  const handle = client.board(board);
  await until("snapshot", () => handle.state !== null, [[handle, "change"]]);

  const acked = new Set<string>();
  const all: Array<Promise<void>> = [];
  const statuses: string[] = [];
  client.on("status", (s) => statuses.push(s.state));
  const killAt = 60;
  for (let i = 0; i < 150; i++) {
    const title = `durable ${i}`;
    all.push(
      handle.send({ type: "create_item", title }).then(
        () => void acked.add(title),
        (e: unknown) => assert.fail(`command ${i} failed: ${String(e)}`),
      ),
    );
    if (i === killAt) {
      await until("some acks before the kill", () => acked.size >= 20, [[client, "acked"]]);
      await file.server.kill9();
    }
    if (i === killAt + 40) await file.server.restart();
    await new Promise((r) => setImmediate(r));
  }
  await Promise.all(all);
  assert.equal(acked.size, 150);
  assert.ok(statuses.includes("reconnecting"), `the client never noticed the kill: ${statuses.join(",")}`);

  // Every acked command is in a fresh snapshot, once, and the client's state is that snapshot.
  const fresh = createClient({ url: file.server.url, auth: ada.token });
  file.track(fresh);
  const again = fresh.board(board);
  await until("a fresh snapshot", () => again.state !== null, [[again, "change"]]);
  await until("the first client caught up", () => handle.seq === again.seq && handle.pending.length === 0, [[handle, "change"], [again, "change"]]);
  const titles = Object.values((again.confirmedState as Board).items).map((it) => it?.title);
  for (const title of acked) assert.equal(titles.filter((t) => t === title).length, 1, `${title} is there once`);
  assert.deepEqual(handle.confirmedState, again.confirmedState);
  assert.deepEqual(handle.state, again.confirmedState);
});
