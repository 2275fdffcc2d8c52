/**
 * The client's figures (reported in docs/benchmarks.md), measured, not
 * asserted:
 *   1. bundle size, minified and gzipped, JSON only and with MessagePack;
 *   2. applying 10,000 events to a 1,000-item board;
 *   3. an edit on one client until the other client's state shows it,
 *      p50/p99 over loopback against the real server.
 *
 *   npm run bench -w @corkboard/client     (needs target/debug/corkboard, or CORKBOARD_BIN)
 */

import { build } from "esbuild";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

import { applyEvent, cloneBoard, createClient, emptyBoard } from "../src/index.js";
import type { Board, Recorded } from "../src/generated/protocol.js";
import { between } from "../src/position.js";
import { TestServer } from "../test/integration/server.js";
import { newBoard, newUser } from "../test/integration/setup.js";
import { until } from "../test/integration/wait.js";

const entry = fileURLToPath(new URL("../../src/index.ts", import.meta.url));

async function bundleSizes(): Promise<void> {
  const result = await build({ entryPoints: [entry], bundle: true, minify: true, format: "esm", splitting: true, outdir: "/tmp/corkboard-bench-bundle", write: false, metafile: true, target: "es2022" });
  let main = 0;
  let all = 0;
  for (const file of result.outputFiles) {
    const gz = gzipSync(file.contents, { level: 9 }).length;
    all += gz;
    if (file.path.endsWith("/index.js")) main = gz;
  }
  const kib = (bytes: number) => `${(bytes / 1024).toFixed(2)} KiB (${bytes.toLocaleString("en")} bytes)`;
  console.log(`bundle (min+gzip), everything the package exports: JSON only ${kib(main)}; with MessagePack ${kib(all)}`);
  const app = await build({
    stdin: { contents: `import { createClient } from ${JSON.stringify(entry)}; globalThis.c = createClient;`, resolveDir: "/", loader: "ts" },
    bundle: true, minify: true, format: "esm", splitting: true, outdir: "/tmp/corkboard-bench-app", write: false, target: "es2022",
  });
  const first = app.outputFiles.find((f) => f.path.endsWith("/stdin.js"));
  console.log(`bundle (min+gzip), an app importing createClient only: ${kib(first ? gzipSync(first.contents, { level: 9 }).length : 0)} before MessagePack`);
}

function fold(): void {
  const U = "02000000-0000-4000-8000-000000000001";
  const B = "0b0a0000-0000-4000-8000-000000000001";
  const cols = ["0c000000-0000-4000-8000-000000000001", "0c000000-0000-4000-8000-000000000002", "0c000000-0000-4000-8000-000000000003"];
  const base = emptyBoard(B);
  let seq = 0;
  const rec = (event: Recorded["event"]): Recorded => ({ board: B, seq: ++seq, at: 1_767_225_600_000 + seq, by: U, event });
  applyEvent(base, rec({ type: "board_created", org: "0a000000-0000-4000-8000-000000000001", name: "Bench" }));
  let colPos: string | null = null;
  for (const c of cols) {
    colPos = between(colPos, null);
    applyEvent(base, rec({ type: "column_added", column: c, name: c, position: colPos, wip_limit: null }));
  }
  const items: string[] = [];
  let pos: string | null = null;
  for (let i = 0; i < 1_000; i++) {
    const id = `01e00000-0000-4000-8000-${String(i).padStart(12, "0")}`;
    items.push(id);
    pos = between(pos, null);
    applyEvent(base, rec({ type: "item_created", item: id, number: i + 1, title: `card ${i}`, description: "", column: cols[i % 3] as string, position: pos }));
  }
  const events: Recorded[] = [];
  for (let i = 0; i < 10_000; i++) {
    const item = items[(i * 7919) % items.length] as string;
    const r = i % 4;
    const event: Recorded["event"] =
      r === 0
        ? { type: "item_moved", item, column: cols[i % 3] as string, position: between(pos, null) }
        : r === 1
          ? { type: "item_edited", item, title: `edit ${i}`, description: null }
          : r === 2
            ? { type: "label_added", item, label: `l${i % 5}` }
            : { type: "item_assigned", item, user: U };
    if (r === 0) pos = between(pos, null);
    events.push(rec(event));
  }
  const runs: number[] = [];
  for (let run = 0; run < 7; run++) {
    const board: Board = cloneBoard(base);
    const t0 = performance.now();
    for (const e of events) applyEvent(board, e);
    runs.push(performance.now() - t0);
  }
  const inOrder = runs.map((r) => r.toFixed(1)).join(", ");
  const cold = runs[0] ?? 0;
  runs.sort((a, b) => a - b);
  console.log(`fold: 10,000 events onto a 1,000-item board: first (cold) run ${cold.toFixed(1)} ms, median ${runs[3]?.toFixed(1)} ms, slowest ${runs[6]?.toFixed(1)} ms (in order: ${inOrder} ms)`);
}

async function latency(): Promise<void> {
  // The per-session message limit (50/s by default) would make this a
  // measurement of the rate limiter.
  const server = await TestServer.start({ CORKBOARD_RATE_LIMIT_WS_PER_SEC: "100000", CORKBOARD_RATE_LIMIT_WS_BURST: "100000" });
  try {
    const ada = await newUser(server.url, "ada");
    const { board } = await newBoard(server.url, ada);
    const a = createClient({ url: server.url, auth: ada.token });
    const b = createClient({ url: server.url, auth: ada.token, format: "msgpack" });
    const ha = a.board(board);
    const hb = b.board(board);
    await until("snapshots", () => ha.state !== null && hb.state !== null, [[ha, "change"], [hb, "change"]]);
    await ha.send({ type: "create_item", title: "edit me" });
    const item = Object.values(ha.state!.items).find((it) => it?.title === "edit me")!.id;
    await until("B has the card", () => hb.state?.items[item] !== undefined, [[hb, "change"]]);
    const samples: number[] = [];
    const sent: Array<Promise<unknown>> = [];
    for (let i = 0; i < 300; i++) {
      const title = `edit ${i}`;
      const seen = new Promise<number>((resolve) => {
        const off = hb.on("change", () => {
          if (hb.state?.items[item]?.title === title) {
            off();
            resolve(performance.now());
          }
        });
      });
      const t0 = performance.now();
      sent.push(ha.send({ type: "edit_item", item, title }));
      samples.push((await seen) - t0);
    }
    const s = samples.slice(100).sort((x, y) => x - y);
    const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!.toFixed(2);
    console.log(`edit on A (JSON) -> B's state (MessagePack), loopback, ${s.length} edits after 100 warm-up: p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${s[s.length - 1]!.toFixed(2)} ms`);
    await Promise.all(sent);
    a.close();
    b.close();
  } finally {
    await server.stop();
  }
}

await bundleSizes();
fold();
await latency();
