/**
 * A {@link CommandStore} in the browser's IndexedDB: commands issued while
 * offline survive a reload or a closed tab, and are sent with their
 * original ids when the page connects again. One object store, keyed by
 * command id.
 *
 * Writes are batched: every put and delete issued in one task goes into a
 * single transaction, created in the microtask right after it (the
 * database is opened when the store is made, so no await stands in the
 * way); `client.flushed()` resolves once they are committed.
 *
 * A browser aborts the IndexedDB transactions of a page that closes before
 * they commit, however quickly they were issued. So every put is also
 * written synchronously to `localStorage` (a journal, one key per command,
 * `<name>:pending:<id>`), which a closing page cannot lose; the entry is
 * removed once IndexedDB has committed the put, or when the command is
 * deleted. `load()` returns both. Where `localStorage` is missing or full,
 * the journal is skipped and IndexedDB alone keeps the commands.
 */

import type { CommandStore, StoredCommand } from "./queue.js";

const STORE = "commands";

type Op = { put: StoredCommand } | { delete: string };

export class IndexedDBStore implements CommandStore {
  private db: IDBDatabase | undefined;
  private opening: Promise<IDBDatabase> | undefined;
  /** Writes of the current task, not yet in a transaction. */
  private batch: Op[] = [];
  private collecting: Promise<void> | undefined;
  /** Transactions not yet complete. */
  private readonly writing = new Set<Promise<void>>();

  /** The journal's key prefix. */
  private readonly journal: string;

  /** Commands kept in IndexedDB database `name` (one per user is wise: `corkboard-outbox-<user>`). */
  constructor(private readonly name = "corkboard-outbox") {
    this.journal = `${name}:pending:`;
    // Open now, so the first writes need not wait for it.
    this.open().catch(() => {});
  }

  private open(): Promise<IDBDatabase> {
    this.opening ??= new Promise((resolve, reject) => {
      if (typeof indexedDB === "undefined") {
        reject(new Error("IndexedDB is not available here; use MemoryStore"));
        return;
      }
      const req = indexedDB.open(this.name, 1);
      req.onupgradeneeded = () => {
        req.result.createObjectStore(STORE, { keyPath: "id" });
      };
      req.onsuccess = () => {
        this.db = req.result;
        resolve(req.result);
      };
      req.onerror = () => reject(req.error);
    });
    return this.opening;
  }

  async load(): Promise<StoredCommand[]> {
    const db = this.db ?? (await this.open());
    const tx = db.transaction(STORE, "readonly");
    const req = tx.objectStore(STORE).getAll();
    const kept = await new Promise<StoredCommand[]>((resolve, reject) => {
      req.onsuccess = () => resolve(req.result as StoredCommand[]);
      req.onerror = () => reject(req.error);
    });
    // The journal holds the latest put of a command whose transaction had
    // not committed (perhaps never did: the page closed).
    const byId = new Map(kept.map((c) => [c.id, c]));
    for (const command of this.journaled()) byId.set(command.id, command);
    return [...byId.values()].sort((a, b) => a.order - b.order);
  }

  put(command: StoredCommand): Promise<void> {
    const text = this.journalSet(command);
    return this.enqueue({ put: command }).then(() => {
      if (text !== undefined) this.journalClear(command.id, text);
    });
  }

  delete(id: string): Promise<void> {
    this.journalClear(id);
    return this.enqueue({ delete: id });
  }

  /** Resolves once every write issued so far is committed. */
  async flush(): Promise<void> {
    while (this.collecting || this.writing.size > 0) {
      await Promise.allSettled([this.collecting, ...this.writing]);
    }
  }

  /** Closes the database (for tests and page teardown). */
  close(): void {
    this.db?.close();
    this.db = undefined;
    this.opening = undefined;
  }

  private get local(): Storage | undefined {
    try {
      return typeof localStorage === "undefined" ? undefined : localStorage;
    } catch {
      // Storage disabled by the browser's settings.
      return undefined;
    }
  }

  /** Journals `command`; the text written, or undefined when it could not be. */
  private journalSet(command: StoredCommand): string | undefined {
    const text = JSON.stringify(command);
    try {
      this.local?.setItem(this.journal + command.id, text);
      return this.local ? text : undefined;
    } catch {
      // Full: IndexedDB alone keeps it, and an older journal entry of the
      // same command must not outlive it (load() prefers the journal).
      try {
        this.local?.removeItem(this.journal + command.id);
      } catch {
        // Nothing more to do.
      }
      return undefined;
    }
  }

  /** Removes `id`'s journal entry (only if it still holds `text`, when given: a newer put may have replaced it). */
  private journalClear(id: string, text?: string): void {
    const local = this.local;
    if (!local) return;
    const key = this.journal + id;
    if (text === undefined || local.getItem(key) === text) local.removeItem(key);
  }

  private journaled(): StoredCommand[] {
    const local = this.local;
    if (!local) return [];
    const found: StoredCommand[] = [];
    for (let i = 0; i < local.length; i++) {
      const key = local.key(i);
      if (!key?.startsWith(this.journal)) continue;
      try {
        found.push(JSON.parse(local.getItem(key) ?? "") as StoredCommand);
      } catch {
        // Not ours, or damaged: it cannot be sent.
        local.removeItem(key);
        i--;
      }
    }
    return found;
  }

  private enqueue(op: Op): Promise<void> {
    this.batch.push(op);
    this.collecting ??= new Promise<void>((resolve, reject) => {
      queueMicrotask(() => {
        const ops = this.batch;
        this.batch = [];
        this.collecting = undefined;
        const written = this.write(ops);
        this.writing.add(written);
        written.then(resolve, reject).finally(() => this.writing.delete(written));
      });
    });
    return this.collecting;
  }

  private async write(ops: Op[]): Promise<void> {
    const db = this.db ?? (await this.open());
    // Relaxed durability: committed once the browser has the data, without
    // waiting for the disk — the window in which a closing page can lose
    // it is as short as it can be.
    const tx = db.transaction(STORE, "readwrite", { durability: "relaxed" });
    const store = tx.objectStore(STORE);
    for (const op of ops) {
      if ("put" in op) store.put(op.put);
      else store.delete(op.delete);
    }
    // Commit now rather than when the task ends.
    tx.commit?.();
    await new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error ?? new Error("IndexedDB transaction aborted"));
    });
  }
}
