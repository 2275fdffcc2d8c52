/**
 * A {@link CommandStore} in the browser's IndexedDB: commands issued while
 * offline survive a reload or a closed tab, and are sent with their
 * original ids when the page connects again. One object store, keyed by
 * command id.
 */

import type { CommandStore, StoredCommand } from "./queue.js";

const STORE = "commands";

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** Commands kept in IndexedDB database `name` (one per user is wise: `corkboard-outbox-<user>`). */
export class IndexedDBStore implements CommandStore {
  private db: Promise<IDBDatabase> | undefined;

  constructor(private readonly name = "corkboard-outbox") {}

  private open(): Promise<IDBDatabase> {
    this.db ??= new Promise((resolve, reject) => {
      if (typeof indexedDB === "undefined") {
        reject(new Error("IndexedDB is not available here; use MemoryStore"));
        return;
      }
      const req = indexedDB.open(this.name, 1);
      req.onupgradeneeded = () => {
        req.result.createObjectStore(STORE, { keyPath: "id" });
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    return this.db;
  }

  private async run<T>(mode: IDBTransactionMode, body: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
    const db = await this.open();
    const tx = db.transaction(STORE, mode);
    const result = request(body(tx.objectStore(STORE)));
    await new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error ?? new Error("IndexedDB transaction aborted"));
    });
    return result;
  }

  async load(): Promise<StoredCommand[]> {
    return (await this.run("readonly", (s) => s.getAll())) as StoredCommand[];
  }

  async put(command: StoredCommand): Promise<void> {
    await this.run("readwrite", (s) => s.put(command));
  }

  async delete(id: string): Promise<void> {
    await this.run("readwrite", (s) => s.delete(id));
  }

  /** Closes the database (for tests and page teardown). */
  async close(): Promise<void> {
    if (this.db) (await this.db).close();
    this.db = undefined;
  }
}
