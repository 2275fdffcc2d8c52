/**
 * Moving a card with the keyboard, as screen-reader users expect from
 * sortable lists: Space picks the focused card up, arrows move it (up and
 * down in its column, left and right across columns), Space drops it,
 * Escape puts it back. Every step returns the sentence to announce.
 */

import type { Item } from "@corkboard/client";
import { cardKey, type ColumnView, type Target } from "./model.js";

export type KeyResult =
  | { kind: "pick" | "move" | "drop"; target: Target; say: string }
  | { kind: "cancel"; say: string };

function where(columns: ColumnView[], t: Target): { column: ColumnView | undefined; at: number; of: number } {
  const column = columns.find((c) => c.id === t.column);
  const cards = column?.cards ?? [];
  return { column, at: cards.findIndex((c) => c.id === t.item) + 1, of: cards.length };
}

/** What `key` does to `item` (`picked` is the card in hand, if any); null when the key means nothing here. */
export function moveKeys(key: string, item: Item, picked: Target | null, columns: ColumnView[], orgKey: string): KeyResult | null {
  const name = `${cardKey(orgKey, item)} “${item.title}”`;
  if (!picked || picked.item !== item.id) {
    if (key !== " ") return null;
    const column = columns.find((c) => c.id === item.column);
    const cards = column?.cards ?? [];
    const at = cards.findIndex((c) => c.id === item.id);
    const target: Target = { item: item.id, column: item.column, before: cards[at + 1]?.id ?? null };
    return {
      kind: "pick",
      target,
      say: `Picked up ${name} in ${column?.name ?? "its column"}, position ${at + 1} of ${cards.length}. Arrow keys move it, Space drops it, Escape cancels.`,
    };
  }
  if (key === "Escape") return { kind: "cancel", say: `Move cancelled: ${name} is back where it was.` };
  if (key === " " || key === "Enter") {
    const w = where(columns, picked);
    return { kind: "drop", target: picked, say: `Dropped ${name} in ${w.column?.name ?? "the column"}, position ${w.at} of ${w.of}.` };
  }
  const ci = columns.findIndex((c) => c.id === picked.column);
  const here = columns[ci];
  if (!here) return null;
  const cards = here.cards.filter((c) => c.id !== item.id);
  const at = here.cards.findIndex((c) => c.id === item.id);
  let target: Target | null = null;
  if (key === "ArrowUp" && at > 0) target = { ...picked, before: cards[at - 1]?.id ?? null };
  if (key === "ArrowDown" && at < cards.length) target = { ...picked, before: cards[at + 1]?.id ?? null };
  if (key === "ArrowLeft" || key === "ArrowRight") {
    const next = columns[ci + (key === "ArrowLeft" ? -1 : 1)];
    if (next) {
      const into = next.cards.filter((c) => c.id !== item.id);
      target = { item: item.id, column: next.id, before: into[Math.min(Math.max(at, 0), into.length)]?.id ?? null };
    }
  }
  if (!["ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight"].includes(key)) return null;
  if (!target) return { kind: "move", target: picked, say: `${name} cannot move further that way.` };
  // Where it lands, counted in the columns as they will show it.
  const column = columns.find((c) => c.id === target!.column);
  const list = (column?.cards ?? []).filter((c) => c.id !== item.id);
  const before = target.before ? list.findIndex((c) => c.id === target!.before) : list.length;
  return { kind: "move", target, say: `${name}: ${column?.name ?? "column"}, position ${before + 1} of ${list.length + 1}.` };
}
