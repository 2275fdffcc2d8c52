/** The organization of a page, by key, from the account's list. */

import { current, type OrgView } from "../session.js";

export function orgByKey(key: string): OrgView | undefined {
  return current().me.orgs.find((o) => o.key === key);
}

/** Whether `role` may change boards and cards. */
export function canEdit(role: OrgView["role"]): boolean {
  return role !== "viewer";
}

/** Whether `role` manages members, invites and API keys. */
export function isAdmin(role: OrgView["role"]): boolean {
  return role === "admin" || role === "owner";
}
