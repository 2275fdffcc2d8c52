/**
 * The board as the page shows it: columns in order with their live cards,
 * a card being moved shown at its target, and the `index` a move sends
 * (the server counts every item of the column, archived ones included).
 */

import { byPosition, isProvisional, type Board, type ColumnId, type Item, type ItemId } from "@corkboard/client";

/** A card in flight: where it would land (before `before`, or at the end). */
export interface Target {
  item: ItemId;
  column: ColumnId;
  before: ItemId | null;
}

export interface ColumnView {
  id: ColumnId;
  name: string;
  wipLimit: number | null;
  /** Live cards in order, with the moving card at its target. */
  cards: Item[];
  /** Live cards, the moving one counted where it is now (the limit the server checks). */
  load: number;
}

/** Every column with its cards in order; `target` moves one card for the preview. */
export function columnsOf(board: Board, target: Target | null): ColumnView[] {
  const byColumn = new Map<ColumnId, Item[]>();
  for (const c of board.columns) byColumn.set(c.id, []);
  for (const item of Object.values(board.items)) {
    if (!item.archived) byColumn.get(item.column)?.push(item);
  }
  const load = new Map<ColumnId, number>();
  for (const [id, items] of byColumn) {
    items.sort(byPosition);
    load.set(id, items.length);
  }
  const moving = target ? board.items[target.item] : undefined;
  if (target && moving && byColumn.has(target.column)) {
    const from = byColumn.get(moving.column);
    if (from) byColumn.set(moving.column, from.filter((i) => i.id !== moving.id));
    const into = byColumn.get(target.column)!;
    const at = target.before ? into.findIndex((i) => i.id === target.before) : -1;
    into.splice(at < 0 ? into.length : at, 0, moving);
  }
  return board.columns.map((c) => ({ id: c.id, name: c.name, wipLimit: c.wip_limit, cards: byColumn.get(c.id) ?? [], load: load.get(c.id) ?? 0 }));
}

/**
 * The `index` of a move of `item` into `column` before `before`: its
 * place among every other item of the column (archived too), as
 * `move_item` counts; `undefined` for the end.
 */
export function moveIndex(board: Board, item: ItemId, column: ColumnId, before: ItemId | null): number | undefined {
  if (!before) return undefined;
  const others = Object.values(board.items)
    .filter((i) => i.column === column && i.id !== item)
    .sort(byPosition);
  const at = others.findIndex((i) => i.id === before);
  return at < 0 ? undefined : at;
}

/** Whether landing at `target` leaves the card where it is. */
export function isNoMove(board: Board, target: Target): boolean {
  const item = board.items[target.item];
  if (!item || item.column !== target.column) return false;
  const live = Object.values(board.items)
    .filter((i) => i.column === target.column && !i.archived)
    .sort(byPosition);
  const at = live.findIndex((i) => i.id === target.item);
  const next = live[at + 1];
  return (next?.id ?? null) === target.before;
}

/** `DS-12`, or `DS-…` while the card is not yet committed. */
export function cardKey(orgKey: string, item: Item): string {
  return isProvisional(item.id) || item.number === 0 ? `${orgKey}-…` : `${orgKey}-${item.number}`;
}

/** The card a `DS-12` key (or an item id) names. */
export function findCard(board: Board, orgKey: string, key: string): Item | undefined {
  if (Object.hasOwn(board.items, key)) return board.items[key];
  const m = /^([A-Z][A-Z0-9]*)-(\d+)$/.exec(key);
  if (!m || m[1] !== orgKey) return undefined;
  const n = Number(m[2]);
  return Object.values(board.items).find((i) => i.number === n);
}
