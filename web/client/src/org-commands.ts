/**
 * Organization commands (`org_command`): change members and roles, revoke
 * an invitation, rename, hand over or delete an organization. They travel
 * like board commands — a fresh id each, sent in issue order whenever the
 * connection is open, sent again with the same id after a reconnect until
 * answered (`org_ack` or `rejected`), a retryable refusal paused and
 * retried at most `MAX_RETRIES` times — and the server's idempotency makes
 * each apply once.
 *
 * Unlike board commands they are kept in memory only, never in the
 * `CommandStore`: they are rare, deliberate acts by someone looking at the
 * screen (change a role, delete an organization), often with effects a
 * user must see confirmed; replaying one on a later page load, after its
 * promise and the intent behind it are gone, could surprise more than it
 * helps. A page closed before the answer leaves the outcome unknown, as a
 * REST call would.
 *
 * Following the organization's channel (`client.org(id)`) is not needed:
 * the answer comes to the session that sent the command.
 */

import { RetryPause } from "./backoff.js";
import { MAX_RETRIES, DEFAULT_MAX_IN_FLIGHT, newCommandId, oversize, type Transport } from "./commands.js";
import { OrgCommandRejected } from "./errors.js";
import type { OrgId, OrgRequest } from "./generated/protocol.js";
import { DEFAULT_MAX_QUEUE } from "./queue.js";

interface Entry {
  id: string;
  org: OrgId;
  command: OrgRequest;
  inFlight: boolean;
  retries: number;
  resolve: (ack: { seq: number }) => void;
  reject: (e: OrgCommandRejected) => void;
}

/** What the client tells about organization commands besides their promises. */
export interface OrgSettled {
  /** A retryable refusal: the command goes again (same id) after `delayMs`. */
  retrying(org: OrgId, id: string, code: string, delayMs: number): void;
}

/** The organization commands not yet answered, and their sending. */
export class OrgCommands {
  /** Insertion order is issue order: entries are only ever removed. */
  private readonly entries = new Map<string, Entry>();
  private readonly pause = new RetryPause(() => this.pump());
  private closed = false;

  constructor(
    private readonly transport: Transport,
    private readonly settled: OrgSettled,
    private readonly maxQueue = DEFAULT_MAX_QUEUE,
    private readonly maxInFlight = DEFAULT_MAX_IN_FLIGHT,
  ) {}

  /** Whether `id` is an organization command waiting for its answer. */
  has(id: string): boolean {
    return this.entries.has(id);
  }

  /** How many wait (queued or in flight). */
  get size(): number {
    return this.entries.size;
  }

  /** Queues a command; the promise settles with the server's answer. */
  submit(org: OrgId, command: OrgRequest): { id: string; done: Promise<{ seq: number }> } {
    const id = newCommandId();
    const refuse = (code: "queue_full" | "message_too_large" | "client_closed", message: string) => ({
      id,
      done: Promise.reject(new OrgCommandRejected(id, org, code, message)),
    });
    if (this.closed) return refuse("client_closed", "the client is closed; create a new one to send commands");
    const tooLarge = oversize(this.transport, { type: "org_command", id, org, command });
    if (tooLarge) return refuse("message_too_large", tooLarge);
    if (this.entries.size >= this.maxQueue) {
      return refuse("queue_full", `${this.entries.size} organization commands wait already; try again once they are answered`);
    }
    const done = new Promise<{ seq: number }>((resolve, reject) => {
      this.entries.set(id, { id, org, command, inFlight: false, retries: 0, resolve, reject });
    });
    this.pump();
    return { id, done };
  }

  /** Sends what may be sent now. */
  pump(): void {
    if (!this.transport.open || this.pause.active) return;
    let inFlight = 0;
    for (const e of this.entries.values()) if (e.inFlight) inFlight++;
    for (const e of [...this.entries.values()]) {
      if (inFlight >= this.maxInFlight) break;
      if (e.inFlight) continue;
      const msg = { type: "org_command", id: e.id, org: e.org, command: e.command } as const;
      // Queued before the server's limit was known.
      const tooLarge = oversize(this.transport, msg);
      if (tooLarge) {
        this.settle(e).reject(new OrgCommandRejected(e.id, e.org, "message_too_large", tooLarge));
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

  /** An `org_ack`. */
  onAck(id: string, seq: number): void {
    const e = this.entries.get(id);
    if (!e) return;
    this.pause.succeeded();
    this.settle(e).resolve({ seq });
    this.pump();
  }

  /** A `rejected` for one of these commands (see {@link has}). */
  onRejected(id: string, code: string, message: string, retryable: boolean, details: unknown): void {
    const e = this.entries.get(id);
    if (!e) return;
    if (retryable && e.retries < MAX_RETRIES) {
      e.retries += 1;
      e.inFlight = false;
      const delayMs = this.pause.refused(details);
      this.settled.retrying(e.org, id, code, delayMs);
      return;
    }
    const error = retryable
      ? // After a `timeout` it may have been applied: the same id, sent again later, tells.
        new OrgCommandRejected(id, e.org, "retries_exhausted", `gave up after ${e.retries} retries (${code}; its outcome is unknown if it timed out): ${message}`, { details })
      : new OrgCommandRejected(id, e.org, code, message, { details });
    this.settle(e).reject(error);
    this.pump();
  }

  /** The client is closing: every unanswered command is refused with `client_closed`. */
  close(): void {
    this.closed = true;
    this.pause.stop();
    for (const e of [...this.entries.values()]) {
      this.settle(e).reject(new OrgCommandRejected(e.id, e.org, "client_closed", "the client was closed before the server answered (if it was sent, it may have been applied)", { retryable: true }));
    }
  }

  /** Forgets `e` (answered): its promise's callbacks, to call once. */
  private settle(e: Entry): Pick<Entry, "resolve" | "reject"> {
    this.entries.delete(e.id);
    return e;
  }
}
