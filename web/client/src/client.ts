/**
 * `createClient`: one connection, the boards and organizations followed on
 * it, the command pipeline, and a REST helper sharing the same auth.
 *
 * ```ts
 * const client = createClient({ url: "http://localhost:8080", auth: () => getToken() });
 * const board = client.board(boardId);
 * board.on("change", () => render(board.state));
 * await board.send({ type: "create_item", title: "Write the docs" });
 * ```
 */

import { BoardHandle, type BoardHost } from "./board.js";
import type { BackoffOptions } from "./backoff.js";
import type { Format } from "./codec.js";
import { Pipeline } from "./commands.js";
import { Connection, type Auth, type Status } from "./connection.js";
import { Emitter } from "./emitter.js";
import { CommandRejected, CorkboardError, ServerError } from "./errors.js";
import type { BoardId, Command, OrgId, PresenceState, ServerMsg, UserId } from "./generated/protocol.js";
import { OrgHandle } from "./org.js";
import { MemoryStore, Outbox, type CommandStore } from "./queue.js";
import { Rest } from "./rest.js";

/** Settings of {@link createClient}. */
export interface ClientOptions {
  /** The server: `http(s)://host[:port]` (the WebSocket is `/ws`, REST `/api/v1`), or a `ws(s)://…/ws` URL. */
  url: string;
  /** An access token or API key, or a function returning a fresh one (refreshed before expiry). */
  auth: Auth;
  /** Wire encoding (default `json`; `msgpack` loads `@msgpack/msgpack`). */
  format?: Format;
  /** Where unanswered commands are kept (default: memory; `IndexedDBStore` survives reloads). */
  store?: CommandStore;
  /** Most commands waiting at once (default 1,000). */
  maxQueue?: number;
  /** Most commands sent and not yet answered (default 64). */
  maxInFlight?: number;
  /** Reconnect backoff. */
  backoff?: BackoffOptions;
  /** The WebSocket constructor (default: the global one). */
  WebSocket?: typeof WebSocket;
  /** The fetch function for REST (default: the global one). */
  fetch?: typeof fetch;
  /** Ping interval in ms (default: from the server's idle timeout). */
  heartbeatMs?: number;
}

type Events = {
  status: Status;
  /** A server `error` not tied to a board (e.g. `rate_limited` on a subscribe burst). */
  error: CorkboardError;
  /** Any command the server refused, on any board (also those restored from the store). */
  rejected: CommandRejected;
  /** Any command committed. */
  acked: { board: BoardId; id: string; seq: number };
  /** A command refused for now (`rate_limited`, `overloaded`…): it goes again with its id after `delayMs`. */
  retrying: { board: BoardId; id: string; code: string; delayMs: number };
};

function parses(url: string): boolean {
  try {
    return ["http:", "https:", "ws:", "wss:"].includes(new URL(url).protocol);
  } catch {
    return false;
  }
}

/** Splits a base URL into the WebSocket and REST endpoints. */
export function endpoints(url: string): { ws: string; http: string } {
  const u = new URL(url);
  const secure = u.protocol === "https:" || u.protocol === "wss:";
  const origin = `${secure ? "https" : "http"}://${u.host}`;
  const ws = u.protocol.startsWith("ws") && u.pathname !== "/" ? u.href : `${secure ? "wss" : "ws"}://${u.host}/ws`;
  return { ws, http: origin };
}

export class Client extends Emitter<Events> implements BoardHost {
  /** The REST helper, with the same auth. */
  readonly rest: Rest;
  private readonly connection: Connection;
  private readonly outbox: Outbox;
  private readonly pipeline: Pipeline;
  private readonly boards = new Map<BoardId, BoardHandle>();
  private readonly orgs = new Map<OrgId, OrgHandle>();
  private restored: Promise<void>;

  constructor(options: ClientOptions) {
    super();
    const auth: unknown = options.auth;
    if (!(typeof auth === "function" || (typeof auth === "string" && auth.length > 0))) {
      throw new CorkboardError("invalid_options", "createClient: `auth` must be a token (a non-empty string) or a function returning one");
    }
    if (typeof options.url !== "string" || !parses(options.url)) {
      throw new CorkboardError("invalid_options", `createClient: \`url\` must be an absolute http(s) or ws(s) URL, not ${JSON.stringify(options.url)}`);
    }
    const { ws, http } = endpoints(options.url);
    this.rest = new Rest(http, options.auth, options.fetch);
    const connection = new Connection({
      wsUrl: ws,
      auth: options.auth,
      format: options.format ?? "json",
      ...(options.backoff ? { backoff: options.backoff } : {}),
      ...(options.WebSocket ? { WebSocket: options.WebSocket } : {}),
      ...(options.heartbeatMs !== undefined ? { heartbeatMs: options.heartbeatMs } : {}),
    });
    this.connection = connection;
    this.outbox = new Outbox(options.store ?? new MemoryStore(), options.maxQueue, (e) =>
      this.emit("error", new CorkboardError("protocol_error", `the command store failed: ${String(e)}`)),
    );
    this.pipeline = new Pipeline(
      this.outbox,
      {
        get open() {
          return connection.open;
        },
        send: (msg) => connection.send(msg),
        get maxMessageBytes() {
          return connection.limits?.max_frame_bytes;
        },
        sizeOf: (msg) => connection.sizeOf(msg),
      },
      {
        acked: (board, id, seq) => {
          this.boards.get(board)?.onAck(id, seq);
          this.emit("acked", { board, id, seq });
        },
        rejected: (error) => {
          this.boards.get(error.board)?.onRejected(error);
          this.emit("rejected", error);
        },
        retrying: (board, id, code, delayMs) => this.emit("retrying", { board, id, code, delayMs }),
      },
      options.maxInFlight,
    );
    connection.on("status", (status) => {
      if (status.state !== "open") this.pipeline.disconnected();
      if (status.state === "closed") this.shutdown(status.reason);
      this.emit("status", status);
    });
    connection.on("welcome", () => this.resume());
    connection.on("message", (msg) => this.route(msg));
    this.restored = this.outbox.restore().then(
      (stored) => {
        for (const c of stored) this.boards.get(c.board)?.track(c.id, c.command);
        this.pipeline.restore(stored);
      },
      (e) => this.emit("error", new CorkboardError("protocol_error", `the command store could not be read: ${String(e)}`)),
    );
    connection.start();
  }

  /** The connection's state, for a UI. */
  get status(): Status {
    return this.connection.status;
  }

  /** The authenticated user, once welcomed. */
  get user(): UserId | undefined {
    const s = this.connection.status;
    return s.state === "open" ? s.user : this.lastUser;
  }
  private lastUser: UserId | undefined;

  /** This connection's session id, while open. */
  get session(): string | undefined {
    const s = this.connection.status;
    return s.state === "open" ? s.session : undefined;
  }

  /** Commands not yet answered (queued offline or in flight). */
  get queued(): number {
    return this.outbox.size;
  }

  /**
   * Resolves once every command issued so far is in the store (with an
   * `IndexedDBStore`: committed to IndexedDB). Await it before closing a
   * page on purpose; writes are issued at once anyway, so even a page
   * closed abruptly has handed them over.
   */
  flushed(): Promise<void> {
    return this.outbox.flushed();
  }

  /** Resolves once commands kept by the store are loaded (and queued for sending). */
  ready(): Promise<void> {
    return this.restored;
  }

  /** Follows a board (subscribing, or resuming after a reconnect); one handle per board. */
  board(id: BoardId): BoardHandle {
    if (typeof id !== "string" || id.length === 0) throw new CorkboardError("invalid_options", `client.board: a board id is a UUID string, not ${JSON.stringify(id)}`);
    let handle = this.boards.get(id);
    if (handle) return handle;
    handle = new BoardHandle(id, this);
    this.boards.set(id, handle);
    for (const c of this.outbox.all()) if (c.board === id) handle.track(c.id, c.command);
    this.subscribe(id);
    return handle;
  }

  /** Follows an organization's channel (members, boards). */
  org(id: OrgId): OrgHandle {
    let handle = this.orgs.get(id);
    if (handle) return handle;
    handle = new OrgHandle(id, this);
    this.orgs.set(id, handle);
    this.connection.send({ type: "subscribe_org", org: id });
    return handle;
  }

  /** Closes the connection for good; unanswered commands are refused with `client_closed` (the store keeps them). */
  close(): void {
    this.connection.stop(new CorkboardError("client_closed", "the client was closed"));
  }

  // --- BoardHost / OrgHost ---

  /** @internal */
  submit(board: BoardId, command: Command) {
    return this.pipeline.submit(board, command);
  }

  /** @internal */
  subscribe(board: BoardId): void {
    const handle = this.boards.get(board);
    const since = handle && handle.seq > 0 ? handle.seq : undefined;
    const sent = this.connection.send(since === undefined ? { type: "subscribe", board } : { type: "subscribe", board, since });
    if (sent && handle) {
      const restore = handle.presenceToRestore;
      if (restore) this.connection.send({ type: "presence", board, state: restore });
    }
  }

  /** @internal */
  unsubscribe(board: BoardId): void {
    const handle = this.boards.get(board);
    if (!handle) return;
    this.boards.delete(board);
    this.connection.send({ type: "unsubscribe", board });
    handle.setStatus("unsubscribed");
  }

  /** @internal */
  presence(board: BoardId, state: PresenceState): void {
    this.connection.send({ type: "presence", board, state });
  }

  /** @internal */
  unsubscribeOrg(org: OrgId): void {
    const handle = this.orgs.get(org);
    if (!handle) return;
    this.orgs.delete(org);
    this.connection.send({ type: "unsubscribe_org", org });
    handle.setStatus("unsubscribed");
  }

  /** After every `welcome`: resume each board with `since`, resubscribe orgs, send what waits. */
  private resume(): void {
    this.lastUser = this.user;
    for (const handle of this.boards.values()) {
      handle.onResuming();
      this.subscribe(handle.id);
    }
    for (const org of this.orgs.keys()) this.connection.send({ type: "subscribe_org", org });
    this.pipeline.pump();
  }

  private shutdown(reason: CorkboardError): void {
    this.pipeline.close();
    for (const handle of this.boards.values()) {
      for (const id of handle.pending) handle.forget(id);
      handle.setStatus("unsubscribed", reason);
    }
    for (const org of this.orgs.values()) org.setStatus("unsubscribed", reason);
  }

  private route(msg: ServerMsg): void {
    switch (msg.type) {
      case "snapshot":
        this.boards.get(msg.board)?.onSnapshot(msg.state, msg.seq, msg.reset === true);
        return;
      case "event": {
        const handle = this.boards.get(msg.board);
        if (handle && !handle.onEvent(msg)) this.subscribe(msg.board);
        return;
      }
      case "ack":
        this.pipeline.onAck(msg.id, msg.board, msg.seq);
        return;
      case "rejected":
        this.pipeline.onRejected(msg.id, msg.code, msg.message, msg.retryable, msg.details);
        return;
      case "unsubscribed": {
        const handle = this.boards.get(msg.board);
        if (!handle || msg.reason === "requested") return;
        if (msg.reason === "board_restarted") {
          this.subscribe(msg.board);
          return;
        }
        this.boards.delete(msg.board);
        handle.setStatus("unsubscribed", new ServerError(msg.reason, `the subscription ended: ${msg.reason}`, msg.board));
        return;
      }
      case "error": {
        const handle = msg.board ? this.boards.get(msg.board) : undefined;
        const error = new ServerError(msg.code, msg.message, msg.board ?? undefined);
        const org = msg.org ? this.orgs.get(msg.org) : undefined;
        if (org && org.status !== "live") {
          // A refused subscribe_org: the organization does not exist for this user.
          this.orgs.delete(org.id);
          org.setStatus("failed", error);
        }
        if (handle && msg.code !== "already_subscribed" && handle.status !== "live") {
          if (error.retryable) {
            setTimeout(() => this.subscribe(handle.id), 1_000);
          } else {
            this.boards.delete(handle.id);
            handle.setStatus("failed", error);
          }
        }
        this.emit("error", error);
        return;
      }
      case "org_snapshot":
        this.orgs.get(msg.org)?.onSnapshot(msg.name, msg.key, msg.members, msg.boards);
        return;
      case "org_event":
        this.orgs.get(msg.org)?.onEvent(msg.event, msg.at);
        return;
      case "org_unsubscribed": {
        const handle = this.orgs.get(msg.org);
        if (!handle || msg.reason === "requested") return;
        this.orgs.delete(msg.org);
        handle.setStatus("unsubscribed", new ServerError(msg.reason, `the organization channel ended: ${msg.reason}`));
        return;
      }
      case "presence":
        this.boards.get(msg.board)?.onPresence(msg.sessions);
        return;
      case "presence_changed":
        this.boards.get(msg.board)?.onPresenceChanged(msg.change, msg.entry);
        return;
      default:
        return;
    }
  }
}

/** A client connected to `options.url`; it connects at once and reconnects by itself. */
export function createClient(options: ClientOptions): Client {
  return new Client(options);
}
