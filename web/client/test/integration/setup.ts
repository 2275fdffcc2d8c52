/**
 * Accounts, organizations and boards for the integration tests, made
 * through the real REST API (plain fetch, independent of the client's own
 * REST helper), and a TCP proxy that can cut the network between a client
 * and the server.
 */

import { createHmac } from "node:crypto";
import { createServer, connect, type Server, type Socket } from "node:net";

let counter = 0;

/** A logged-in user. */
export interface User {
  id: string;
  email: string;
  password: string;
  token: string;
  refreshToken: string;
  sessionId: string;
}

async function call<T>(base: string, method: string, path: string, body?: unknown, token?: string): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  if (token) headers.authorization = `Bearer ${token}`;
  const init: RequestInit = { method, headers };
  if (body !== undefined) init.body = JSON.stringify(body);
  const res = await fetch(`${base}/api/v1${path}`, init);
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Registers and logs in a new user. */
export async function newUser(base: string, name = "user"): Promise<User> {
  counter += 1;
  const email = `${name}-${process.pid}-${counter}-${Date.now()}@example.com`;
  const password = "correct horse battery staple";
  await call(base, "POST", "/auth/register", { email, password, name });
  const login = await call<{ user: { id: string }; access_token: string; refresh_token: string; session_id: string }>(base, "POST", "/auth/login", {
    email,
    password,
  });
  return { id: login.user.id, email, password, token: login.access_token, refreshToken: login.refresh_token, sessionId: login.session_id };
}

/** An organization owned by `owner` with one board (columns "To do", "In progress", "Done"). */
export async function newBoard(base: string, owner: User): Promise<{ org: string; board: string; key: string }> {
  counter += 1;
  const key = `T${(Date.now() % 100_000) + counter}`.slice(0, 6).replace(/[^A-Z0-9]/g, "X");
  const org = await call<{ id: string }>(base, "POST", "/orgs", { name: `Org ${counter}`, key }, owner.token);
  const created = await call<{ board: { id: string } }>(base, "POST", `/orgs/${org.id}/boards`, { name: "Roadmap" }, owner.token);
  return { org: org.id, board: created.board.id, key };
}

/** Adds `user` to `org` with `role`. */
export async function addMember(base: string, owner: User, org: string, user: User, role: string): Promise<void> {
  await call(base, "POST", `/orgs/${org}/members`, { email: user.email, role }, owner.token);
}

/** Ada's new board with Bob as a member of its organization in `role`. */
export async function sharedBoard(base: string, role: string): Promise<{ ada: User; bob: User; org: string; board: string }> {
  const ada = await newUser(base, "ada");
  const bob = await newUser(base, "bob");
  const { org, board } = await newBoard(base, ada);
  await addMember(base, ada, org, bob, role);
  return { ada, bob, org, board };
}

/** Any REST call, for the odd step a test needs. */
export { call };

/**
 * A token like the server's, signed with the test server's secret, but
 * expiring `ttlMs` from now (the server's own floor is 60 s): the claims of
 * a real access token, with `exp` replaced.
 */
export function shortLivedToken(realToken: string, secret: string, ttlSecs: number): string {
  const [header, payload] = realToken.split(".") as [string, string];
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString()) as Record<string, unknown>;
  const now = Math.floor(Date.now() / 1000);
  const body = Buffer.from(JSON.stringify({ ...claims, iat: now, nbf: now, exp: now + ttlSecs, jti: crypto.randomUUID() })).toString("base64url");
  const signature = createHmac("sha256", secret).update(`${header}.${body}`).digest("base64url");
  return `${header}.${body}.${signature}`;
}

/** A TCP proxy in front of the server whose network can be cut and restored. */
export class CuttableProxy {
  private readonly sockets = new Set<Socket>();
  private readonly upstreams = new Set<Socket>();
  private cutOff = false;
  private holding = false;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  /** A proxy on a free port forwarding to `targetPort`. */
  static async start(targetPort: number): Promise<CuttableProxy> {
    let proxy: CuttableProxy | undefined = undefined;
    const server = createServer((client) => {
      if (!proxy || proxy.cutOff) {
        client.destroy();
        return;
      }
      const upstream = connect(targetPort, "127.0.0.1");
      for (const s of [client, upstream]) {
        proxy.sockets.add(s);
        s.on("close", () => proxy?.sockets.delete(s));
        s.on("error", () => {
          client.destroy();
          upstream.destroy();
        });
      }
      proxy.upstreams.add(upstream);
      upstream.on("close", () => proxy?.upstreams.delete(upstream));
      client.pipe(upstream);
      if (!proxy.holding) upstream.pipe(client);
    });
    await new Promise<void>((res) => server.listen(0, "127.0.0.1", () => res()));
    const addr = server.address();
    proxy = new CuttableProxy(server, typeof addr === "object" && addr ? addr.port : 0);
    return proxy;
  }

  /** The URL to give a client. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Lets requests through but holds every answer back (a one-way network failure). */
  holdAnswers(): void {
    this.holding = true;
    for (const s of this.upstreams) {
      s.unpipe();
      s.pause();
    }
  }

  /** Drops every connection and refuses new ones, like a network that is gone. */
  cut(): void {
    this.cutOff = true;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  /** The network is back. */
  restore(): void {
    this.cutOff = false;
    this.holding = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((res) => this.server.close(() => res()));
  }
}
