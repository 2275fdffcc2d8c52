/**
 * The command pipeline: every command goes into the outbox first, is sent
 * (at most `maxInFlight` unanswered at once, in issue order) whenever the
 * connection is open, and stays there until the server answers. A
 * retryable refusal (`rate_limited`, `overloaded`, `unavailable`,
 * `timeout`) pauses sending for the server's `retry_after_ms` (or a
 * backoff) and the command is sent again with the same id; a reconnect
 * sends every unanswered command again with its id. The server's
 * idempotency makes each apply exactly once.
 */

import { RetryPause } from "./backoff.js";
import { CommandRejected } from "./errors.js";
import type { BoardId, ClientMsg, Command } from "./generated/protocol.js";
import type { Outbox, StoredCommand } from "./queue.js";

/** Retryable refusals of one command before it is given up (`retries_exhausted`). */
export const MAX_RETRIES = 20;
/** Default most commands sent and not yet answered. */
export const DEFAULT_MAX_IN_FLIGHT = 64;

interface Entry {
  stored: StoredCommand;
  inFlight: boolean;
  retries: number;
  resolve?: (ack: { seq: number }) => void;
  reject?: (e: CommandRejected) => void;
}

/** What the pipeline needs from the connection. */
export interface Transport {
  readonly open: boolean;
  send(msg: ClientMsg): boolean;
  /** The largest message the server accepts, once known. */
  readonly maxMessageBytes: number | undefined;
  sizeOf(msg: ClientMsg): number;
}

/** How commands end, for whoever is interested (boards, the client's listeners). */
export interface Settled {
  acked(board: BoardId, id: string, seq: number): void;
  rejected(error: CommandRejected): void;
  /** A retryable refusal: the command goes again (same id) after `delayMs`. */
  retrying(board: BoardId, id: string, code: string, delayMs: number): void;
}

/** A fresh command id: a UUID where available. */
export function newCommandId(): string {
  const c = globalThis.crypto as Crypto | undefined;
  if (c?.randomUUID) return c.randomUUID();
  return `c-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

/**
 * Why `msg` exceeds the server's message limit, once that is known;
 * `undefined` when it fits (or the limit is not known yet).
 */
export function oversize(transport: Transport, msg: ClientMsg): string | undefined {
  const limit = transport.maxMessageBytes;
  if (limit === undefined) return undefined;
  const size = transport.sizeOf(msg);
  return size > limit ? `the command is ${size} bytes; the server accepts at most ${limit}` : undefined;
}

export class Pipeline {
  private readonly entries = new Map<string, Entry>();
  private closed = false;
  private pumping = false;
  private pumpAgain = false;
  /** Nothing is sent before the store's commands are loaded (they go first). */
  private restored = false;
  /** The user commands are sent as (from `welcome`). */
  private user: string | undefined;
  private readonly pause = new RetryPause(() => this.pump());

  constructor(
    private readonly outbox: Outbox,
    private readonly transport: Transport,
    private readonly settled: Settled,
    private readonly maxInFlight = DEFAULT_MAX_IN_FLIGHT,
  ) {}

  /** Commands kept from an earlier page or process: sent like new ones, settled through `Settled` only. */
  restore(commands: readonly StoredCommand[]): void {
    for (const stored of commands) {
      if (!this.entries.has(stored.id)) this.entries.set(stored.id, { stored, inFlight: false, retries: 0 });
    }
    this.restored = true;
    this.pump();
  }

  /**
   * The session's user (after every `welcome`): commands without one are
   * stamped with it; commands another user queued (a shared store, a
   * different login) are refused `user_mismatch`, never sent as this one.
   */
  setUser(user: string): void {
    this.user = user;
    for (const e of [...this.entries.values()]) this.checkUser(e);
  }

  /**
   * Stamps a command with the session's user, or refuses it when another
   * user queued it. `false` when it must not be sent. Checked again right
   * before sending, so commands restored after the `welcome` are too.
   */
  private checkUser(e: Entry): boolean {
    if (this.user === undefined || this.entries.get(e.stored.id) !== e) return false;
    if (e.stored.user === undefined) {
      e.stored.user = this.user;
      this.outbox.update(e.stored);
    } else if (e.stored.user !== this.user) {
      this.fail(e, new CommandRejected(e.stored.id, e.stored.board, "user_mismatch", "queued by another user: not sent"));
      return false;
    }
    return true;
  }

  /** Unanswered commands, oldest first. */
  waiting(): StoredCommand[] {
    return this.outbox.all();
  }

  /** Queues a command; the promise settles with the server's answer. */
  submit(board: BoardId, command: Command): { id: string; done: Promise<{ seq: number }>; queued: boolean } {
    const id = newCommandId();
    const refuse = (code: "queue_full" | "message_too_large" | "client_closed", message: string) => ({
      id,
      done: Promise.reject(new CommandRejected(id, board, code, message)),
      queued: false,
    });
    if (this.closed) return refuse("client_closed", "the client is closed; create a new one to send commands");
    const tooLarge = oversize(this.transport, { type: "command", id, board, command });
    if (tooLarge) return refuse("message_too_large", tooLarge);
    const stored = this.outbox.add(id, board, command, Date.now(), this.user);
    if (!stored) return refuse("queue_full", `the offline queue is full (${this.outbox.max} commands wait); try again once they are sent`);
    let resolve!: Entry["resolve"];
    let reject!: Entry["reject"];
    const done = new Promise<{ seq: number }>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.entries.set(id, { stored, inFlight: false, retries: 0, resolve, reject });
    this.pump();
    return { id, done, queued: true };
  }

  /** Sends what may be sent now. */
  pump(): void {
    // A refusal below runs listeners, which may send (and pump) again:
    // that pump waits for this one to finish and then runs.
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        this.pumpOnce();
      } while (this.pumpAgain);
    } finally {
      this.pumping = false;
    }
  }

  private pumpOnce(): void {
    if (!this.restored || this.user === undefined || !this.transport.open || this.pause.active) return;
    let inFlight = 0;
    for (const e of this.entries.values()) if (e.inFlight) inFlight++;
    for (const e of [...this.entries.values()].sort((a, b) => a.stored.order - b.stored.order)) {
      if (inFlight >= this.maxInFlight) break;
      if (e.inFlight || !this.checkUser(e)) continue;
      const { id, board, command } = e.stored;
      const msg = { type: "command", id, board, command } as const;
      // Queued before the server's limit was known (offline, or by an
      // earlier page): the server would answer it with no command id.
      const tooLarge = oversize(this.transport, msg);
      if (tooLarge) {
        this.fail(e, new CommandRejected(id, board, "message_too_large", tooLarge));
        continue;
      }
      if (!this.transport.send(msg)) break;
      e.inFlight = true;
      inFlight++;
    }
  }

  /** The connection dropped: nothing is in flight any more (it is all sent again). */
  disconnected(): void {
    for (const e of this.entries.values()) e.inFlight = false;
  }

  /** An `ack`. */
  onAck(id: string, board: BoardId, seq: number): void {
    const e = this.entries.get(id);
    this.entries.delete(id);
    this.outbox.remove(id);
    this.pause.succeeded();
    e?.resolve?.({ seq });
    this.settled.acked(board, id, seq);
    this.pump();
  }

  /** A `rejected`. */
  onRejected(id: string, code: string, message: string, retryable: boolean, details: unknown): void {
    const e = this.entries.get(id);
    if (!e) return;
    if (retryable && e.retries < MAX_RETRIES) {
      e.retries += 1;
      e.inFlight = false;
      // One pause for all commands (an ack resets its backoff).
      const delayMs = this.pause.refused(details);
      this.settled.retrying(e.stored.board, id, code, delayMs);
      return;
    }
    const finalCode = retryable ? "retries_exhausted" : code;
    // After a `timeout` the command may have been applied: resending it
    // with its id (a new client, later) tells.
    const text = retryable ? `gave up after ${e.retries} retries (${code}; its outcome is unknown if it timed out): ${message}` : message;
    this.fail(e, new CommandRejected(id, e.stored.board, finalCode, text, { retryable: false, details }));
    this.pump();
  }

  /** The client is closing: every unanswered command is refused with `client_closed` (the store keeps them). */
  close(): void {
    this.closed = true;
    this.pause.stop();
    for (const e of [...this.entries.values()]) {
      this.entries.delete(e.stored.id);
      const err = new CommandRejected(e.stored.id, e.stored.board, "client_closed", "the client was closed before the server answered", { retryable: true });
      e.reject?.(err);
    }
  }

  private fail(e: Entry, error: CommandRejected): void {
    this.entries.delete(e.stored.id);
    this.outbox.remove(e.stored.id);
    e.reject?.(error);
    this.settled.rejected(error);
  }
}
