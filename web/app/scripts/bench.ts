/**
 * The board app's figures (reported in docs/benchmarks.md), measured in
 * headless Chromium (Debian's, driven by playwright-core) against the real
 * `corkboard` binary, not asserted:
 *   1. first load: the bytes transferred by a fresh browser (no cache) for
 *      the login page, and for a logged-in board page (its static files,
 *      its REST calls and its WebSocket frames counted apart);
 *   2. time from navigation start to a rendered 1,000-card board, 5 loads;
 *   3. an edit in one tab (the card panel's title, Enter) until the other
 *      tab's frame shows it, p50/p99 over 200 edits.
 *
 *   cd web && npm run build -w @corkboard/client && cd app && \
 *     CORKBOARD_BIN=/work/main/target/release/corkboard npm run bench [-- --json figures.json]
 *
 * The binary embeds web/app/dist at compile time: build the app, then the
 * binary (`cargo build --release -p server --bin corkboard`), then run this.
 */

import { writeFileSync } from "node:fs";
import os from "node:os";
import { gzipSync } from "node:zlib";

import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

import { TestServer } from "../../client/test/integration/server.js";
import { call, newUser, type User } from "../../client/test/integration/setup.js";

/** The whole run is bounded: past this, everything is stopped and the script fails. */
const BUDGET_MS = 170_000;
const CARDS = 1_000;
const LOAD_RUNS = 5;
const EDITS = 200;
const WARMUP_EDITS = 20;

const jsonPath = (() => {
  const i = process.argv.indexOf("--json");
  return i >= 0 ? process.argv[i + 1] : undefined;
})();

let server: TestServer | undefined;
let browser: Browser | undefined;

async function cleanup(): Promise<void> {
  await browser?.close().catch(() => undefined);
  browser = undefined;
  await server?.stop().catch(() => undefined);
  server = undefined;
}

const watchdog = setTimeout(() => {
  console.error(`bench: over its ${BUDGET_MS / 1000} s budget, stopping`);
  void cleanup().finally(() => process.exit(1));
}, BUDGET_MS);

// --- helpers ------------------------------------------------------------

const kB = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;
const ms = (x: number) => `${x.toFixed(1)} ms`;

function quantile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Logs `user` in through the login page. */
async function logIn(page: Page, base: string, user: User): Promise<void> {
  await page.goto(`${base}/`);
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL((url) => url.pathname !== "/login", { timeout: 10_000 });
}

async function newContext(): Promise<BrowserContext> {
  return browser!.newContext({ viewport: { width: 1280, height: 800 } });
}

async function orgWithBoard(base: string, owner: User, key: string, name: string): Promise<{ org: string; board: string; columns: string[] }> {
  const org = await call<{ id: string }>(base, "POST", "/orgs", { name: `${key} team`, key }, owner.token);
  const created = await call<{ board: { id: string; columns: Array<{ id: string; position: string }> } }>(base, "POST", `/orgs/${org.id}/boards`, { name }, owner.token);
  const columns = [...created.board.columns].sort((x, y) => (x.position < y.position ? -1 : 1)).map((c) => c.id);
  return { org: org.id, board: created.board.id, columns };
}

interface Recorded {
  event: { type: string; item?: string; number?: number };
}

/** Creates `n` cards over REST, `chunk` requests at a time; answers their ids and numbers in order. */
async function createCards(base: string, user: User, board: string, columns: string[], n: number, chunk = 50): Promise<Array<{ id: string; number: number }>> {
  const out: Array<{ id: string; number: number }> = [];
  for (let start = 0; start < n; start += chunk) {
    const acks = await Promise.all(
      Array.from({ length: Math.min(chunk, n - start) }, (_, k) => {
        const i = start + k;
        const command = { type: "create_item", title: `Card ${i + 1}`, column: columns[i % columns.length] };
        return call<{ events: Recorded[] }>(base, "POST", `/boards/${board}/commands`, command, user.token);
      }),
    );
    for (const ack of acks) {
      const created = ack.events.find((r) => r.event.type === "item_created")!.event;
      out.push({ id: created.item!, number: created.number! });
    }
  }
  return out;
}

// --- 1. first load ------------------------------------------------------

interface FileRow {
  url: string;
  type: string;
  /** Bytes on the wire (headers included), Chromium's `encodedDataLength`. */
  transferred: number;
  /** The body as received (compressed if the server compressed it). */
  body: number;
  encoding: string;
  /** The body gzipped at level 9 here, for comparison when the server sends it plain. */
  gzip9: number;
}

interface LoadBytes {
  files: FileRow[];
  wsFrames: number;
  wsBytes: number;
}

/** Records every response of `page` while `run` runs (cache disabled). */
async function recordLoad(context: BrowserContext, page: Page, run: () => Promise<void>): Promise<LoadBytes> {
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  const meta = new Map<string, { url: string; type: string; encoding: string }>();
  const done = new Map<string, number>();
  let wsFrames = 0;
  let wsBytes = 0;
  cdp.on("Network.responseReceived", (e) => {
    const headers = Object.fromEntries(Object.entries(e.response.headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
    meta.set(e.requestId, { url: e.response.url, type: e.type, encoding: headers["content-encoding"] ?? "identity" });
  });
  cdp.on("Network.loadingFinished", (e) => done.set(e.requestId, e.encodedDataLength));
  cdp.on("Network.webSocketFrameReceived", (e) => {
    wsFrames += 1;
    wsBytes += e.response.payloadData.length;
  });
  await run();
  const files: FileRow[] = [];
  for (const [id, transferred] of done) {
    const m = meta.get(id);
    if (!m) continue;
    let raw = Buffer.alloc(0);
    try {
      const got = await cdp.send("Network.getResponseBody", { requestId: id });
      raw = got.base64Encoded ? Buffer.from(got.body, "base64") : Buffer.from(got.body);
    } catch {
      // A body Chromium no longer holds (a redirect, a 204).
    }
    const gz = raw.length ? gzipSync(raw, { level: 9 }).length : 0;
    files.push({ url: m.url, type: m.type, transferred, body: m.encoding === "identity" ? raw.length : NaN, encoding: m.encoding, gzip9: gz });
  }
  await cdp.detach();
  return { files, wsFrames, wsBytes };
}

function pathOf(url: string): string {
  const u = new URL(url);
  return u.pathname + (u.search ? "?…" : "");
}

const isApi = (f: FileRow) => new URL(f.url).pathname.startsWith("/api/");

// --- the run ------------------------------------------------------------

const results: Record<string, unknown> = {};
const lines: string[] = [];

try {
  server = await TestServer.start({
    CORKBOARD_ALLOWED_ORIGINS: "",
    // The per-session message limit (50/s by default) would make part 3 a measurement of the rate limiter.
    CORKBOARD_RATE_LIMIT_WS_PER_SEC: "100000",
    CORKBOARD_RATE_LIMIT_WS_BURST: "100000",
  });
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: ["--no-sandbox"] });
  const base = server.url;
  const version = browser.version();

  // 1a. The login page, cold.
  const loginCtx = await newContext();
  const loginPage = await loginCtx.newPage();
  const login = await recordLoad(loginCtx, loginPage, async () => {
    await loginPage.goto(`${base}/`, { waitUntil: "networkidle" });
    await loginPage.getByLabel("Email").waitFor();
  });
  await loginCtx.close();

  // 1b. A logged-in board page, cold (a context that logged in, then its cache disabled).
  const ada = await newUser(base, "ada");
  const small = await orgWithBoard(base, ada, "LOAD", "Load");
  await createCards(base, ada, small.board, small.columns, 20);
  const boardCtx = await newContext();
  const boardPage = await boardCtx.newPage();
  await logIn(boardPage, base, ada);
  const boardLoad = await recordLoad(boardCtx, boardPage, async () => {
    await boardPage.goto(`${base}/o/LOAD/b/${small.board}`, { waitUntil: "networkidle" });
    await boardPage.waitForFunction(() => document.querySelectorAll(".card").length >= 20, undefined, { timeout: 10_000 });
  });
  await boardCtx.close();

  const sum = (fs: FileRow[], k: "transferred" | "gzip9") => fs.reduce((a, f) => a + f[k], 0);
  const loginTotal = sum(login.files, "transferred");
  const boardStatic = boardLoad.files.filter((f) => !isApi(f));
  const boardApi = boardLoad.files.filter(isApi);
  lines.push("### First load (no cache)", "");
  lines.push("| file | type | content-encoding | transferred (headers included) | body gzip -9 (for comparison) |", "|---|---|---|---:|---:|");
  for (const f of login.files) lines.push(`| \`${pathOf(f.url)}\` | ${f.type} | ${f.encoding} | ${f.transferred.toLocaleString("en")} B | ${f.gzip9.toLocaleString("en")} B |`);
  lines.push(`| **login page \`/\`, total** | | | **${kB(loginTotal)}** | ${kB(sum(login.files, "gzip9"))} |`);
  lines.push(`| board page, static files (${boardStatic.length}) | | | ${kB(sum(boardStatic, "transferred"))} | ${kB(sum(boardStatic, "gzip9"))} |`);
  lines.push(`| board page, REST calls (${boardApi.length}: ${[...new Set(boardApi.map((f) => new URL(f.url).pathname.replace(/[0-9a-f-]{36}/g, "{id}")))].join(", ")}) | | | ${kB(sum(boardApi, "transferred"))} | |`);
  lines.push(`| board page, WebSocket frames received (${boardLoad.wsFrames}, payload; handshake not counted) | | | ${kB(boardLoad.wsBytes)} | |`);
  lines.push(`| **board page (20 cards), total** | | | **${kB(sum(boardLoad.files, "transferred") + boardLoad.wsBytes)}** | |`);
  lines.push("");
  results.firstLoad = {
    loginTotalBytes: loginTotal,
    loginFiles: login.files.map((f) => ({ path: pathOf(f.url), type: f.type, encoding: f.encoding, transferred: f.transferred, gzip9: f.gzip9 })),
    boardStaticBytes: sum(boardStatic, "transferred"),
    boardApiBytes: sum(boardApi, "transferred"),
    boardApiCalls: boardApi.length,
    boardWsFrames: boardLoad.wsFrames,
    boardWsPayloadBytes: boardLoad.wsBytes,
  };

  // 2. A 1,000-card board: navigation start until 1,000 cards are in the DOM, at the frame that has them.
  const big = await orgWithBoard(base, ada, "BIG", "Big");
  const tCreate = performance.now();
  await createCards(base, ada, big.board, big.columns, CARDS);
  const createMs = performance.now() - tCreate;
  const bigCtx = await newContext();
  const bigPage = await bigCtx.newPage();
  await logIn(bigPage, base, ada);
  const boardUrl = `${base}/o/BIG/b/${big.board}`;
  const loads: number[] = [];
  for (let run = 0; run < LOAD_RUNS; run++) {
    if (run === 0) await bigPage.goto(boardUrl, { waitUntil: "commit" });
    else await bigPage.reload({ waitUntil: "commit" });
    const at = await bigPage.waitForFunction((n) => (document.querySelectorAll(".card").length >= n ? performance.now() : false), CARDS, { polling: "raf", timeout: 30_000 });
    loads.push((await at.jsonValue()) as number);
  }
  await bigCtx.close();
  const sortedLoads = [...loads].sort((a, b) => a - b);
  lines.push(`### ${CARDS.toLocaleString("en")}-card board (3 columns), navigation start to the frame with every card in the DOM`, "");
  lines.push("| runs | median | max | each run, in order |", "|---:|---:|---:|---|");
  lines.push(`| ${LOAD_RUNS} | ${ms(median(loads))} | ${ms(sortedLoads[sortedLoads.length - 1]!)} | ${loads.map((x) => x.toFixed(0)).join(", ")} ms |`);
  lines.push("", `(the ${CARDS.toLocaleString("en")} cards were made over REST, 50 requests at a time, in ${(createMs / 1000).toFixed(1)} s; static files from the browser's cache after the login page, as for a returning user; each later run is a reload)`, "");
  results.bigBoard = { cards: CARDS, runsMs: loads, medianMs: median(loads), maxMs: sortedLoads[sortedLoads.length - 1], createSeconds: createMs / 1000 };

  // 3. Edit in tab A (card panel title, Enter) until tab B's frame shows it.
  const grace = await newUser(base, "grace");
  const live = await orgWithBoard(base, ada, "EDIT", "Edits");
  await call(base, "POST", `/orgs/${live.org}/members`, { email: grace.email, role: "member" }, ada.token);
  const cards = await createCards(base, ada, live.board, live.columns, 20);
  const target = cards[7]!;
  const aCtx = await newContext();
  const bCtx = await newContext();
  // Both tabs note when a WebSocket text frame naming an "Edit n" title is sent or arrives (same clock as the
  // page's performance.timeOrigin + now), to split the total into A's side, the server's and B's.
  for (const c of [aCtx, bCtx]) {
    await c.addInitScript(() => {
      const log = new Map<string, number>();
      (window as unknown as { wsLog: Map<string, number> }).wsLog = log;
      const note = (kind: string, data: unknown) => {
        if (typeof data !== "string") return;
        const m = /"title":"(Edit \d+)"/.exec(data);
        if (m && !log.has(`${kind} ${m[1]}`)) log.set(`${kind} ${m[1]}`, performance.timeOrigin + performance.now());
      };
      const send = WebSocket.prototype.send;
      WebSocket.prototype.send = function (this: WebSocket, data: string | ArrayBufferLike | Blob | ArrayBufferView) {
        note("sent", data);
        return send.call(this, data);
      };
      const Native = window.WebSocket;
      window.WebSocket = class extends Native {
        constructor(url: string | URL, protocols?: string | string[]) {
          super(url, protocols);
          this.addEventListener("message", (e) => note("recv", e.data));
        }
      };
    });
  }
  const a = await aCtx.newPage();
  const b = await bCtx.newPage();
  await logIn(a, base, ada);
  await logIn(b, base, grace);
  await a.goto(`${base}/o/EDIT/b/${live.board}/EDIT-${target.number}`);
  await b.goto(`${base}/o/EDIT/b/${live.board}`);
  await a.locator("[data-testid=card-panel] .title-input").waitFor({ timeout: 10_000 });
  await b.waitForFunction(() => document.querySelectorAll(".card").length >= 20, undefined, { timeout: 10_000 });

  // B: arm a watcher for (item, title): the moment the DOM has it, and the next frame.
  await b.evaluate(() => {
    const w = window as unknown as { arm: (item: string, title: string) => void; armed: Promise<{ dom: number; frame: number }> };
    w.arm = (item, title) => {
      w.armed = new Promise((resolve) => {
        const shown = () => document.querySelector(`[data-item="${CSS.escape(item)}"] .card-title`)?.textContent === title;
        const done = () => {
          observer.disconnect();
          const dom = performance.timeOrigin + performance.now();
          requestAnimationFrame(() => resolve({ dom, frame: performance.timeOrigin + performance.now() }));
        };
        const observer = new MutationObserver(() => {
          if (shown()) done();
        });
        observer.observe(document.body, { subtree: true, childList: true, characterData: true });
        if (shown()) done();
      });
    };
  });
  // A: type the new title into the panel (and let Preact re-render), then take the time and press Enter.
  const edit = (title: string) =>
    a.evaluate(async (t) => {
      const input = document.querySelector<HTMLInputElement>("[data-testid=card-panel] .title-input")!;
      input.focus();
      input.value = t;
      input.dispatchEvent(new Event("input", { bubbles: true }));
      await new Promise((r) => setTimeout(r, 0));
      const t0 = performance.timeOrigin + performance.now();
      input.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", code: "Enter", bubbles: true, cancelable: true }));
      return t0;
    }, title);

  const toDom: number[] = [];
  const toFrame: number[] = [];
  const aSide: number[] = [];
  const wire: number[] = [];
  const bSide: number[] = [];
  const wsTime = (p: Page, key: string) => p.evaluate((k) => (window as unknown as { wsLog: Map<string, number> }).wsLog.get(k) ?? NaN, key);
  for (let i = 0; i < WARMUP_EDITS + EDITS; i++) {
    const title = `Edit ${i}`;
    await b.evaluate(([item, t]) => (window as unknown as { arm: (i: string, t: string) => void }).arm(item!, t!), [target.id, title]);
    const t0 = await edit(title);
    const seen = await b.evaluate(() => (window as unknown as { armed: Promise<{ dom: number; frame: number }> }).armed);
    if (i >= WARMUP_EDITS) {
      toDom.push(seen.dom - t0);
      toFrame.push(seen.frame - t0);
      const sent = await wsTime(a, `sent ${title}`);
      const recv = await wsTime(b, `recv ${title}`);
      aSide.push(sent - t0);
      wire.push(recv - sent);
      bSide.push(seen.dom - recv);
    }
  }
  await aCtx.close();
  await bCtx.close();
  const sorted = (xs: number[]) => xs.filter((x) => !Number.isNaN(x)).sort((x, y) => x - y);
  const sf = sorted(toFrame);
  const row = (what: string, xs: number[]) => {
    const s = sorted(xs);
    return `| ${what} | ${ms(quantile(s, 0.5))} | ${ms(quantile(s, 0.9))} | ${ms(quantile(s, 0.99))} | ${ms(s[s.length - 1]!)} |`;
  };
  const stats = (xs: number[]) => {
    const s = sorted(xs);
    return { p50: quantile(s, 0.5), p90: quantile(s, 0.9), p99: quantile(s, 0.99), max: s[s.length - 1], over50: s.filter((x) => x > 50).length };
  };
  lines.push(`### Edit in tab A to the frame in tab B (${EDITS} sequential edits after ${WARMUP_EDITS} warm-up; two users, two browser contexts)`, "");
  lines.push("| from A's Enter until | p50 | p90 | p99 | max |", "|---|---:|---:|---:|---:|");
  lines.push(row("B's DOM has the new title (MutationObserver)", toDom));
  lines.push(row("**B's next frame (requestAnimationFrame after it)**", toFrame));
  lines.push(row("split: A's Enter → A's WebSocket send", aSide));
  lines.push(row("split: A's send → B's WebSocket message (server, loopback)", wire));
  lines.push(row("split: B's message → B's DOM", bSide));
  lines.push("", `(${sf.filter((x) => x > 50).length} of ${sf.length} edits took over 50 ms to B's frame)`, "");
  results.editToPaint = {
    edits: EDITS,
    warmup: WARMUP_EDITS,
    frame: stats(toFrame),
    dom: stats(toDom),
    aToSend: stats(aSide),
    sendToReceive: stats(wire),
    receiveToDom: stats(bSide),
    frameMsInOrder: toFrame.map((x) => Math.round(x * 10) / 10),
  };

  const cpus = os.cpus();
  const machine = `${cpus[0]?.model ?? "unknown CPU"} × ${cpus.length}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.type()} ${os.release()} ${os.arch()}; Node ${process.version}; Chromium ${version} (headless)`;
  results.machine = { cpu: cpus[0]?.model, cpus: cpus.length, memGiB: os.totalmem() / 2 ** 30, os: `${os.type()} ${os.release()} ${os.arch()}`, node: process.version, chromium: version };
  console.log(lines.join("\n"));
  console.log(`machine: ${machine}`);
  console.log("command: cd web && npm run build -w @corkboard/client && cd app && CORKBOARD_BIN=/work/main/target/release/corkboard npm run bench");
  if (jsonPath) writeFileSync(jsonPath, JSON.stringify(results, null, 2) + "\n");
  console.log(JSON.stringify(results));
} finally {
  clearTimeout(watchdog);
  await cleanup();
}
