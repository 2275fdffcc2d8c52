/**
 * Messages for a person: toasts (seen) and the screen reader's live region
 * (heard). `toast` for refusals and failures, `announce` for what a
 * keyboard user's action did.
 */

import { Store, useStore } from "../store.js";

/** How long a toast stays. */
const TOAST_MS = 6_000;

export interface Toast {
  id: number;
  text: string;
  kind: "error" | "info";
}

const toasts = new Store<Toast[]>([]);
const announcement = new Store<string>("");
let next = 1;

export function toast(text: string, kind: Toast["kind"] = "error"): void {
  const id = next++;
  toasts.set([...toasts.value.slice(-4), { id, text, kind }]);
  setTimeout(() => toasts.set(toasts.value.filter((t) => t.id !== id)), TOAST_MS);
}

export function announce(text: string): void {
  // The same sentence twice must still be read: clear first.
  announcement.set("");
  queueMicrotask(() => announcement.set(text));
}

export function Toasts() {
  const list = useStore(toasts);
  return (
    <div class="toasts" role="status" aria-live="polite">
      {list.map((t) => (
        <div key={t.id} class={`toast toast-${t.kind}`} data-testid={`toast-${t.kind}`}>
          <span>{t.text}</span>
          <button type="button" class="link" aria-label="Dismiss" onClick={() => toasts.set(toasts.value.filter((x) => x.id !== t.id))}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}

export function Announcer() {
  const text = useStore(announcement);
  return (
    <div class="visually-hidden" aria-live="assertive" aria-atomic="true" data-testid="announcer">
      {text}
    </div>
  );
}
