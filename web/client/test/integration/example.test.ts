/**
 * The README's example (`examples/live.mjs`, shown there verbatim) runs as
 * a newcomer runs it, against the real server, through the built package.
 */

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { after, before, it } from "node:test";
import { fileURLToPath } from "node:url";

import { TestServer } from "./server.js";
import { newBoard, newUser } from "./setup.js";

const example = fileURLToPath(new URL("../../../examples/live.mjs", import.meta.url));
const readme = fileURLToPath(new URL("../../../../../README.md", import.meta.url));
let server: TestServer;

before(async () => {
  server = await TestServer.start();
});
after(async () => {
  await server?.stop();
});

it("the README shows the example verbatim", () => {
  assert.ok(readFileSync(readme, "utf8").includes(readFileSync(example, "utf8")), "README.md no longer shows web/client/examples/live.mjs verbatim");
});

it("the example creates a card and prints its commit", async () => {
  const ada = await newUser(server.url, "ada");
  const { board } = await newBoard(server.url, ada);
  const out = await new Promise<string>((resolve, reject) =>
    execFile(
      process.execPath,
      ["--experimental-websocket", "--no-warnings", example],
      { env: { ...process.env, CORKBOARD_URL: server.url, TOKEN: ada.token, BOARD: board }, timeout: 30_000 },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stdout}\n${stderr}`)) : resolve(stdout)),
    ),
  );
  assert.match(out, /^connection: open$/m);
  assert.match(out, /^Roadmap: 1 cards, seq \d+$/m);
  assert.match(out, /^committed as event \d+$/m);
  assert.match(out, /^connection: closed \(the client was closed\)$/m);
});
