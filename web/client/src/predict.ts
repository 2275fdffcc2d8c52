/**
 * Predictions: the events a command will most likely produce, computed
 * locally so an optimistic view can show them before the server answers.
 * A port of the happy path of `Board::decide` (`protocol/src/board/`),
 * positions included; the rules that only the server can check (roles,
 * WIP limits, validation) are left to it: a prediction of a command the
 * server refuses is simply removed when the `rejected` arrives.
 *
 * Things only the server allocates get provisional values: a created item
 * has the id `pending:<command id>` and number 0 until the confirmed event
 * replaces it.
 */

import { byPosition } from "./fold.js";
import type { Board, ColumnId, Command, Event, ItemId } from "./generated/protocol.js";
import { between, keyAt } from "./position.js";

/** The id a prediction gives to what a command creates (an item or column). */
export function provisionalId(commandId: string): string {
  return `pending:${commandId}`;
}

/** Whether an item or column id is a prediction's, not yet the server's. */
export function isProvisional(id: string): boolean {
  return id.startsWith("pending:");
}

function columnPosition(board: Board, index: number | null | undefined, moving: ColumnId | null): string {
  const keys = board.columns.filter((c) => c.id !== moving).map((c) => c.position);
  return keyAt(keys, index);
}

/** The key for `index` among the column's items (archived ones included), `moving` left out. */
export function itemPosition(board: Board, column: ColumnId, index: number | null | undefined, moving: ItemId | null): string {
  const others = Object.values(board.items).filter((it) => it !== undefined && it.column === column && it.id !== moving);
  if (index === null || index === undefined) {
    let last: { position: string; id: string } | null = null;
    for (const item of others) if (item && (last === null || byPosition(item, last) > 0)) last = item;
    return between(last ? last.position : null, null);
  }
  const keys = others.sort((a, b) => byPosition(a!, b!)).map((it) => it!.position);
  return keyAt(keys, index);
}

function liveItem(board: Board, item: ItemId): boolean {
  const found = board.items[item];
  return found !== undefined && !found.archived;
}

/** The events `command` is expected to produce on `board` ([] when it would change nothing). */
export function predict(board: Board, command: Command, commandId: string): Event[] {
  const hasColumn = (id: ColumnId) => board.columns.some((c) => c.id === id);
  switch (command.type) {
    case "rename_board":
      return command.name.trim() === board.name ? [] : [{ type: "board_renamed", name: command.name.trim() }];
    case "add_column":
      return [
        {
          type: "column_added",
          column: provisionalId(commandId),
          name: command.name.trim(),
          position: columnPosition(board, command.index, null),
          wip_limit: command.wip_limit ?? null,
        },
      ];
    case "rename_column":
      return hasColumn(command.column) ? [{ type: "column_renamed", column: command.column, name: command.name.trim() }] : [];
    case "move_column":
      return hasColumn(command.column)
        ? [{ type: "column_moved", column: command.column, position: columnPosition(board, command.index, command.column) }]
        : [];
    case "remove_column":
      return hasColumn(command.column) ? [{ type: "column_removed", column: command.column }] : [];
    case "set_wip_limit":
      return hasColumn(command.column) ? [{ type: "wip_limit_set", column: command.column, limit: command.limit ?? null }] : [];
    case "create_item": {
      const column = command.column ?? board.columns[0]?.id;
      if (column === undefined || !hasColumn(column)) return [];
      return [
        {
          type: "item_created",
          item: provisionalId(commandId),
          number: 0,
          title: command.title.trim(),
          description: command.description ?? "",
          column,
          position: itemPosition(board, column, command.index, null),
        },
      ];
    }
    case "edit_item":
      if (!liveItem(board, command.item)) return [];
      return [
        {
          type: "item_edited",
          item: command.item,
          title: command.title === undefined || command.title === null ? null : command.title.trim(),
          description: command.description ?? null,
        },
      ];
    case "move_item":
      if (!liveItem(board, command.item) || !hasColumn(command.column)) return [];
      return [
        {
          type: "item_moved",
          item: command.item,
          column: command.column,
          position: itemPosition(board, command.column, command.index, command.item),
        },
      ];
    case "assign_item":
      return liveItem(board, command.item) ? [{ type: "item_assigned", item: command.item, user: command.user }] : [];
    case "unassign_item":
      return liveItem(board, command.item) ? [{ type: "item_unassigned", item: command.item, user: command.user }] : [];
    case "add_label":
      return liveItem(board, command.item) ? [{ type: "label_added", item: command.item, label: command.label.trim() }] : [];
    case "remove_label":
      return liveItem(board, command.item) ? [{ type: "label_removed", item: command.item, label: command.label.trim() }] : [];
    case "archive_item":
      return liveItem(board, command.item) ? [{ type: "item_archived", item: command.item }] : [];
    case "restore_item":
      return board.items[command.item]?.archived ? [{ type: "item_restored", item: command.item }] : [];
    case "archive_board":
      return board.archived ? [] : [{ type: "board_archived" }];
    case "restore_board":
      return board.archived ? [{ type: "board_restored" }] : [];
    case "add_comment":
      return liveItem(board, command.item)
        ? [{ type: "comment_added", comment: provisionalId(commandId), item: command.item, body: command.body }]
        : [];
    case "edit_comment":
      return [{ type: "comment_edited", comment: command.comment, body: command.body }];
    case "delete_comment":
      return [{ type: "comment_deleted", comment: command.comment }];
    default:
      return [];
  }
}
