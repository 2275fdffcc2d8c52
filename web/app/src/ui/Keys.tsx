/** An organization's API keys: create (the key shown once), list, revoke. Admins and owners only. */

import type { Schemas } from "@corkboard/client";
import { useState } from "preact/hooks";
import { allPages, errorText } from "../api.js";
import { current, session, type OrgView } from "../session.js";
import { useLoad, useStore } from "../store.js";
import { NoOrg } from "./Boards.js";
import { ErrorLine, Field, useSubmit, valueOf } from "./forms.js";
import { ROLE_LABELS, ROLES, RoleSelect, SecretBox, when, type Role } from "./Members.js";
import { announce, toast } from "./Toasts.js";
import { isAdmin, orgByKey } from "./useOrg.js";

type ListedKey = Schemas["ListedKey"];
type CreatedKey = Schemas["CreatedKey"];

function allKeys(org: string): Promise<ListedKey[]> {
  const { client } = current();
  return allPages((query) => client.rest.call("get", "/api/v1/orgs/{org}/api-keys", { path: { org }, query }), (p) => p.api_keys);
}

export function KeysPage(props: { orgKey: string }) {
  useStore(session);
  const org = orgByKey(props.orgKey);
  if (!org) return <NoOrg orgKey={props.orgKey} />;
  if (!isAdmin(org.role)) {
    return (
      <main class="page narrow" data-testid="keys-page">
        <h1>{org.name} API keys</h1>
        <p class="notice">Only admins and owners manage the API keys of {org.name}. Ask one of them for a key.</p>
      </main>
    );
  }
  return <OrgKeys key={org.id} org={org} />;
}

function keyStatus(k: ListedKey, now: number): { text: string; kind: string } {
  if (k.revoked) return { text: "Revoked", kind: "revoked" };
  if (k.expires_at !== null && k.expires_at !== undefined && k.expires_at <= now) return { text: "Expired", kind: "expired" };
  return { text: "Active", kind: "active" };
}

function OrgKeys({ org }: { org: OrgView }) {
  const { client } = current();
  const keys = useLoad(() => allKeys(org.id), [org.id]);
  const [created, setCreated] = useState<CreatedKey | undefined>(undefined);
  const revoke = (k: ListedKey) =>
    client.rest.call("delete", "/api/v1/orgs/{org}/api-keys/{id}", { path: { org: org.id, id: k.id } }).then(
      () => {
        announce(`The key ${k.name} was revoked.`);
        keys.reload();
      },
      (e: unknown) => toast(errorText(e)),
    );
  const list = keys.data ?? [];
  const now = Date.now();
  return (
    <main class="page" data-testid="keys-page">
      <div class="page-head">
        <h1>{org.name} API keys</h1>
      </div>
      <p class="muted">
        A key lets a script or another service use the API as a member of {org.name}, with the key's role. Send it as <code>Authorization: Bearer &lt;key&gt;</code>.
      </p>
      <CreateKey
        org={org}
        onCreated={(k) => {
          setCreated(k);
          keys.reload();
        }}
      />
      <div aria-live="polite">
        {created && (
          <SecretBox
            label={`API key ${created.name} (${ROLE_LABELS[created.role].toLowerCase()})`}
            value={created.key}
            note="Copy the key now and keep it somewhere safe: it will not be shown again."
            testid="new-api-key"
            onDismiss={() => setCreated(undefined)}
          />
        )}
      </div>
      <h2>Keys</h2>
      {keys.error !== undefined && <ErrorLine error={keys.error} />}
      {keys.loading && !keys.data && <p class="muted">Loading keys…</p>}
      {keys.data && list.length === 0 && <p class="muted">No API keys yet.</p>}
      {list.length > 0 && (
        <table class="table keys-table" data-testid="keys-table">
          <caption class="visually-hidden">API keys of {org.name}</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Prefix</th>
              <th scope="col">Role</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">Expires</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((k) => {
              const status = keyStatus(k, now);
              return (
                <tr key={k.id} data-testid="key-row" data-key-id={k.id} data-revoked={k.revoked ? "true" : "false"}>
                  <td>{k.name}</td>
                  <td>
                    <code>{k.prefix}</code>
                  </td>
                  <td>{ROLE_LABELS[k.role]}</td>
                  <td>{when(k.created_at)}</td>
                  <td>{when(k.last_used_at)}</td>
                  <td>{when(k.expires_at)}</td>
                  <td>
                    <span class={`badge status-${status.kind}`}>{status.text}</span>
                  </td>
                  <td>
                    {!k.revoked && (
                      <button type="button" class="link danger" onClick={() => void revoke(k)} aria-label={`Revoke the key ${k.name}`} data-testid="key-revoke">
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </main>
  );
}

function CreateKey(props: { org: OrgView; onCreated: (key: CreatedKey) => void }) {
  const grantable = ROLES.slice(0, ROLES.indexOf(props.org.role) + 1);
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>(grantable.includes("member") ? "member" : (grantable[0] ?? "viewer"));
  const [days, setDays] = useState("");
  const form = useSubmit(async () => {
    const { client } = current();
    const d = days.trim() === "" ? null : Number(days);
    const key = await client.rest.call("post", "/api/v1/orgs/{org}/api-keys", {
      path: { org: props.org.id },
      body: { name: name.trim(), role, expires_in_days: d },
    });
    setName("");
    setDays("");
    props.onCreated(key);
  });
  return (
    <form class="card-form" onSubmit={form.onSubmit} aria-labelledby="new-key-title" data-testid="create-key-form">
      <h2 id="new-key-title">New API key</h2>
      <Field label="Name" hint="What uses it, like “CI deploys”.">
        <input name="key-name" required maxLength={100} value={name} onInput={(e) => setName(valueOf(e))} />
      </Field>
      <RoleSelect label="Role" name="key-role" value={role} roles={grantable} onChange={setRole} />
      <Field label="Expires after (days)" hint="1 to 3650. Leave empty for a key that does not expire.">
        <input name="key-expiry" type="number" inputMode="numeric" min={1} max={3650} step={1} value={days} onInput={(e) => setDays(valueOf(e))} />
      </Field>
      <ErrorLine error={form.error} />
      <button type="submit" class="primary" disabled={form.busy}>
        Create key
      </button>
    </form>
  );
}
