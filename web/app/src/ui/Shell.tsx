/**
 * The frame of every logged-in page: the organization switcher, the
 * organization's pages, search, the account menu, the connection
 * banner (reconnecting / offline, with the number of queued edits), and
 * the note to confirm the email address.
 */

import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { Link, match, navigate, useLocation } from "../router.js";
import { current, logout } from "../session.js";
import { useStore } from "../store.js";
import { session } from "../session.js";
import { SearchBox } from "./Search.js";
import { VerifyBanner } from "./Verification.js";

/** The organization key in the current path, if any. */
export function orgKeyOf(path: string): string | undefined {
  return match("/o/:org", path)?.org ?? (path.startsWith("/o/") ? path.split("/")[2] : undefined);
}

export function Shell(props: { children: ComponentChildren }) {
  useStore(session);
  const { me } = current();
  const path = useLocation().split("?")[0] ?? "/";
  const key = orgKeyOf(path);
  const org = me.orgs.find((o) => o.key === key);
  const admin = org && (org.role === "admin" || org.role === "owner");
  return (
    <div class="shell">
      <header class="topbar">
        <Link href="/" class="brand" aria-label="Corkboard home">
          <img src="/favicon.svg" alt="" width={24} height={24} />
          <span>Corkboard</span>
        </Link>
        <label class="org-switch">
          <span class="visually-hidden">Organization</span>
          <select
            value={org?.key ?? ""}
            onChange={(e) => {
              const v = (e.currentTarget as HTMLSelectElement).value;
              navigate(v === "" ? "/orgs/new" : `/o/${v}`);
            }}
          >
            {!org && <option value="">Choose an organization</option>}
            {me.orgs.map((o) => (
              <option key={o.id} value={o.key}>
                {o.name} ({o.key})
              </option>
            ))}
            {org && <option value="">+ New organization</option>}
          </select>
        </label>
        {org && (
          <nav class="org-nav" aria-label="Organization">
            <Link href={`/o/${org.key}`} aria-current={path === `/o/${org.key}` ? "page" : undefined}>
              Boards
            </Link>
            <Link href={`/o/${org.key}/members`} aria-current={path.endsWith("/members") ? "page" : undefined}>
              Members
            </Link>
            {admin && (
              <Link href={`/o/${org.key}/api-keys`} aria-current={path.endsWith("/api-keys") ? "page" : undefined}>
                API keys
              </Link>
            )}
            {org.role === "owner" && (
              <Link href={`/o/${org.key}/settings`} aria-current={path.endsWith("/settings") ? "page" : undefined}>
                Settings
              </Link>
            )}
          </nav>
        )}
        <div class="spacer" />
        {org && <SearchBox org={org} />}
        <nav class="account-nav" aria-label="Account">
          <Link href="/account" aria-current={path === "/account" ? "page" : undefined} title={me.email}>
            {me.name}
          </Link>
          <button type="button" class="link" onClick={() => void logout()}>
            Log out
          </button>
        </nav>
      </header>
      <ConnectionBanner />
      <VerifyBanner path={path} />
      {props.children}
    </div>
  );
}

/** Says when the live connection is down, and how many edits wait for it. */
export function ConnectionBanner() {
  const { client } = current();
  const [, setTick] = useState(0);
  useEffect(() => {
    const rerender = () => setTick((t) => t + 1);
    const offs = [client.on("status", rerender), client.on("acked", rerender), client.on("rejected", rerender)];
    // Queued edits change without a status change (an edit made offline).
    const timer = setInterval(rerender, 500);
    return () => {
      offs.forEach((off) => off());
      clearInterval(timer);
    };
  }, [client]);
  const status = client.status;
  const queued = client.queued;
  if (status.state === "open" || status.state === "connecting") return null;
  const edits = queued === 0 ? "" : queued === 1 ? " 1 edit is waiting to be sent." : ` ${queued} edits are waiting to be sent.`;
  const text =
    status.state === "offline"
      ? `You are offline. Changes you make are kept and sent when the connection returns.${edits}`
      : status.state === "reconnecting"
        ? `Reconnecting…${edits}`
        : `Disconnected.${edits}`;
  return (
    <div class={`banner banner-${status.state}`} role="status" data-testid="connection-banner" data-queued={queued}>
      {text}
    </div>
  );
}
