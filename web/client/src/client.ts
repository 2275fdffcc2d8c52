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
import { Pipeline, type Transport } from "./commands.js";
import { Connection, type Status } from "./connection.js";
import { Emitter } from "./emitter.js";
import { CommandRejected, CorkboardError, ServerError } from "./errors.js";
import {
  ORG_REQUEST_TYPES,
  PRESENCE_MIN_INTERVAL_MS,
  type BoardId,
  type Command,
  type OrgId,
  type OrgRequest,
  type PresenceState,
  type ServerMsg,
  type UserId,
} from "./generated/protocol.js";
import { Backoff } from "./backoff.js";
import { OrgHandle, type OrgHost } from "./org.js";
import { OrgCommands } from "./org-commands.js";
import { MemoryStore, Outbox } from "./queue.js";
import { Rest } from "./rest.js";
import { endpoints, validateOptions, type ClientOptions } from "./options.js";

export { endpoints, type ClientOptions };

/** The codes that refuse a subscription for good (the board or org is not there for this user). */
const SUBSCRIBE_REFUSALS: ReadonlySet<string> = new Set(["not_found", "forbidden", "too_many_subscriptions", "access_lost"]);
/** The least wait before asking again for subscriptions refused for now. */
const SUBSCRIBE_RETRY_FLOOR_MS = 250;

type Events = {
  status: Status;
  /** A server `error` not tied to a board (e.g. `rate_limited` on a subscribe burst). */
  error: CorkboardError;
  /** Any command the server refused, on any board (also those restored from the store). */
  rejected: CommandRejected;
  /** Any command committed. */
  acked: { board: BoardId; id: string; seq: number };
  /**
   * A command refused for now (`rate_limited`, `overloaded`…): it goes
   * again with its id after `delayMs`. A board command names its `board`,
   * an organization command its `org`.
   */
  retrying: ({ board: BoardId; org?: never } | { org: OrgId; board?: never }) & { id: string; code: string; delayMs: number };
};

const ORG_REQUESTS: ReadonlySet<string> = new Set(ORG_REQUEST_TYPES);

export class Client extends Emitter<Events> implements BoardHost, OrgHost {
  /** The REST helper, with the same auth. */
  readonly rest: Rest;
  private readonly connection: Connection;
  private readonly outbox: Outbox;
  private readonly pipeline: Pipeline;
  private readonly orgCommands: OrgCommands;
  private readonly boards = new Map<BoardId, BoardHandle>();
  private readonly orgs = new Map<OrgId, OrgHandle>();
  /** Unanswered commands by id, with the handle that predicts them. */
  private readonly owners = new Map<string, BoardHandle>();
  private restored: Promise<void>;

  constructor(options: ClientOptions) {
    super();
    validateOptions(options);
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
    const transport: Transport = {
      get open() {
        return connection.open;
      },
      send: (msg) => connection.send(msg),
      get maxMessageBytes() {
        return connection.limits?.max_frame_bytes;
      },
      sizeOf: (msg) => connection.sizeOf(msg),
    };
    this.pipeline = new Pipeline(
      this.outbox,
      transport,
      {
        acked: (board, id, seq) => {
          this.ownerOf(board, id)?.onAck(id, seq);
          this.emit("acked", { board, id, seq });
        },
        rejected: (error) => {
          this.ownerOf(error.board, error.commandId)?.onRejected(error);
          this.emit("rejected", error);
        },
        retrying: (board, id, code, delayMs) => this.emit("retrying", { board, id, code, delayMs }),
      },
      options.maxInFlight,
    );
    this.orgCommands = new OrgCommands(
      transport,
      { retrying: (org, id, code, delayMs) => this.emit("retrying", { org, id, code, delayMs }) },
      options.maxQueue,
      options.maxInFlight,
    );
    connection.on("status", (status) => {
      if (status.state !== "open") {
        this.pipeline.disconnected();
        this.orgCommands.disconnected();
      }
      if (status.state === "closed") this.shutdown(status.reason);
      this.emit("status", status);
    });
    connection.on("welcome", ({ user }) => {
      this.pipeline.setUser(user);
      this.resume();
    });
    connection.on("message", (msg) => this.route(msg));
    this.restored = this.outbox.restore().then(
      (stored) => {
        for (const c of stored) {
          const handle = this.boards.get(c.board);
          if (handle) {
            handle.track(c.id, c.command);
            this.owners.set(c.id, handle);
          }
        }
        this.pipeline.restore(stored);
      },
      (e) => {
        this.emit("error", new CorkboardError("protocol_error", `the command store could not be read: ${String(e)}`));
        this.pipeline.restore([]);
      },
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

  /** Commands not yet answered (queued offline or in flight), board and organization ones. */
  get queued(): number {
    return this.outbox.size + this.orgCommands.size;
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
    if (this.connection.status.state === "closed") throw new CorkboardError("client_closed", "the client is closed; create a new one");
    let handle = this.boards.get(id);
    if (handle) return handle;
    handle = new BoardHandle(id, this);
    this.boards.set(id, handle);
    for (const c of this.outbox.all()) {
      if (c.board === id && !this.owners.has(c.id)) {
        handle.track(c.id, c.command);
        this.owners.set(c.id, handle);
      }
    }
    this.subscribe(id);
    return handle;
  }

  /** Follows an organization's channel (members, boards). */
  org(id: OrgId): OrgHandle {
    if (typeof id !== "string" || id.length === 0) throw new CorkboardError("invalid_options", `client.org: an organization id is a UUID string, not ${JSON.stringify(id)}`);
    if (this.connection.status.state === "closed") throw new CorkboardError("client_closed", "the client is closed; create a new one");
    let handle = this.orgs.get(id);
    if (handle) return handle;
    handle = new OrgHandle(id, this);
    this.orgs.set(id, handle);
    this.connection.send({ type: "subscribe_org", org: id });
    return handle;
  }

  /**
   * Runs an organization command: resolves `{seq}` once the server has
   * committed it (`org_ack`), or rejects with `OrgCommandRejected`
   * carrying the server's `code`, `message` and `details` (e.g.
   * `last_owner`, `forbidden`). Following the organization (`org(id)`) is
   * not needed. Queued in memory while offline and sent again with its id
   * after a reconnect until answered; never kept in the `store`.
   */
  orgCommand(org: OrgId, command: OrgRequest): Promise<{ seq: number }> {
    if (typeof org !== "string" || org.length === 0) {
      return Promise.reject(new CorkboardError("invalid_options", `client.orgCommand: an organization id is a UUID string, not ${JSON.stringify(org)}`));
    }
    const type: unknown = (command as { type?: unknown } | null)?.type;
    if (typeof type !== "string" || !ORG_REQUESTS.has(type)) {
      return Promise.reject(
        new CorkboardError("invalid_options", `client.orgCommand: the command's type is one of ${ORG_REQUEST_TYPES.join(", ")}, not ${JSON.stringify(type)}`),
      );
    }
    return this.orgCommands.submit(org, command).done;
  }

  /** Closes the connection for good; unanswered commands are refused with `client_closed` (the store keeps board commands). */
  close(): void {
    this.connection.stop(new CorkboardError("client_closed", "the client was closed"));
  }

  // --- BoardHost / OrgHost ---

  /** @internal */
  submit(handle: BoardHandle, command: Command) {
    const submitted = this.pipeline.submit(handle.id, command);
    if (submitted.queued) this.owners.set(submitted.id, handle);
    return submitted;
  }

  /** The handle that shows a command's prediction: the one that sent it, even if closed since. */
  private ownerOf(board: BoardId, id: string): BoardHandle | undefined {
    const owner = this.owners.get(id);
    this.owners.delete(id);
    return owner ?? this.boards.get(board);
  }

  /** @internal */
  subscribe(board: BoardId): void {
    const handle = this.boards.get(board);
    const since = handle && handle.seq > 0 ? handle.seq : undefined;
    const sent = this.connection.send(since === undefined ? { type: "subscribe", board } : { type: "subscribe", board, since });
    if (sent && handle) {
      const restore = handle.presenceToRestore;
      if (restore) this.presence(board, restore);
    }
  }

  /** @internal */
  unsubscribe(board: BoardId): void {
    const handle = this.boards.get(board);
    if (!handle) return;
    this.boards.delete(board);
    const slot = this.presenceSlots.get(board);
    if (slot?.timer !== undefined) clearTimeout(slot.timer);
    this.presenceSlots.delete(board);
    this.connection.send({ type: "unsubscribe", board });
    handle.setStatus("unsubscribed");
  }

  /**
   * @internal Sent at most once per `PRESENCE_MIN_INTERVAL_MS` per board
   * (the server shows no more anyway): the latest state wins.
   */
  presence(board: BoardId, state: PresenceState): void {
    const slot = this.presenceSlots.get(board) ?? { sentAt: 0, timer: undefined, latest: state };
    slot.latest = state;
    this.presenceSlots.set(board, slot);
    if (slot.timer !== undefined) return;
    const wait = slot.sentAt + PRESENCE_MIN_INTERVAL_MS - Date.now();
    const flush = () => {
      slot.timer = undefined;
      slot.sentAt = Date.now();
      this.connection.send({ type: "presence", board, state: slot.latest });
    };
    if (wait <= 0) flush();
    else slot.timer = setTimeout(flush, wait);
  }
  private readonly presenceSlots = new Map<BoardId, { sentAt: number; timer: ReturnType<typeof setTimeout> | undefined; latest: PresenceState }>();

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
    for (const org of this.orgs.values()) {
      org.setStatus("resuming");
      this.connection.send({ type: "subscribe_org", org: org.id });
    }
    this.pipeline.pump();
    this.orgCommands.pump();
  }

  /**
   * A subscribe refused for now (rate limited, overloaded — with or
   * without its board named): every board and org not yet live is asked
   * for again after a backoff.
   */
  private resubscribeSoon(): void {
    if (this.resubscribeTimer !== undefined) return;
    this.resubscribeTimer = setTimeout(() => {
      this.resubscribeTimer = undefined;
      if (!this.connection.open) return;
      for (const handle of this.boards.values()) if (handle.status !== "live") this.subscribe(handle.id);
      for (const org of this.orgs.values()) if (org.status !== "live") this.connection.send({ type: "subscribe_org", org: org.id });
    }, this.subscribeBackoff.next(SUBSCRIBE_RETRY_FLOOR_MS));
  }
  private resubscribeTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly subscribeBackoff = new Backoff({ baseMs: 500, maxMs: 10_000 });

  private shutdown(reason: CorkboardError): void {
    this.pipeline.close();
    this.orgCommands.close();
    if (this.resubscribeTimer !== undefined) clearTimeout(this.resubscribeTimer);
    for (const slot of this.presenceSlots.values()) if (slot.timer !== undefined) clearTimeout(slot.timer);
    for (const handle of this.boards.values()) {
      for (const id of handle.pending) handle.forget(id);
      handle.setStatus("unsubscribed", reason);
    }
    for (const org of this.orgs.values()) org.setStatus("unsubscribed", reason);
  }

  private route(msg: ServerMsg): void {
    switch (msg.type) {
      case "snapshot":
        this.subscribeBackoff.reset();
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
      case "org_ack":
        this.orgCommands.onAck(msg.id, msg.seq);
        return;
      case "rejected":
        // Ids are fresh UUIDs: one is either an organization command's or a board command's.
        if (this.orgCommands.has(msg.id)) this.orgCommands.onRejected(msg.id, msg.code, msg.message, msg.retryable, msg.details);
        else this.pipeline.onRejected(msg.id, msg.code, msg.message, msg.retryable, msg.details);
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
        if (error.retryable && (msg.board ? handle?.status !== "live" : true) && (msg.org ? org?.status !== "live" : true)) {
          this.resubscribeSoon();
        } else if (org && org.status !== "live" && SUBSCRIBE_REFUSALS.has(msg.code)) {
          this.orgs.delete(org.id);
          org.setStatus("failed", error);
        } else if (handle && handle.status !== "live" && SUBSCRIBE_REFUSALS.has(msg.code)) {
          this.boards.delete(handle.id);
          handle.setStatus("failed", error);
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
        // Every subscribe's answer ends with it: subscribing works again.
        this.subscribeBackoff.reset();
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
