/**
 * The account: who I am and whether my address is confirmed, my
 * organizations, the mail I want, my password, my login sessions (end
 * one, all others, or log out), and deleting the account.
 */

import type { Schemas } from "@corkboard/client";
import { useState } from "preact/hooks";
import { allPages, errorText } from "../api.js";
import { Link } from "../router.js";
import { current, logout, session } from "../session.js";
import { useLoad, useStore } from "../store.js";
import { ChangePassword, DeleteAccount } from "./AccountSecurity.js";
import { ErrorLine } from "./forms.js";
import { ROLE_LABELS, when } from "./Members.js";
import { NotificationSettings } from "./Notifications.js";
import { announce, toast } from "./Toasts.js";
import { EmailStatus } from "./Verification.js";

type SessionOut = Schemas["SessionOut"];

function allSessions(): Promise<SessionOut[]> {
  const { client } = current();
  return allPages((query) => client.rest.call("get", "/api/v1/auth/sessions", { query }), (p) => p.sessions);
}

/** "Firefox on Linux" from a user agent; the agent's start when it is not a browser. */
export function shortAgent(ua: string | null | undefined): string {
  if (!ua) return "Unknown device";
  const browser = /Edg(?:e|A|iOS)?\//.test(ua)
    ? "Edge"
    : /OPR\/|Opera/.test(ua)
      ? "Opera"
      : /Firefox\/|FxiOS\//.test(ua)
        ? "Firefox"
        : /Chrome\/|CriOS\//.test(ua)
          ? "Chrome"
          : /Safari\//.test(ua) && /Version\//.test(ua)
            ? "Safari"
            : undefined;
  const os = /iPhone|iPad|iPod/.test(ua)
    ? "iOS"
    : /Android/.test(ua)
      ? "Android"
      : /Windows/.test(ua)
        ? "Windows"
        : /Mac OS X|Macintosh/.test(ua)
          ? "macOS"
          : /CrOS/.test(ua)
            ? "ChromeOS"
            : /Linux/.test(ua)
              ? "Linux"
              : undefined;
  if (browser) return os ? `${browser} on ${os}` : browser;
  const head = ua.split(/[\s(]/)[0] ?? ua;
  return head.length > 40 ? `${head.slice(0, 39)}…` : head || "Unknown device";
}

export function AccountPage() {
  useStore(session);
  const { me, client } = current();
  const sessions = useLoad(allSessions, []);
  const [ending, setEnding] = useState(false);
  const list = sessions.data ?? [];
  const others = list.filter((s) => !s.current);

  const end = (s: SessionOut) =>
    client.rest.call("delete", "/api/v1/auth/sessions/{id}", { path: { id: s.id } }).then(
      () => {
        announce(`The session of ${shortAgent(s.user_agent)} was ended.`);
        sessions.reload();
      },
      (e: unknown) => toast(errorText(e)),
    );

  const endOthers = async () => {
    setEnding(true);
    let failed = 0;
    for (const s of others) {
      try {
        await client.rest.call("delete", "/api/v1/auth/sessions/{id}", { path: { id: s.id } });
      } catch (e) {
        failed++;
        toast(errorText(e));
      }
    }
    setEnding(false);
    announce(failed === 0 ? "All other sessions were ended." : `${failed} of ${others.length} sessions could not be ended.`);
    sessions.reload();
  };

  return (
    <main class="page narrow account" data-testid="account-page">
      <h1>Your account</h1>
      <dl class="facts">
        <dt>Name</dt>
        <dd data-testid="account-name">{me.name}</dd>
        <dt>Email</dt>
        <dd>
          <span data-testid="account-email">{me.email}</span> <EmailStatus />
        </dd>
      </dl>

      <section aria-labelledby="account-orgs-title">
        <h2 id="account-orgs-title">Organizations</h2>
        {me.orgs.length === 0 ? (
          <p class="muted">
            You are not in an organization yet. <Link href="/orgs/new">Create one</Link>.
          </p>
        ) : (
          <ul class="org-list">
            {me.orgs.map((o) => (
              <li key={o.id}>
                <Link href={`/o/${o.key}`}>{o.name}</Link> <span class="muted small">({o.key})</span> <span class={`badge role-${o.role}`}>{ROLE_LABELS[o.role]}</span>
              </li>
            ))}
          </ul>
        )}
        <p>
          <Link href="/orgs/new">New organization</Link>
        </p>
      </section>

      <section aria-labelledby="account-mail-title">
        <h2 id="account-mail-title">Notifications</h2>
        <NotificationSettings />
      </section>

      <ChangePassword onChanged={sessions.reload} />

      <section aria-labelledby="account-sessions-title">
        <div class="page-head">
          <h2 id="account-sessions-title">Login sessions</h2>
          {others.length > 0 && (
            <button type="button" class="danger" disabled={ending} onClick={() => void endOthers()} data-testid="end-other-sessions">
              {ending ? "Ending…" : "End all other sessions"}
            </button>
          )}
        </div>
        <p class="muted small">Every browser or program you logged in with. End a session you do not recognise: it is logged out at once.</p>
        {sessions.error !== undefined && <ErrorLine error={sessions.error} />}
        {sessions.loading && !sessions.data && <p class="muted">Loading sessions…</p>}
        {list.length > 0 && (
          <table class="table sessions-table" data-testid="sessions-table">
            <caption class="visually-hidden">Your login sessions</caption>
            <thead>
              <tr>
                <th scope="col">Device</th>
                <th scope="col">IP address</th>
                <th scope="col">Logged in</th>
                <th scope="col">Last used</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((s) => (
                <tr key={s.id} data-testid="session-row" data-current={s.current ? "true" : "false"}>
                  <td>
                    <span title={s.user_agent ?? undefined}>{shortAgent(s.user_agent)}</span>
                    {s.current && (
                      <span class="badge current" data-testid="this-device">
                        this device
                      </span>
                    )}
                  </td>
                  <td>{s.ip ?? "—"}</td>
                  <td>{when(s.created_at)}</td>
                  <td>{when(s.last_used_at)}</td>
                  <td>
                    {s.current ? (
                      <button type="button" class="link" onClick={() => void logout()} data-testid="session-logout">
                        Log out
                      </button>
                    ) : (
                      <button
                        type="button"
                        class="link danger"
                        onClick={() => void end(s)}
                        aria-label={`End the session of ${shortAgent(s.user_agent)}, last used ${when(s.last_used_at)}`}
                        data-testid="session-end"
                      >
                        End
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <DeleteAccount />
    </main>
  );
}
