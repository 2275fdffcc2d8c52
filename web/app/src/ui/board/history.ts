/** A card's history from the board's event log, as sentences: who did what, when. */

import type { Board, Event } from "@corkboard/client";
import { nameOf, type People } from "../people.js";

/** What `event` did to a card, as the end of a sentence starting with a name. */
export function describe(event: Event, board: Board, people: People): string {
  const column = (id: string) => board.columns.find((c) => c.id === id)?.name ?? "a removed column";
  switch (event.type) {
    case "item_created":
      return `created the card in ${column(event.column)}`;
    case "item_edited":
      if (event.title !== null && event.description !== null) return `changed the title to “${event.title}” and the description`;
      if (event.title !== null) return `changed the title to “${event.title}”`;
      return "changed the description";
    case "item_moved":
      return `moved it to ${column(event.column)}`;
    case "item_assigned":
      return `assigned ${nameOf(people, event.user)}`;
    case "item_unassigned":
      return `unassigned ${nameOf(people, event.user)}`;
    case "label_added":
      return `added the label “${event.label}”`;
    case "label_removed":
      return `removed the label “${event.label}”`;
    case "item_archived":
      return "archived it";
    case "item_restored":
      return "restored it";
    case "comment_added":
      return "commented";
    case "comment_edited":
      return "edited a comment";
    case "comment_deleted":
      return "deleted a comment";
    default:
      return event.type.replace(/_/g, " ");
  }
}

/** A time a person reads: "14:05" today, "3 Dec 14:05" before. */
export function when(at: number): string {
  const d = new Date(at);
  const today = new Date().toDateString() === d.toDateString();
  const time = d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  return today ? time : `${d.toLocaleDateString(undefined, { day: "numeric", month: "short" })} ${time}`;
}
