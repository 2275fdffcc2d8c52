/** The organization of a page, by key, from the account's list. */

import type { OrgEvent } from "@corkboard/client";
import { useEffect } from "preact/hooks";
import { navigate } from "../router.js";
import { current, reloadMe, type OrgView } from "../session.js";
import { toast } from "./Toasts.js";

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

/**
 * Follows `org`'s channel while the page is shown: `onEvent` for each of
 * its events. When the server ends the channel because I lost access
 * (removed, or the organization was deleted: `org_deleted` comes first),
 * the page says which, my account is read again and I am taken home.
 */
export function useOrgChannel(org: OrgView, onEvent: (event: OrgEvent) => void): void {
  useEffect(() => {
    const { client } = current();
    const channel = client.org(org.id);
    let deleted = false;
    const offEvent = channel.on("change", ({ event }) => {
      if (!event) return;
      // The channel ends right after: nothing on the page is worth reading again.
      if (event.type === "org_deleted") {
        deleted = true;
        return;
      }
      // The name shown everywhere comes from my account's list.
      if (event.type === "org_renamed") void reloadMe().catch(() => undefined);
      onEvent(event);
    });
    const offStatus = channel.on("status", (status) => {
      if ((status === "unsubscribed" || status === "failed") && channel.error?.code === "access_lost") {
        toast(deleted ? `${org.name} was deleted.` : `You are no longer a member of ${org.name}.`, "info");
        void reloadMe()
          .catch(() => undefined)
          .then(() => navigate("/", { replace: true }));
      }
    });
    return () => {
      offEvent();
      offStatus();
      channel.close();
    };
  }, [org.id]);
}
