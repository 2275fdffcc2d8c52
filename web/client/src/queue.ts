/**
 * The outbox: every command the server has not answered yet, in the order
 * it was issued, bounded (default 1,000), and kept in a pluggable
 * {@link CommandStore} so commands issued offline survive a page reload
 * (`IndexedDBStore` in browsers). Each keeps the id it was first sent
 * with: resending it after a reconnect never applies it twice.
 */

import type { BoardId, Command } from "./generated/protocol.js";

/** The default bound of the outbox. */
export const DEFAULT_MAX_QUEUE = 1_000;

/** A command waiting for its `ack` or `rejected`, as stored. */
export interface StoredCommand {
  /** The command id: its idempotency key. */
  id: string;
  /** The board. */
  board: BoardId;
  /** The command. */
  command: Command;
  /** Issue order (increasing; the store returns commands sorted by it). */
  order: number;
  /** When it was issued (ms since the epoch). */
  issuedAt: number;
  /** Who issued it, once known (the `welcome`'s user): never sent as anyone else. */
  user?: string;
}

/** Where the outbox keeps its commands. Every method may be async. */
export interface CommandStore {
  /** Every stored command, in any order. */
  load(): Promise<StoredCommand[]>;
  /** Stores (or replaces) a command. */
  put(command: StoredCommand): Promise<void>;
  /** Forgets a command (answered). */
  delete(id: string): Promise<void>;
  /** Resolves once every write issued so far is durable (optional). */
  flush?(): Promise<void>;
}

/** A store that lives as long as the page or process: the default. */
export class MemoryStore implements CommandStore {
  private readonly commands = new Map<string, StoredCommand>();

  async load(): Promise<StoredCommand[]> {
    return [...this.commands.values()].map((c) => structuredClone(c));
  }

  async put(command: StoredCommand): Promise<void> {
    this.commands.set(command.id, structuredClone(command));
  }

  async delete(id: string): Promise<void> {
    this.commands.delete(id);
  }
}

/** The in-memory outbox in front of a store. Store failures are reported, never thrown at callers. */
export class Outbox {
  private readonly byId = new Map<string, StoredCommand>();
  private nextOrder = 1;

  /** Store writes not yet settled. */
  private readonly writes = new Set<Promise<void>>();

  constructor(
    private readonly store: CommandStore,
    readonly max: number = DEFAULT_MAX_QUEUE,
    private readonly onStoreError: (e: unknown) => void = () => {},
  ) {}

  /** Loads what the store kept (from an earlier page or process), oldest first. */
  async restore(): Promise<StoredCommand[]> {
    const loaded = await this.store.load();
    // Commands issued while the store was loading (perhaps already in it)
    // come after the ones an earlier page left.
    const early = this.all();
    const earlyIds = new Set(early.map((c) => c.id));
    const stored = loaded.filter((c) => !earlyIds.has(c.id)).sort((a, b) => a.order - b.order);
    for (const command of stored) {
      this.byId.set(command.id, command);
      this.nextOrder = Math.max(this.nextOrder, command.order + 1);
    }
    for (const command of early) {
      command.order = this.nextOrder++;
      this.track(this.store.put(command));
    }
    return stored;
  }

  /** Stores a changed command again (e.g. stamped with its user). */
  update(command: StoredCommand): void {
    if (this.byId.has(command.id)) this.track(this.store.put(command));
  }

  /** Commands waiting, oldest first. */
  all(): StoredCommand[] {
    return [...this.byId.values()].sort((a, b) => a.order - b.order);
  }

  /** Commands of one board waiting, oldest first. */
  forBoard(board: BoardId): StoredCommand[] {
    return this.all().filter((c) => c.board === board);
  }

  /** How many commands wait. */
  get size(): number {
    return this.byId.size;
  }

  /** Whether `id` waits. */
  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** Adds a command; `false` when the outbox is full (nothing is added). */
  add(id: string, board: BoardId, command: Command, now: number, user?: string): StoredCommand | false {
    if (this.byId.size >= this.max) return false;
    const stored: StoredCommand = { id, board, command, order: this.nextOrder++, issuedAt: now };
    if (user !== undefined) stored.user = user;
    this.byId.set(id, stored);
    this.track(this.store.put(stored));
    return stored;
  }

  /** Removes an answered command. */
  remove(id: string): void {
    if (!this.byId.delete(id)) return;
    this.track(this.store.delete(id));
  }

  /** Resolves once every change so far is in the store (failures are reported, not thrown). */
  async flushed(): Promise<void> {
    while (this.writes.size > 0) await Promise.allSettled([...this.writes]);
    await this.store.flush?.().catch(this.onStoreError);
  }

  private track(write: Promise<void>): void {
    const settled = write.catch(this.onStoreError);
    this.writes.add(settled);
    void settled.finally(() => this.writes.delete(settled));
  }
}
