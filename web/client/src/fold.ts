/**
 * The fold: a port of `Board::apply` (`protocol/src/board/apply.rs`). It
 * trusts the log — an event naming an unknown column or item is ignored —
 * and gives exactly the board the server holds after the same events; the
 * conformance fixtures (`test/fixtures/fold.json`, written by a Rust test
 * from the real `apply`) prove it.
 *
 * The board is changed in place, but every item or column that changes is
 * replaced by a new object and `columns` by a new array, so a UI can tell
 * what changed by identity.
 */

import type { Board, Column, Item, ItemId, Millis, Recorded } from "./generated/protocol.js";

/** A new, empty board (what `Board::new` gives): `org` is null until `board_created`. */
export function emptyBoard(id: string): Board {
  return { id, org: null, name: "", seq: 0, columns: [], items: {}, archived: false };
}

/** A deep copy of a board (snapshots are copied before they are folded into). */
export function cloneBoard(board: Board): Board {
  const items: Board["items"] = {};
  for (const [id, item] of Object.entries(board.items)) {
    if (item) items[id] = { ...item, assignees: [...item.assignees], labels: [...item.labels] };
  }
  const copy: Board = { ...board, columns: board.columns.map((c) => ({ ...c })), items };
  if (board.comments) copy.comments = { ...board.comments };
  return copy;
}

/**
 * Compares strings the way Rust orders `String`s: by UTF-8 bytes, which is
 * code point order. JavaScript's `<` compares UTF-16 units and puts a
 * character above U+FFFF (a surrogate pair) before U+E000–U+FFFF.
 */
export function compareStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xSurrogate = x >= 0xd800 && x <= 0xdfff;
    const ySurrogate = y >= 0xd800 && y <= 0xdfff;
    // A surrogate stands for a code point above every BMP character.
    if (xSurrogate !== ySurrogate) return xSurrogate ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

/** Orders columns or items as the server does: by `(position, id)`. */
export function byPosition(a: { position: string; id: string }, b: { position: string; id: string }): number {
  if (a.position !== b.position) return a.position < b.position ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function insertSorted(set: string[], value: string): string[] {
  let lo = 0;
  let hi = set.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareStrings(set[mid] as string, value);
    if (c === 0) return set;
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  const next = set.slice();
  next.splice(lo, 0, value);
  return next;
}

function removeFrom(set: string[], value: string): string[] {
  const i = set.indexOf(value);
  if (i < 0) return set;
  const next = set.slice();
  next.splice(i, 1);
  return next;
}

function updateItem(board: Board, id: ItemId, at: Millis, change: (item: Item) => void): void {
  const existing = board.items[id];
  if (!existing) return;
  const next = { ...existing };
  change(next);
  next.updated_at = at;
  board.items[id] = next;
}

function updateColumn(board: Board, id: string, change: (column: Column) => void, resort: boolean): void {
  const i = board.columns.findIndex((c) => c.id === id);
  if (i < 0) {
    if (resort) board.columns = [...board.columns].sort(byPosition);
    return;
  }
  const next = { ...(board.columns[i] as Column) };
  change(next);
  const columns = board.columns.slice();
  columns[i] = next;
  if (resort) columns.sort(byPosition);
  board.columns = columns;
}

/** Folds one recorded event into `board` (in place) and sets `board.seq` to the record's. */
export function applyEvent(board: Board, rec: Recorded): void {
  board.seq = rec.seq;
  const event = rec.event;
  switch (event.type) {
    case "board_archived":
      board.archived = true;
      return;
    case "board_restored":
      board.archived = false;
      return;
    case "board_created":
      board.org = event.org;
      board.name = event.name;
      return;
    case "board_renamed":
      board.name = event.name;
      return;
    case "column_added": {
      const columns = board.columns.filter((c) => c.id !== event.column);
      columns.push({ id: event.column, name: event.name, position: event.position, wip_limit: event.wip_limit });
      board.columns = columns.sort(byPosition);
      return;
    }
    case "column_renamed":
      updateColumn(board, event.column, (c) => (c.name = event.name), false);
      return;
    case "column_moved":
      updateColumn(board, event.column, (c) => (c.position = event.position), true);
      return;
    case "column_removed":
      board.columns = board.columns.filter((c) => c.id !== event.column);
      return;
    case "wip_limit_set":
      updateColumn(board, event.column, (c) => (c.wip_limit = event.limit), false);
      return;
    case "item_created":
      board.items[event.item] = {
        id: event.item,
        number: event.number,
        title: event.title,
        description: event.description,
        column: event.column,
        position: event.position,
        assignees: [],
        labels: [],
        archived: false,
        created_by: rec.by,
        created_at: rec.at,
        updated_at: rec.at,
      };
      return;
    case "item_edited":
      updateItem(board, event.item, rec.at, (it) => {
        if (event.title !== null && event.title !== undefined) it.title = event.title;
        if (event.description !== null && event.description !== undefined) it.description = event.description;
      });
      return;
    case "item_moved":
      updateItem(board, event.item, rec.at, (it) => {
        it.column = event.column;
        it.position = event.position;
      });
      return;
    case "item_assigned":
      updateItem(board, event.item, rec.at, (it) => (it.assignees = insertSorted(it.assignees, event.user)));
      return;
    case "item_unassigned":
      updateItem(board, event.item, rec.at, (it) => (it.assignees = removeFrom(it.assignees, event.user)));
      return;
    case "label_added":
      updateItem(board, event.item, rec.at, (it) => (it.labels = insertSorted(it.labels, event.label)));
      return;
    case "label_removed":
      updateItem(board, event.item, rec.at, (it) => (it.labels = removeFrom(it.labels, event.label)));
      return;
    case "item_archived":
      updateItem(board, event.item, rec.at, (it) => (it.archived = true));
      return;
    case "item_restored":
      updateItem(board, event.item, rec.at, (it) => (it.archived = false));
      return;
    case "comment_added":
      if (board.items[event.item]) {
        board.comments ??= {};
        board.comments[event.comment] = { item: event.item, author: rec.by };
      }
      return;
    case "comment_edited":
      return;
    case "comment_deleted":
      if (board.comments && event.comment in board.comments) {
        delete board.comments[event.comment];
        // Like the server's map, which is left out of the encoding when empty.
        if (Object.keys(board.comments).length === 0) delete board.comments;
      }
      return;
    default: {
      // A newer server's event this client does not know: the log is
      // trusted, so it is skipped like an event naming an unknown item.
      const unknown: never = event;
      void unknown;
    }
  }
}
