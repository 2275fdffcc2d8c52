/**
 * A {@link CommandStore} in the browser's IndexedDB: commands issued while
 * offline survive a reload or a closed tab, and are sent with their
 * original ids when the page connects again. One object store, keyed by
 * command id.
 *
 * Writes are batched: every put and delete issued in one task goes into a
 * single transaction, created in the microtask right after it (the
 * database is opened when the store is made, so no await stands in the
 * way). A page that closes right after issuing commands has therefore
 * handed them to IndexedDB already; `client.flushed()` resolves once they
 * are committed.
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

  /** Commands kept in IndexedDB database `name` (one per user is wise: `corkboard-outbox-<user>`). */
  constructor(private readonly name = "corkboard-outbox") {
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
    return new Promise((resolve, reject) => {
      req.onsuccess = () => resolve(req.result as StoredCommand[]);
      req.onerror = () => reject(req.error);
    });
  }

  put(command: StoredCommand): Promise<void> {
    return this.enqueue({ put: command });
  }

  delete(id: string): Promise<void> {
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
