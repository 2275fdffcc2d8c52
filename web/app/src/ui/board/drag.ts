/**
 * Moving cards with a pointer (mouse, pen, touch): press a card and move
 * it past a small threshold to pick it up; the card shows at its target
 * while a ghost follows the pointer; releasing drops it, Escape cancels.
 * The target is the column under the pointer and the first card whose
 * middle is below it. Keyboard moves are in `Board.tsx` (Space, arrows).
 */

import type { ColumnId, ItemId } from "@corkboard/client";
import type { Target } from "./model.js";

/** Pixels a press must travel before it becomes a drag (a shorter one is a click). */
export const DRAG_THRESHOLD_PX = 5;

export interface PointerDrag {
  target: Target;
  /** Where the ghost is drawn (viewport coordinates of its top-left corner). */
  x: number;
  y: number;
  width: number;
}

/** The drop target under a viewport point, for `item`; null outside every column. */
export function targetAt(x: number, y: number, item: ItemId): Target | null {
  const under = document.elementFromPoint(x, y);
  const column = under?.closest<HTMLElement>("[data-column]");
  if (!column) return null;
  const cards = [...column.querySelectorAll<HTMLElement>("[data-item]")].filter((el) => el.dataset.item !== item);
  let before: ItemId | null = null;
  for (const card of cards) {
    const r = card.getBoundingClientRect();
    if (y < r.top + r.height / 2) {
      before = card.dataset.item ?? null;
      break;
    }
  }
  return { item, column: column.dataset.column as ColumnId, before };
}

/**
 * Follows a press on a card. `onMove` is called with the drag once it
 * starts and as it goes, `onDrop` with the last target (or null when
 * cancelled); a press that never became a drag calls neither, so the
 * click that follows opens the card.
 */
export function followPointer(
  down: PointerEvent,
  card: HTMLElement,
  item: ItemId,
  onMove: (drag: PointerDrag) => void,
  onDrop: (target: Target | null) => void,
): void {
  const rect = card.getBoundingClientRect();
  const dx = down.clientX - rect.left;
  const dy = down.clientY - rect.top;
  let dragging = false;
  let last: Target | null = null;

  const move = (e: PointerEvent) => {
    if (e.pointerId !== down.pointerId) return;
    if (!dragging && Math.hypot(e.clientX - down.clientX, e.clientY - down.clientY) < DRAG_THRESHOLD_PX) return;
    dragging = true;
    e.preventDefault();
    autoScroll(card, e.clientX, e.clientY);
    last = targetAt(e.clientX, e.clientY, item) ?? last;
    if (last) onMove({ target: last, x: e.clientX - dx, y: e.clientY - dy, width: rect.width });
  };
  const end = (cancelled: boolean) => (e: Event) => {
    if (e instanceof PointerEvent && e.pointerId !== down.pointerId) return;
    if (e instanceof KeyboardEvent) {
      if (e.key !== "Escape") return;
      // This Escape cancels the drag only (an open card panel stays).
      e.stopPropagation();
      e.preventDefault();
    }
    window.removeEventListener("pointermove", move);
    window.removeEventListener("pointerup", up);
    window.removeEventListener("pointercancel", cancel);
    window.removeEventListener("keydown", escape, true);
    if (!dragging) return;
    // The click that ends a drag must not open the card.
    window.addEventListener("click", swallow, { capture: true, once: true });
    setTimeout(() => window.removeEventListener("click", swallow, { capture: true }), 0);
    onDrop(cancelled ? null : last);
  };
  const up = end(false);
  const cancel = end(true);
  const escape = end(true);
  window.addEventListener("pointermove", move);
  window.addEventListener("pointerup", up);
  window.addEventListener("pointercancel", cancel);
  window.addEventListener("keydown", escape, true);
}

/** Pixels from an edge where a drag scrolls the columns (or the page) that way. */
export const SCROLL_EDGE_PX = 48;
/** Pixels scrolled per pointer move near an edge. */
const SCROLL_STEP_PX = 24;

/** Scrolls the columns sideways, and the page up or down, when a drag nears an edge. */
function autoScroll(card: HTMLElement, x: number, y: number): void {
  const columns = card.closest<HTMLElement>(".columns");
  if (columns) {
    const r = columns.getBoundingClientRect();
    if (x > r.right - SCROLL_EDGE_PX) columns.scrollLeft += SCROLL_STEP_PX;
    else if (x < r.left + SCROLL_EDGE_PX) columns.scrollLeft -= SCROLL_STEP_PX;
  }
  if (y > window.innerHeight - SCROLL_EDGE_PX) window.scrollBy(0, SCROLL_STEP_PX);
  else if (y < SCROLL_EDGE_PX) window.scrollBy(0, -SCROLL_STEP_PX);
}

function swallow(e: Event): void {
  e.stopPropagation();
  e.preventDefault();
}
