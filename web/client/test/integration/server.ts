/**
 * The real `corkboard` binary for the integration tests: started on a free
 * port with its own managed PostgreSQL in a temporary data directory (the
 * binary runs it as the `postgres` user when the tests run as root),
 * killed with SIGKILL and restarted on the same data when a test asks, and
 * stopped with SIGTERM at the end (which stops its PostgreSQL too).
 *
 * The binary is `CORKBOARD_BIN`, or `debug/corkboard` in the workspace's
 * target directory (`CARGO_TARGET_DIR`, default `target/`), which
 * `cargo build -p server` builds (`cargo test --workspace` does too).
 */

import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, before } from "node:test";
import { fileURLToPath } from "node:url";

/** Longest wait for `/health/ready` (a first start runs initdb and the migrations). */
const READY_TIMEOUT_MS = 120_000;

/** The Cargo workspace root: the nearest directory above this file with a `Cargo.lock` (the app's tests compile this file elsewhere). */
const ROOT = (() => {
  let dir = fileURLToPath(new URL(".", import.meta.url));
  while (!existsSync(join(dir, "Cargo.lock"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("no Cargo.lock above the test build: run the tests inside the repository");
    dir = up;
  }
  return dir;
})();

function binary(): string {
  const target = process.env.CARGO_TARGET_DIR ? resolve(ROOT, process.env.CARGO_TARGET_DIR) : join(ROOT, "target");
  const bin = process.env.CORKBOARD_BIN ?? join(target, "debug/corkboard");
  if (!existsSync(bin)) throw new Error(`no corkboard binary at ${bin}: run \`cargo build -p server\` first (or set CORKBOARD_BIN)`);
  return bin;
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => res(port));
    });
  });
}

export class TestServer {
  private child: ChildProcess | undefined;
  private log = "";

  private constructor(
    readonly port: number,
    /** Its `CORKBOARD_DATA_DIR`: the managed PostgreSQL, and the development mail outbox (`mail/*.eml`). */
    readonly dataDir: string,
    private readonly env: Record<string, string>,
  ) {}

  /** The server's base URL. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts a server with a fresh data directory; `env` adds settings. */
  static async start(env: Record<string, string> = {}): Promise<TestServer> {
    const dataDir = mkdtempSync(join(tmpdir(), "corkboard-client-it-"));
    // The managed PostgreSQL runs as `postgres` under root: it must reach the directory.
    chmodSync(dataDir, 0o755);
    const server = new TestServer(await freePort(), dataDir, env);
    await server.launch();
    return server;
  }

  private async launch(): Promise<void> {
    // The managed PostgreSQL, not whatever DATABASE_URL the caller has.
    const { DATABASE_URL: _ignored, ...inherited } = process.env;
    const child = spawn(binary(), ["serve"], {
      env: {
        ...inherited,
        CORKBOARD_DATA_DIR: this.dataDir,
        CORKBOARD_BIND: `127.0.0.1:${this.port}`,
        CORKBOARD_ALLOWED_ORIGINS: this.url,
        CORKBOARD_RATE_LIMIT_IP_PER_SEC: "100000",
        CORKBOARD_RATE_LIMIT_IP_BURST: "100000",
        CORKBOARD_RATE_LIMIT_USER_PER_SEC: "100000",
        CORKBOARD_RATE_LIMIT_USER_BURST: "100000",
        CORKBOARD_LOGIN_MAX_FAILURES_PER_IP: "100000",
        RUST_LOG: process.env.RUST_LOG ?? "warn",
        ...this.env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    const keep = (chunk: Buffer) => {
      this.log = (this.log + chunk.toString()).slice(-20_000);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    const exited = new Promise<never>((_, rej) =>
      child.once("exit", (code, signal) => rej(new Error(`corkboard exited (${code ?? signal}) before it was ready:\n${this.log}`))),
    );
    const deadline = Date.now() + READY_TIMEOUT_MS;
    const ready = (async () => {
      while (Date.now() < deadline) {
        try {
          const res = await fetch(`${this.url}/health/ready`);
          if (res.ok) return;
        } catch {
          // Not listening yet.
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`corkboard was not ready within ${READY_TIMEOUT_MS} ms:\n${this.log}`);
    })();
    await Promise.race([ready, exited]);
    child.removeAllListeners("exit");
  }

  /** SIGKILL: no shutdown at all (its PostgreSQL keeps running and is reused by `restart`). */
  async kill9(): Promise<void> {
    await this.signal("SIGKILL");
  }

  /** Starts the binary again on the same port and data. */
  async restart(): Promise<void> {
    await this.launch();
  }

  /** SIGTERM (graceful: the managed PostgreSQL stops too), then the data directory goes. */
  async stop(): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) await this.signal("SIGTERM");
    else {
      // Killed and never restarted: start it once more so it stops its PostgreSQL.
      await this.launch();
      await this.signal("SIGTERM");
    }
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  private async signal(sig: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((res) => child.once("exit", () => res()));
    child.kill(sig);
    await exited;
  }

  /** The server's recent log (for failure messages). */
  recentLog(): string {
    return this.log;
  }
}

/** What a test file gets from {@link serverForFile}. */
export interface FileServer {
  /** The file's server (started before its first test). */
  readonly server: TestServer;
  /** Closes `client` after the file's tests, before the server stops; silences its `error` events. */
  track<C extends { close(): void; on(event: "error", listener: (e: unknown) => void): unknown }>(client: C): C;
}

/**
 * One server for the test file that calls this: started before its tests
 * (with `env` added to its settings), stopped after them, and every
 * tracked client closed first.
 */
export function serverForFile(env: Record<string, string> = {}): FileServer {
  let server: TestServer | undefined;
  const clients: Array<{ close(): void }> = [];
  before(async () => {
    server = await TestServer.start(env);
  });
  after(async () => {
    for (const c of clients) c.close();
    await server?.stop();
  });
  return {
    get server(): TestServer {
      if (!server) throw new Error("the file's server is not started yet (use it inside a test)");
      return server;
    },
    track(client) {
      client.on("error", () => {});
      clients.push(client);
      return client;
    },
  };
}
