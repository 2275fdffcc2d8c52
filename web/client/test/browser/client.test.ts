/**
 * The client in a real browser: Debian's Chromium driven by playwright-core
 * (never a downloaded browser: `CHROMIUM_PATH`, default /usr/bin/chromium),
 * against the real `corkboard` binary. The page is served by this test from
 * its own http origin, which the server allows for the WebSocket Origin
 * check; the client is bundled by esbuild (ESM with splitting, so
 * MessagePack is a dynamic-import chunk, as in an app) and exposed as
 * `window.corkboard`.
 *
 * - commands issued offline are kept in IndexedDB, survive the page, and
 *   are sent by the next page of the same origin, each applied once;
 * - the same with the page closed right after issuing 20 commands, without
 *   awaiting `client.flushed()`, and with page 1's IndexedDB made to commit
 *   nothing: the store's localStorage journal, written in the task that
 *   issued them, keeps every one;
 * - a MessagePack client and a JSON client in two browser contexts send
 *   commands concurrently and converge on the same confirmed board.
 *
 * Any console error or uncaught page error fails the test.
 */

import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { after, afterEach, before, it } from "node:test";

import { build } from "esbuild";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

import type { Board } from "../../src/generated/protocol.js";
import { TestServer } from "../integration/server.js";
import { addMember, call, newBoard, newUser } from "../integration/setup.js";
import { until } from "../integration/wait.js";

type Corkboard = typeof import("../../src/index.js");

declare global {
  interface Window {
    /** The bundled client. */
    corkboard: Corkboard;
    /** What the test keeps on the page between evaluations. */
    t: {
      client: import("../../src/index.js").Client;
      board: import("../../src/index.js").BoardHandle;
      acked: number;
      failed: string[];
    };
  }
}

/** Longest wait for any browser-side condition. */
const WAIT_MS = 20_000;

const here = fileURLToPath(new URL(".", import.meta.url));
/** web/client, from `web/client/.test-build/test/browser/`. */
const CLIENT_ROOT = resolve(here, "../../..");

const PAGE = `<!doctype html>
<html>
<head>
<meta charset="utf-8">
<link rel="icon" href="data:,">
<title>corkboard client in a browser</title>
<script type="module" src="/client.js"></script>
</head>
<body></body>
</html>
`;

let server: TestServer;
let http: Server;
let origin: string;
let browser: Browser;
const contexts: BrowserContext[] = [];
/** Console errors and page errors of every page, as `[page] text`. */
let problems: string[] = [];

/** The client bundled for the browser: every output file by its URL path. */
async function bundle(): Promise<Map<string, { body: Uint8Array; type: string }>> {
  const result = await build({
    stdin: {
      contents: `import * as corkboard from "./src/index.ts";\nwindow.corkboard = corkboard;\n`,
      resolveDir: CLIENT_ROOT,
      sourcefile: "client.ts",
      loader: "ts",
    },
    bundle: true,
    format: "esm",
    splitting: true,
    platform: "browser",
    target: "es2022",
    write: false,
    outdir: join(CLIENT_ROOT, ".test-build/browser-bundle"),
    entryNames: "client",
    chunkNames: "chunk-[hash]",
    sourcemap: "inline",
    logLevel: "silent",
  });
  const files = new Map<string, { body: Uint8Array; type: string }>();
  const outdir = join(CLIENT_ROOT, ".test-build/browser-bundle");
  for (const file of result.outputFiles) {
    const path = "/" + file.path.slice(outdir.length + 1);
    files.set(path, { body: file.contents, type: "text/javascript; charset=utf-8" });
  }
  assert.ok(files.has("/client.js"), `the bundle has no client.js: ${[...files.keys()].join(", ")}`);
  assert.ok(files.size >= 2, "MessagePack should be a separate chunk (splitting)");
  files.set("/", { body: new TextEncoder().encode(PAGE), type: "text/html; charset=utf-8" });
  return files;
}

before(async () => {
  const files = await bundle();
  http = createServer((req, res) => {
    const file = files.get(new URL(req.url ?? "/", "http://x").pathname);
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": file.type, "cache-control": "no-store" }).end(file.body);
  });
  await new Promise<void>((res) => http.listen(0, "127.0.0.1", () => res()));
  const addr = http.address();
  origin = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`;

  server = await TestServer.start({ CORKBOARD_ALLOWED_ORIGINS: origin });
  const root = process.getuid?.() === 0;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    headless: true,
    chromiumSandbox: !root,
    args: root ? ["--no-sandbox"] : [],
  });
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await server?.stop();
  await new Promise<void>((res) => (http ? http.close(() => res()) : res()));
});

afterEach(() => {
  const seen = problems;
  problems = [];
  assert.deepEqual(seen, [], `console errors or page errors:\n${seen.join("\n")}`);
});

async function newContext(): Promise<BrowserContext> {
  const context = await browser.newContext();
  contexts.push(context);
  return context;
}

/** A page of `context` on the test origin with the client loaded; its console errors go to `problems`. */
async function openPage(context: BrowserContext, name: string): Promise<Page> {
  const page = await context.newPage();
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`[${name}] console: ${msg.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`[${name}] page error: ${e.message}`));
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => window.corkboard !== undefined, undefined, { timeout: WAIT_MS });
  return page;
}

/** Creates `window.t`: a client on `server.url` and a handle on `board`. */
async function connect(page: Page, token: string, board: string, options: { store?: string; format?: "json" | "msgpack" } = {}): Promise<void> {
  await page.evaluate(
    ({ url, token, board, store, format }) => {
      const cb = window.corkboard;
      const client = cb.createClient({
        url,
        auth: token,
        format: format ?? "json",
        backoff: { baseMs: 100, maxMs: 1_000 },
        ...(store ? { store: new cb.IndexedDBStore(store) } : {}),
      });
      const failed: string[] = [];
      client.on("rejected", (e) => failed.push(`rejected ${e.code}: ${e.message}`));
      client.on("error", (e) => failed.push(`error ${e.code}: ${e.message}`));
      window.t = { client, board: client.board(board), acked: 0, failed };
      client.on("acked", () => void (window.t.acked += 1));
    },
    { url: server.url, token, board, store: options.store, format: options.format },
  );
}

/** Runs `wait`; when it fails, the error says what the page's client holds. */
async function explain(page: Page, wait: () => Promise<void>): Promise<void> {
  try {
    await wait();
  } catch (e) {
    const seen = await page
      .evaluate(async () => ({
        status: window.t.client.status.state,
        queued: window.t.client.queued,
        pending: window.t.board.pending.length,
        boardStatus: window.t.board.status,
        seq: window.t.board.seq,
        stored: (await new window.corkboard.IndexedDBStore("outbox-test").load()).map((c) => c.command),
        acked: window.t.acked,
        failed: window.t.failed,
        shown: Object.values(window.t.board.state?.items ?? {}).map((item) => item?.title),
      }))
      .catch((err: unknown) => String(err));
    throw new Error(`${(e as Error).message}\nthe page's client: ${JSON.stringify(seen)}`);
  }
}

/** Titles in a board, with how often each occurs. */
function titleCounts(board: Board): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of Object.values(board.items)) if (item) counts.set(item.title, (counts.get(item.title) ?? 0) + 1);
  return counts;
}

/**
 * Page 1 goes offline and issues `titles` (kept in IndexedDB), then is
 * closed: at once when `closeAtOnce`, else once the store holds them all.
 * Page 2 of the same origin comes online, issues nothing, and must send
 * them. Returns the server's count of each title and what page 2 saw.
 */
async function offlineThenReload(titles: string[], closeAtOnce: boolean) {
  const ada = await newUser(server.url, "ada");
  const { board } = await newBoard(server.url, ada);
  const context = await newContext();

  const first = await openPage(context, "page 1");
  await connect(first, ada.token, board, { store: "outbox-test" });
  await first.waitForFunction(() => window.t.board.state !== null && window.t.client.status.state === "open", undefined, { timeout: WAIT_MS });

  await context.setOffline(true);
  await first.waitForFunction(() => ["offline", "reconnecting"].includes(window.t.client.status.state), undefined, { timeout: WAIT_MS });
  // Closing at once, the worst case made certain: from now on page 1's
  // IndexedDB commits nothing (a browser may abort a closing page's
  // transactions, or be out of quota). Only the store's localStorage
  // journal, written in the task that issues each command, can keep them.
  if (closeAtOnce) {
    await first.evaluate(() => {
      const open = IDBDatabase.prototype.transaction;
      IDBDatabase.prototype.transaction = function (this: IDBDatabase, ...args: Parameters<typeof open>) {
        if (args[1] === "readwrite") throw new DOMException("the test makes IndexedDB commit nothing", "AbortError");
        return open.apply(this, args);
      };
    });
  }

  const issued = await first.evaluate((titles) => {
    const { client, board } = window.t;
    for (const title of titles) board.send({ type: "create_item", title }).catch(() => {});
    return {
      state: client.status.state,
      queued: client.queued,
      pending: board.pending.length,
      shown: Object.values(board.state?.items ?? {}).map((item) => item?.title),
    };
  }, titles);
  assert.ok(["offline", "reconnecting"].includes(issued.state), `still ${issued.state}`);
  assert.equal(issued.queued, titles.length);
  assert.equal(issued.pending, titles.length);
  assert.deepEqual([...issued.shown].sort(), [...titles].sort(), "the optimistic view shows the offline commands at once");
  if (!closeAtOnce) await first.evaluate(() => window.t.client.flushed());
  await first.close();

  // Nothing reached the server.
  const before = await call<Board>(server.url, "GET", `/boards/${board}`, undefined, ada.token);
  assert.equal(Object.keys(before.items).length, 0, "nothing was sent while offline");

  await context.setOffline(false);
  const second = await openPage(context, "page 2");
  await connect(second, ada.token, board, { store: "outbox-test" });

  // Page 2 issues nothing: the stored commands go by themselves.
  if (!closeAtOnce) {
    await explain(second, () =>
      until(
        "the server has every offline item",
        async () => {
          const now = await call<Board>(server.url, "GET", `/boards/${board}`, undefined, ada.token);
          return titles.every((t) => titleCounts(now).has(t));
        },
        [],
        WAIT_MS,
      ),
    );
  }
  await second.evaluate(() => window.t.client.ready());
  await second.waitForFunction(
    () => window.t.client.status.state === "open" && window.t.client.queued === 0 && window.t.board.pending.length === 0,
    undefined,
    { timeout: WAIT_MS },
  );
  await until(
    "the IndexedDB outbox is empty",
    async () => (await second.evaluate(async () => (await new window.corkboard.IndexedDBStore("outbox-test").load()).length)) === 0,
    [],
    WAIT_MS,
  );
  const journaled = await second.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("outbox-test:pending:")));
  assert.deepEqual(journaled, [], "the localStorage journal is emptied once the commands are answered");
  const seen = await second.evaluate(async () => {
    const { client, board } = window.t;
    return {
      acked: window.t.acked,
      failed: window.t.failed,
      queued: client.queued,
      seq: board.seq,
      shown: Object.values(board.state?.items ?? {}).map((item) => item?.title),
    };
  });
  const now = await call<Board>(server.url, "GET", `/boards/${board}`, undefined, ada.token);
  await second.evaluate(() => window.t.client.close());
  return { counts: titleCounts(now), serverSeq: now.seq, seen };
}

it("commands issued offline survive the page in IndexedDB and are sent once by the next page", async () => {
  const titles = ["offline 1", "offline 2", "offline 3"];
  const { counts, serverSeq, seen } = await offlineThenReload(titles, false);
  assert.deepEqual(
    [...counts.entries()].sort(),
    titles.map((t) => [t, 1]),
    "each offline command applied exactly once",
  );
  assert.deepEqual(seen.failed, []);
  assert.equal(seen.queued, 0);
  assert.equal(seen.acked, 3, "page 2 settled the three restored commands through `acked`");
  assert.equal(seen.seq, serverSeq, "page 2 is at the server's seq");
  assert.deepEqual([...seen.shown].sort(), titles, "page 2 shows each item once");
});

it(
  "commands issued offline survive a page closed right after issuing them",
  async () => {
    const titles = Array.from({ length: 20 }, (_, i) => `burst ${i + 1}`);
    const { counts, seen } = await offlineThenReload(titles, true);
    const lost = titles.filter((t) => !counts.has(t));
    assert.deepEqual([...counts.values()].filter((n) => n !== 1), [], "no command applied twice");
    assert.deepEqual(seen.failed, []);
    assert.deepEqual(lost, [], `${lost.length} of ${titles.length} commands counted in client.queued were lost with the page`);
  },
);

it("a MessagePack client and a JSON client in two browsers converge on the same board", async () => {
  const ada = await newUser(server.url, "ada");
  const bob = await newUser(server.url, "bob");
  const { org, board } = await newBoard(server.url, ada);
  await addMember(server.url, ada, org, bob, "member");

  const packed = await openPage(await newContext(), "msgpack");
  const plain = await openPage(await newContext(), "json");
  // What travels on each page's sockets: MessagePack in binary frames, JSON in text frames.
  const frames = new Map<Page, { text: number; binary: number }>();
  for (const page of [packed, plain]) {
    const seen = { text: 0, binary: 0 };
    frames.set(page, seen);
    page.on("websocket", (ws) => {
      const count = ({ payload }: { payload: string | Buffer }) => void (typeof payload === "string" ? seen.text++ : seen.binary++);
      ws.on("framesent", count);
      ws.on("framereceived", count);
    });
  }
  await connect(packed, ada.token, board, { format: "msgpack" });
  await connect(plain, bob.token, board, { format: "json" });
  for (const page of [packed, plain]) {
    await page.waitForFunction(() => window.t.board.state !== null && window.t.client.status.state === "open", undefined, { timeout: WAIT_MS });
  }

  // Both send 20 commands at once: creates, then moves and renames of their own items.
  const send = (page: Page, who: string) =>
    page.evaluate(async (who) => {
      const { board } = window.t;
      const acks: Array<Promise<{ seq: number }>> = [];
      for (let i = 0; i < 14; i++) acks.push(board.send({ type: "create_item", title: `${who} ${i}` }));
      await Promise.all(acks);
      const state = board.confirmedState!;
      const columns = state.columns.map((c) => c.id);
      const mine = Object.values(state.items).filter((item) => item!.title.startsWith(`${who} `));
      const more: Array<Promise<{ seq: number }>> = [];
      for (let i = 0; i < 3; i++) more.push(board.send({ type: "move_item", item: mine[i]!.id, column: columns[1 + (i % 2)]!, index: 0 }));
      for (let i = 3; i < 6; i++) more.push(board.send({ type: "edit_item", item: mine[i]!.id, title: `${who} renamed ${i}` }));
      return (await Promise.all(more)).length + acks.length;
    }, who);
  const [a, b] = await Promise.all([send(packed, "ada"), send(plain, "bob")]);
  assert.equal(a, 20);
  assert.equal(b, 20);

  const now = await call<Board>(server.url, "GET", `/boards/${board}`, undefined, ada.token);
  for (const page of [packed, plain]) {
    await page.waitForFunction((seq) => window.t.board.seq >= seq && window.t.board.pending.length === 0, now.seq, { timeout: WAIT_MS });
  }
  const read = (page: Page) =>
    page.evaluate(() => ({
      confirmed: JSON.stringify(window.t.board.confirmedState),
      state: JSON.stringify(window.t.board.state),
      seq: window.t.board.seq,
      failed: window.t.failed,
    }));
  const [x, y] = await Promise.all([read(packed), read(plain)]);
  assert.deepEqual(x.failed, []);
  assert.deepEqual(y.failed, []);
  assert.equal(x.seq, y.seq);
  const confirmed = JSON.parse(x.confirmed) as Board;
  assert.deepEqual(confirmed, JSON.parse(y.confirmed), "both browsers hold the same confirmed board");
  assert.deepEqual(JSON.parse(x.state), confirmed, "nothing pending in the MessagePack page");
  assert.deepEqual(JSON.parse(y.state), confirmed, "nothing pending in the JSON page");
  assert.equal(Object.keys(confirmed.items).length, 28);
  const titles = [...titleCounts(confirmed).keys()];
  assert.equal(titles.filter((t) => t.includes(" renamed ")).length, 6);
  // And it is the board the server holds.
  const fresh = await call<Board>(server.url, "GET", `/boards/${board}`, undefined, ada.token);
  assert.equal(fresh.seq, x.seq);
  assert.deepEqual(fresh, confirmed, "the browsers' board is the server's");

  const p = frames.get(packed)!;
  const j = frames.get(plain)!;
  assert.ok(p.binary >= 40 && p.text === 0, `the MessagePack page used binary frames only: ${JSON.stringify(p)}`);
  assert.ok(j.text >= 40 && j.binary === 0, `the JSON page used text frames only: ${JSON.stringify(j)}`);

  for (const page of [packed, plain]) await page.evaluate(() => window.t.client.close());
});
