/** Why a command was refused, in words that name the board's own columns and cards. */

import type { Board, CommandRejected } from "@corkboard/client";
import { errorText } from "../../api.js";

type Details = { column?: string; limit?: number; item?: string; field?: string; rule?: string; action?: string; items?: number; name?: string };

export function refusalText(e: CommandRejected, board: Board | null): string {
  const d = (e.details ?? {}) as Details;
  const column = d.column ? board?.columns.find((c) => c.id === d.column)?.name : undefined;
  const title = d.item ? board?.items[d.item]?.title : undefined;
  switch (e.code) {
    case "wip_limit_reached":
      return `“${column ?? "That column"}” is full: its WIP limit is ${d.limit ?? "reached"}. The card went back.`;
    case "item_archived":
      return `${title ? `“${title}”` : "That card"} is archived: restore it before changing it.`;
    case "forbidden":
      return "Your role does not allow that: viewers only look, members change cards, and admins change columns and boards.";
    case "board_archived":
      return "This board is archived: restore it before changing it.";
    case "column_not_empty":
      return `“${column ?? "That column"}” still holds ${d.items ?? "some"} card${d.items === 1 ? "" : "s"} (archived ones count): move or delete them first.`;
    case "duplicate_column_name":
      return `There is already a column named “${d.name ?? ""}”.`;
    case "item_not_found":
      return "That card no longer exists: someone deleted it.";
    case "column_not_found":
      return "That column no longer exists: someone removed it.";
    case "not_a_member":
      return "Only members of the organization can be assigned.";
    case "not_comment_author":
      return "Only the author can change or delete a comment.";
    case "invalid_field":
      return `The ${d.field ?? "value"} ${d.rule ?? "is not valid"}.`;
    default:
      return errorText(e);
  }
}
