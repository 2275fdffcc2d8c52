/**
 * A subscribed board: the confirmed state (the server's snapshot plus every
 * event, in seq order, each once), the optimistic view on top of it (the
 * predicted events of every command not yet confirmed), and presence.
 *
 * A prediction lives until its command's own event is folded into the
 * confirmed state (matched by `command_id`), its `ack` is covered by the
 * confirmed seq, or its `rejected` arrives — so the view never shows a
 * command twice and never keeps one the server refused.
 */

import { Emitter } from "./emitter.js";
import { CommandRejected, type CorkboardError } from "./errors.js";
import { applyEvent, cloneBoard } from "./fold.js";
import type { Board, BoardId, Command, PresenceEntry, PresenceState, Recorded, UserId } from "./generated/protocol.js";
import { predict } from "./predict.js";

/** Where a board's subscription is. */
export type BoardStatus = "subscribing" | "live" | "resuming" | "unsubscribed" | "failed";

/** What changed, for listeners of `change`. */
export interface BoardChange {
  /** Why: a snapshot (or a reset), confirmed events, or the predictions. */
  cause: "snapshot" | "reset" | "events" | "predictions";
  /** The confirmed events folded, for `events`. */
  events: readonly Recorded[];
}

/** The board's side of the client: what it calls on the board. */
export interface BoardHost {
  /** Queues a command of `handle`'s board; `queued: false` when it was refused before sending. */
  submit(handle: BoardHandle, command: Command): { id: string; done: Promise<{ seq: number }>; queued: boolean };
  subscribe(board: BoardId): void;
  unsubscribe(board: BoardId): void;
  presence(board: BoardId, state: PresenceState): void;
  readonly user: UserId | undefined;
  readonly session: string | undefined;
}

type Events = {
  change: BoardChange;
  status: BoardStatus;
  rejected: CommandRejected;
  presence: ReadonlyMap<string, PresenceEntry>;
};

interface Prediction {
  id: string;
  command: Command;
  /** The seq of the command's last event, once acked. */
  ackSeq?: number;
  /** Its own event is in the confirmed state: nothing left to predict. */
  confirmed: boolean;
}

export class BoardHandle extends Emitter<Events> {
  status: BoardStatus = "subscribing";
  /** Why the subscription failed or ended, when it did. */
  error: CorkboardError | undefined;
  private confirmed: Board | null = null;
  private viewCache: Board | null = null;
  private readonly predictions = new Map<string, Prediction>();
  private readonly people = new Map<string, PresenceEntry>();
  private myPresence: PresenceState | undefined;

  constructor(
    readonly id: BoardId,
    private readonly host: BoardHost,
  ) {
    super();
  }

  /** The board as the user should see it: confirmed plus predictions. `null` before the first snapshot. */
  get state(): Board | null {
    if (!this.confirmed) return null;
    if (this.viewCache) return this.viewCache;
    const active = [...this.predictions.values()].filter((p) => !p.confirmed);
    if (active.length === 0) return this.confirmed;
    const view: Board = { ...this.confirmed, items: { ...this.confirmed.items } };
    if (this.confirmed.comments) view.comments = { ...this.confirmed.comments };
    const at = Date.now();
    const by = this.host.user ?? "";
    for (const p of active) {
      for (const event of predict(view, p.command, p.id)) {
        applyEvent(view, { board: this.id, seq: this.confirmed.seq, at, by, command_id: p.id, event });
      }
    }
    view.seq = this.confirmed.seq;
    this.viewCache = view;
    return view;
  }

  /** The board as the server has committed it (no predictions). */
  get confirmedState(): Board | null {
    return this.confirmed;
  }

  /** The seq of the last confirmed event (0 before the first snapshot). */
  get seq(): number {
    return this.confirmed?.seq ?? 0;
  }

  /** Ids of this board's commands not yet acknowledged, oldest first. */
  get pending(): string[] {
    return [...this.predictions.values()].filter((p) => p.ackSeq === undefined).map((p) => p.id);
  }

  /** Everyone on the board (this session included), by session id. */
  get presence(): ReadonlyMap<string, PresenceEntry> {
    return this.people;
  }

  /**
   * Runs a command: applied to `state` at once, sent now or when the
   * connection is back, and settled by the server — resolves with the seq
   * once committed, rejects with a {@link CommandRejected}.
   */
  send(command: Command): Promise<{ seq: number }> {
    const { id, done, queued } = this.host.submit(this, command);
    // A command refused before sending (queue full, too large, client
    // closed) has nothing to predict.
    if (queued) this.track(id, command);
    return done;
  }

  /** Shows where this session is (e.g. the card it has open); re-sent after every resubscribe. */
  setPresence(state: PresenceState): void {
    this.myPresence = state;
    this.host.presence(this.id, state);
  }

  /** Stops following the board (its pending commands are still sent and settled). */
  close(): void {
    this.host.unsubscribe(this.id);
  }

  // --- called by the client ---

  /** @internal A command for this board (new, or restored from the outbox store). */
  track(id: string, command: Command): void {
    if (this.predictions.has(id)) return;
    this.predictions.set(id, { id, command, confirmed: false });
    this.changed("predictions", []);
  }

  /** @internal The presence state to send again after a resubscribe. */
  get presenceToRestore(): PresenceState | undefined {
    return this.myPresence;
  }

  /** @internal */
  setStatus(status: BoardStatus, error?: CorkboardError): void {
    this.status = status;
    this.error = error;
    this.emit("status", status);
  }

  /** @internal A snapshot: the board replaces the confirmed state (always, for a reset). */
  onSnapshot(state: Board, seq: number, reset: boolean): void {
    this.confirmed = cloneBoard(state);
    this.confirmed.seq = seq;
    this.prune();
    this.setStatus("live");
    this.changed(reset ? "reset" : "snapshot", []);
  }

  /**
   * @internal A live or catch-up event. Returns `false` on a gap (the
   * client then resumes with `since`); an event already folded is skipped.
   */
  onEvent(rec: Recorded): boolean {
    const board = this.confirmed;
    if (!board) return true;
    if (rec.seq <= board.seq) return true;
    if (rec.seq !== board.seq + 1) return false;
    applyEvent(board, rec);
    const own = rec.command_id !== undefined && rec.command_id !== null ? this.predictions.get(rec.command_id) : undefined;
    if (own) own.confirmed = true;
    this.prune();
    if (this.status !== "live") this.setStatus("live");
    this.changed("events", [rec]);
    return true;
  }

  /** @internal The command is committed with its last event at `seq`. */
  onAck(id: string, seq: number): void {
    const p = this.predictions.get(id);
    if (!p) return;
    p.ackSeq = seq;
    if (this.prune()) this.changed("predictions", []);
  }

  /** @internal The command was refused: its prediction goes. */
  onRejected(error: CommandRejected): void {
    if (this.predictions.delete(error.commandId)) this.changed("predictions", []);
    this.emit("rejected", error);
  }

  /** @internal The command will not be settled (the client closed). */
  forget(id: string): void {
    if (this.predictions.delete(id)) this.changed("predictions", []);
  }

  /** @internal The full presence list after a (re)subscribe. */
  onPresence(sessions: readonly PresenceEntry[]): void {
    this.people.clear();
    for (const entry of sessions) this.people.set(entry.session, entry);
    // The list follows every subscribe's answer: a resume with nothing
    // missed has no event to say it is done.
    if (this.confirmed && this.status !== "live") this.setStatus("live");
    this.emit("presence", this.people);
  }

  /** @internal One session joined, updated or left. */
  onPresenceChanged(change: "joined" | "updated" | "left", entry: PresenceEntry): void {
    if (change === "left") this.people.delete(entry.session);
    else this.people.set(entry.session, entry);
    this.emit("presence", this.people);
  }

  /** @internal The subscription is being re-established (after a reconnect). */
  onResuming(): void {
    this.people.clear();
    this.setStatus(this.confirmed ? "resuming" : "subscribing");
  }

  /** Drops predictions that are confirmed and acked, or acked at or below the confirmed seq. */
  private prune(): boolean {
    const seq = this.seq;
    let removed = false;
    for (const [id, p] of this.predictions) {
      if (p.ackSeq !== undefined && (p.confirmed || p.ackSeq <= seq)) {
        this.predictions.delete(id);
        removed = true;
      }
    }
    return removed;
  }

  private changed(cause: BoardChange["cause"], events: readonly Recorded[]): void {
    this.viewCache = null;
    if (this.confirmed) this.emit("change", { cause, events });
  }
}

export { CommandRejected };
