/**
 * An organization's members (live through the org channel), and for admins
 * and owners: role changes, removal, adding an account by email, and
 * invite links (shown once) with the list of invites.
 */

import type { Schemas } from "@corkboard/client";
import { useEffect, useRef, useState } from "preact/hooks";
import { allPages, errorText } from "../api.js";
import { navigate } from "../router.js";
import { current, reloadMe, session, type OrgView } from "../session.js";
import { useLoad, useStore } from "../store.js";
import { NoOrg } from "./Boards.js";
import { ErrorLine, Field, useSubmit, valueOf } from "./forms.js";
import { allMembers, type MemberView } from "./people.js";
import { announce, toast } from "./Toasts.js";
import { isAdmin, orgByKey, useOrgChannel } from "./useOrg.js";

export type Role = Schemas["Role"];
type InviteView = Schemas["InviteView"];
type CreatedInvite = Schemas["CreatedInvite"];

/** The roles, least powerful first. */
export const ROLES: readonly Role[] = ["viewer", "member", "admin", "owner"];

export const ROLE_LABELS: Record<Role, string> = { viewer: "Viewer", member: "Member", admin: "Admin", owner: "Owner" };

/** A time for a table cell; `fallback` when there is none. */
export function when(ms: number | null | undefined, fallback = "Never"): string {
  if (ms === null || ms === undefined) return fallback;
  return new Date(ms).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/**
 * A secret shown once (an invite link, an API key): a read-only input, a
 * Copy button (the clipboard, else the text selected for Ctrl+C), and what
 * to do with it.
 */
export function SecretBox(props: { label: string; value: string; note: string; testid: string; onDismiss?: () => void }) {
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState(false);
  useEffect(() => setCopied(false), [props.value]);
  const select = () => {
    input.current?.focus();
    input.current?.select();
  };
  const copy = async () => {
    try {
      if (!navigator.clipboard) throw new Error("no clipboard");
      await navigator.clipboard.writeText(props.value);
      setCopied(true);
      announce("Copied to the clipboard.");
    } catch {
      select();
      toast("The text is selected: press Ctrl+C (⌘C on a Mac) to copy it.", "info");
    }
  };
  return (
    <div class="secret-box notice" data-testid={props.testid}>
      <Field label={props.label}>
        <input
          ref={input}
          class="secret-value"
          readOnly
          value={props.value}
          spellcheck={false}
          autoComplete="off"
          onFocus={(e) => (e.currentTarget as HTMLInputElement).select()}
          data-testid={`${props.testid}-value`}
        />
      </Field>
      <div class="row-actions">
        <button type="button" class="primary" onClick={() => void copy()} data-testid={`${props.testid}-copy`}>
          {copied ? "Copied" : "Copy"}
        </button>
        {props.onDismiss && (
          <button type="button" class="link" onClick={props.onDismiss}>
            Done
          </button>
        )}
      </div>
      <p class="small">{props.note}</p>
    </div>
  );
}


function allInvites(org: string): Promise<InviteView[]> {
  const { client } = current();
  return allPages((query) => client.rest.call("get", "/api/v1/orgs/{org}/invites", { path: { org }, query }), (p) => p.invites);
}

export function MembersPage(props: { orgKey: string }) {
  useStore(session);
  const org = orgByKey(props.orgKey);
  if (!org) return <NoOrg orgKey={props.orgKey} />;
  return <OrgMembers key={org.id} org={org} />;
}

function OrgMembers({ org }: { org: OrgView }) {
  const { me } = current();
  const members = useLoad(() => allMembers(org.id), [org.id]);
  const admin = isAdmin(org.role);
  useOrgChannel(org, (event) => {
    if (event.type === "member_added" || event.type === "member_removed" || event.type === "member_role_changed") {
      members.reload();
      if (event.user === me.id) void reloadMe().catch(() => undefined);
    }
  });
  const list = members.data ?? [];
  return (
    <main class="page" data-testid="members-page">
      <div class="page-head">
        <h1>{org.name} members</h1>
        {members.data && <span class="muted">{list.length === 1 ? "1 member" : `${list.length} members`}</span>}
      </div>
      {!admin && <p class="muted">Only admins and owners change roles, add members and invite people.</p>}
      {members.error !== undefined && <ErrorLine error={members.error} />}
      {members.loading && !members.data && <p class="muted">Loading members…</p>}
      {members.data && (
        <table class="table members-table" data-testid="members-table">
          <caption class="visually-hidden">Members of {org.name}</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              {admin && (
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {list.map((m) => (
              <MemberRow key={m.user_id} org={org} member={m} self={m.user_id === me.id} admin={admin} onChanged={members.reload} />
            ))}
          </tbody>
        </table>
      )}
      {admin && <AddMember org={org} onAdded={members.reload} />}
      {admin && <Invites org={org} />}
    </main>
  );
}

function MemberRow(props: { org: OrgView; member: MemberView; self: boolean; admin: boolean; onChanged: () => void }) {
  const { client } = current();
  const m = props.member;
  const [role, setRole] = useState<Role>(m.role);
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  useEffect(() => setRole(m.role), [m.role]);

  const changeRole = async (next: Role) => {
    setRole(next);
    setBusy(true);
    try {
      await client.rest.call("patch", "/api/v1/orgs/{org}/members/{user}", { path: { org: props.org.id, user: m.user_id }, body: { role: next } });
      announce(`${m.name} is now ${ROLE_LABELS[next].toLowerCase()}.`);
      if (props.self) await reloadMe();
      props.onChanged();
    } catch (e) {
      setRole(m.role);
      toast(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    setBusy(true);
    try {
      await client.rest.call("delete", "/api/v1/orgs/{org}/members/{user}", { path: { org: props.org.id, user: m.user_id } });
      setConfirming(false);
      if (props.self) {
        toast(`You left ${props.org.name}.`, "info");
        await reloadMe();
        navigate("/");
        return;
      }
      announce(`${m.name} was removed.`);
      props.onChanged();
    } catch (e) {
      toast(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <tr data-testid="member-row" data-user={m.user_id} data-role={m.role}>
      <td>
        {m.name}
        {props.self && (
          <span class="badge you" data-testid="member-you">
            you
          </span>
        )}
      </td>
      <td>{m.email}</td>
      <td>
        {props.admin ? (
          <select
            aria-label={`Role of ${m.name}`}
            value={role}
            disabled={busy}
            data-testid="member-role"
            onChange={(e) => {
              const next = (e.currentTarget as HTMLSelectElement).value as Role;
              if (next !== m.role) void changeRole(next);
            }}
          >
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {ROLE_LABELS[r]}
              </option>
            ))}
          </select>
        ) : (
          <span class={`badge role-${m.role}`}>{ROLE_LABELS[m.role]}</span>
        )}
      </td>
      {props.admin && (
        <td>
          {confirming ? (
            <span class="row-actions confirm" role="group" aria-label={props.self ? "Confirm leaving" : `Confirm removing ${m.name}`}>
              <span>{props.self ? "Leave the organization?" : `Remove ${m.name}?`}</span>
              <button type="button" class="danger" disabled={busy} onClick={() => void remove()} data-testid="member-remove-yes">
                Yes, {props.self ? "leave" : "remove"}
              </button>
              <button type="button" class="link" disabled={busy} onClick={() => setConfirming(false)} data-testid="member-remove-no">
                No
              </button>
            </span>
          ) : (
            <span class="row-actions">
              <button
                type="button"
                class="link danger"
                disabled={busy}
                onClick={() => setConfirming(true)}
                aria-label={props.self ? "Leave the organization" : `Remove ${m.name}`}
                data-testid="member-remove"
              >
                {props.self ? "Leave" : "Remove"}
              </button>
            </span>
          )}
        </td>
      )}
    </tr>
  );
}

export function RoleSelect(props: { label: string; value: Role; roles?: readonly Role[]; onChange: (role: Role) => void; name: string }) {
  return (
    <Field label={props.label}>
      <select name={props.name} value={props.value} onChange={(e) => props.onChange((e.currentTarget as HTMLSelectElement).value as Role)}>
        {(props.roles ?? ROLES).map((r) => (
          <option key={r} value={r}>
            {ROLE_LABELS[r]}
          </option>
        ))}
      </select>
    </Field>
  );
}

function AddMember(props: { org: OrgView; onAdded: () => void }) {
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("member");
  const [added, setAdded] = useState<string | undefined>(undefined);
  const form = useSubmit(async () => {
    const { client } = current();
    setAdded(undefined);
    const member = await client.rest.call("post", "/api/v1/orgs/{org}/members", { path: { org: props.org.id }, body: { email: email.trim(), role } });
    setEmail("");
    setAdded(`${member.name} (${member.email}) was added as ${ROLE_LABELS[member.role].toLowerCase()}.`);
    props.onAdded();
  });
  return (
    <section class="members-section" aria-labelledby="add-member-title">
      <h2 id="add-member-title">Add by email</h2>
      <p class="muted small">For someone who already has a Corkboard account. Otherwise, invite them below.</p>
      <form class="inline-form" onSubmit={form.onSubmit} data-testid="add-member-form">
        <Field label="Email">
          <input type="email" name="member-email" required autoComplete="off" value={email} onInput={(e) => setEmail(valueOf(e))} />
        </Field>
        <RoleSelect label="Role" name="member-role" value={role} onChange={setRole} />
        <button type="submit" class="primary" disabled={form.busy}>
          Add member
        </button>
      </form>
      <ErrorLine error={form.error} />
      <p class={added ? "notice small" : "visually-hidden"} role="status" aria-live="polite" data-testid="add-member-result">
        {added ?? ""}
      </p>
    </section>
  );
}

const INVITE_LIFETIMES: { hours: number; label: string }[] = [
  { hours: 24, label: "1 day" },
  { hours: 72, label: "3 days" },
  { hours: 168, label: "7 days" },
  { hours: 720, label: "30 days" },
];

const STATUS_LABELS: Record<InviteView["status"], string> = { pending: "Pending", accepted: "Accepted", revoked: "Revoked", expired: "Expired" };

function Invites(props: { org: OrgView }) {
  const { client } = current();
  const invites = useLoad(() => allInvites(props.org.id), [props.org.id]);
  const [role, setRole] = useState<Role>("member");
  const [hours, setHours] = useState(168);
  const [email, setEmail] = useState("");
  const [created, setCreated] = useState<{ invite: CreatedInvite; mailedTo?: string } | undefined>(undefined);
  const [showAll, setShowAll] = useState(false);
  const form = useSubmit(async () => {
    const to = email.trim();
    const body = to === "" ? { role, expires_in_hours: hours } : { role, expires_in_hours: hours, email: to };
    const invite = await client.rest.call("post", "/api/v1/orgs/{org}/invites", { path: { org: props.org.id }, body });
    setCreated(to === "" ? { invite } : { invite, mailedTo: to });
    setEmail("");
    invites.reload();
  });
  const revoke = (id: string) =>
    client.rest.call("delete", "/api/v1/orgs/{org}/invites/{id}", { path: { org: props.org.id, id } }).then(
      () => {
        announce("The invite was revoked.");
        invites.reload();
      },
      (e: unknown) => toast(errorText(e)),
    );
  const all = invites.data ?? [];
  const list = showAll ? all : all.filter((i) => i.status === "pending");
  return (
    <section class="members-section" aria-labelledby="invites-title">
      <h2 id="invites-title">Invite people</h2>
      <p class="muted small">
        An invite link lets one person join {props.org.name} with the role you choose, after they log in or create an account. Give an email address and Corkboard mails the link
        there; leave it empty to send the link yourself.
      </p>
      <form class="inline-form" onSubmit={form.onSubmit} data-testid="invite-form">
        <Field label="Email (optional)">
          <input type="email" name="invite-email" autocomplete="off" maxLength={254} value={email} onInput={(e) => setEmail((e.currentTarget as HTMLInputElement).value)} />
        </Field>
        <RoleSelect label="Role" name="invite-role" value={role} onChange={setRole} />
        <Field label="Expires after">
          <select name="invite-expiry" value={String(hours)} onChange={(e) => setHours(Number((e.currentTarget as HTMLSelectElement).value))}>
            {INVITE_LIFETIMES.map((l) => (
              <option key={l.hours} value={String(l.hours)}>
                {l.label}
              </option>
            ))}
          </select>
        </Field>
        <button type="submit" class="primary" disabled={form.busy}>
          {email.trim() === "" ? "Create invite link" : "Send invite"}
        </button>
      </form>
      <ErrorLine error={form.error} />
      <div aria-live="polite">
        {created && (
          <SecretBox
            label={`Invite link (${ROLE_LABELS[created.invite.role].toLowerCase()}, expires ${when(created.invite.expires_at)})`}
            value={`${window.location.origin}/invite/${created.invite.token}`}
            note={
              created.mailedTo === undefined
                ? "This link is shown only once. Copy it and send it to your teammate."
                : `Corkboard is sending the link to ${created.mailedTo}. It is also shown here this once, if you would rather send it another way.`
            }
            testid="invite-link"
            onDismiss={() => setCreated(undefined)}
          />
        )}
      </div>

      <div class="page-head">
        <h3>{showAll ? "All invites" : "Pending invites"}</h3>
        <label class="check">
          <input type="checkbox" checked={showAll} onChange={(e) => setShowAll((e.currentTarget as HTMLInputElement).checked)} />
          Show accepted, revoked and expired invites
        </label>
      </div>
      {invites.error !== undefined && <ErrorLine error={invites.error} />}
      {invites.loading && !invites.data && <p class="muted">Loading invites…</p>}
      {invites.data && list.length === 0 && <p class="muted">{showAll ? "No invites yet." : "No pending invites."}</p>}
      {list.length > 0 && (
        <table class="table invites-table" data-testid="invites-table">
          <caption class="visually-hidden">Invites of {props.org.name}</caption>
          <thead>
            <tr>
              <th scope="col">Role</th>
              <th scope="col">Status</th>
              <th scope="col">Created</th>
              <th scope="col">Expires</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((i) => (
              <tr key={i.id} data-testid="invite-row" data-status={i.status}>
                <td>{ROLE_LABELS[i.role]}</td>
                <td>
                  <span class={`badge status-${i.status}`}>{STATUS_LABELS[i.status]}</span>
                </td>
                <td>{when(i.created_at)}</td>
                <td>{when(i.expires_at)}</td>
                <td>
                  {i.status === "pending" && (
                    <button
                      type="button"
                      class="link danger"
                      onClick={() => void revoke(i.id)}
                      aria-label={`Revoke the ${ROLE_LABELS[i.role].toLowerCase()} invite created ${when(i.created_at)}`}
                      data-testid="invite-revoke"
                    >
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
