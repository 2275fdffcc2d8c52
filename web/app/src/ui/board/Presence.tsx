/** Who is on the board (avatars) and who has which card open. */

import type { BoardHandle, PresenceEntry } from "@corkboard/client";
import { hueOf, initials, nameOf, type People } from "../people.js";

/** One entry per person (a user may have several tabs), others first, without this tab. */
export function others(handle: BoardHandle, mySession: string | undefined): PresenceEntry[] {
  const seen = new Map<string, PresenceEntry>();
  for (const entry of handle.presence.values()) {
    if (entry.session === mySession) continue;
    const had = seen.get(entry.user);
    if (!had || (!had.state.item && entry.state.item)) seen.set(entry.user, entry);
  }
  return [...seen.values()];
}

/** Who has each card open (other sessions only). */
export function viewersByItem(handle: BoardHandle, mySession: string | undefined): Map<string, string[]> {
  const byItem = new Map<string, string[]>();
  for (const entry of handle.presence.values()) {
    if (entry.session === mySession || !entry.state.item) continue;
    const users = byItem.get(entry.state.item) ?? [];
    if (!users.includes(entry.user)) users.push(entry.user);
    byItem.set(entry.state.item, users);
  }
  return byItem;
}

export function Avatar(props: { user: string; people: People; size?: "small" }) {
  const name = nameOf(props.people, props.user);
  return (
    <span class={`avatar${props.size ? ` avatar-${props.size}` : ""}`} title={name} style={{ backgroundColor: `hsl(${hueOf(props.user)} 50% 30%)` }}>
      <span aria-hidden="true">{initials(name)}</span>
      <span class="visually-hidden">{name}</span>
    </span>
  );
}

export function PresenceBar(props: { entries: PresenceEntry[]; people: People; cardTitle: (item: string) => string | undefined }) {
  if (props.entries.length === 0) return <span class="muted small" data-testid="presence">Only you are here</span>;
  return (
    <ul class="presence" aria-label="People on this board" data-testid="presence">
      {props.entries.map((e) => {
        const title = e.state.item ? props.cardTitle(e.state.item) : undefined;
        return (
          <li key={e.user} data-user={e.user} title={title ? `${nameOf(props.people, e.user)} is looking at “${title}”` : nameOf(props.people, e.user)}>
            <Avatar user={e.user} people={props.people} />
          </li>
        );
      })}
    </ul>
  );
}
