/** An organization's members by user id: names for avatars, assignees and history. */

import type { OrgHandle, Schemas } from "@corkboard/client";
import { useEffect, useState } from "preact/hooks";
import { allPages } from "../api.js";
import { current } from "../session.js";

export type MemberView = Schemas["MemberView"];
export type People = Map<string, MemberView>;

/** Every member of `org`. */
export function allMembers(org: string): Promise<MemberView[]> {
  const { client } = current();
  return allPages((query) => client.rest.members(org, query), (p) => p.members);
}

async function load(org: string): Promise<People> {
  return new Map((await allMembers(org)).map((m) => [m.user_id, m]));
}

/**
 * The members of `org` (empty until loaded): read when the page mounts,
 * and again when `channel` reports a membership change. Each page reads
 * its own (no cache to go stale between pages); a later answer never
 * replaces a newer one.
 */
export function usePeople(org: string | undefined, channel?: OrgHandle): People {
  const [people, setPeople] = useState<People>(new Map());
  useEffect(() => {
    if (!org) return;
    let live = true;
    let asked = 0;
    const refresh = () => {
      const round = ++asked;
      load(org).then(
        (p) => live && round === asked && setPeople(p),
        () => undefined, // Names fall back to "Someone"; the next membership event reads again.
      );
    };
    refresh();
    const off = channel?.on("change", ({ event }) => {
      if (event && (event.type === "member_added" || event.type === "member_removed" || event.type === "member_role_changed")) refresh();
    });
    return () => {
      live = false;
      off?.();
    };
  }, [org, channel]);
  return people;
}

/** A person's display name; "Someone" for a user the list does not know (a removed member). */
export function nameOf(people: People, user: string): string {
  return people.get(user)?.name ?? "Someone";
}

/** Up to two initials of a name, for an avatar. */
export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const letters = parts.length > 1 ? [parts[0]![0], parts[parts.length - 1]![0]] : [parts[0]?.[0], parts[0]?.[1]];
  return letters.filter(Boolean).join("").toUpperCase() || "?";
}

/** A stable hue per user, for avatars. */
export function hueOf(user: string): number {
  let h = 0;
  for (let i = 0; i < user.length; i++) h = (h * 31 + user.charCodeAt(i)) >>> 0;
  return h % 360;
}
