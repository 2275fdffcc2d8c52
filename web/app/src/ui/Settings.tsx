/**
 * An organization's settings, for its owners: rename it, hand its
 * ownership to another member, delete it. Others see who may.
 */

import { useState } from "preact/hooks";
import { navigate } from "../router.js";
import { current, reloadMe, session, type OrgView } from "../session.js";
import { useLoad, useStore } from "../store.js";
import { NoOrg } from "./Boards.js";
import { ErrorLine, Field, useSubmit, valueOf } from "./forms.js";
import { allMembers } from "./people.js";
import { announce, toast } from "./Toasts.js";
import { orgByKey } from "./useOrg.js";

export function SettingsPage(props: { orgKey: string }) {
  useStore(session);
  const org = orgByKey(props.orgKey);
  if (!org) return <NoOrg orgKey={props.orgKey} />;
  if (org.role !== "owner") {
    return (
      <main class="page narrow" data-testid="settings-page">
        <h1>{org.name} settings</h1>
        <p class="notice">Only an owner renames, hands over or deletes {org.name}.</p>
      </main>
    );
  }
  return (
    <main class="page narrow" data-testid="settings-page">
      <h1>{org.name} settings</h1>
      <Rename key={`rename-${org.id}`} org={org} />
      <Transfer key={`transfer-${org.id}`} org={org} />
      <Delete key={`delete-${org.id}`} org={org} />
    </main>
  );
}

function Rename({ org }: { org: OrgView }) {
  const [name, setName] = useState(org.name);
  const form = useSubmit(async () => {
    const { client } = current();
    const renamed = await client.rest.call("patch", "/api/v1/orgs/{org}", { path: { org: org.id }, body: { name: name.trim() } });
    await reloadMe();
    announce(`The organization is now called ${renamed.name}.`);
  });
  return (
    <section aria-labelledby="rename-title">
      <h2 id="rename-title">Name</h2>
      <form class="card-form" onSubmit={form.onSubmit}>
        <Field label="Organization name">
          <input name="org-name" required maxLength={100} value={name} onInput={(e) => setName(valueOf(e))} />
        </Field>
        <ErrorLine error={form.error} />
        <button type="submit" class="primary" disabled={form.busy || name.trim() === "" || name.trim() === org.name}>
          Rename
        </button>
      </form>
    </section>
  );
}

function Transfer({ org }: { org: OrgView }) {
  const { me } = current();
  const members = useLoad(() => allMembers(org.id), [org.id]);
  const others = (members.data ?? []).filter((m) => m.user_id !== me.id && m.role !== "owner");
  const [to, setTo] = useState("");
  const form = useSubmit(async () => {
    const { client } = current();
    const target = others.find((m) => m.user_id === to);
    await client.rest.call("post", "/api/v1/orgs/{org}/transfer-ownership", { path: { org: org.id }, body: { user_id: to } });
    await reloadMe();
    toast(`${target?.name ?? "The member"} owns ${org.name} now; you are an admin.`, "info");
  });
  return (
    <section aria-labelledby="transfer-title">
      <h2 id="transfer-title">Ownership</h2>
      <p class="muted">The new owner gets every right; you become an admin.</p>
      <form class="card-form" onSubmit={form.onSubmit}>
        <Field label="New owner">
          <select name="new-owner" value={to} onChange={(e) => setTo((e.currentTarget as HTMLSelectElement).value)} required>
            <option value="">Choose a member…</option>
            {others.map((m) => (
              <option key={m.user_id} value={m.user_id}>
                {m.name} ({m.email})
              </option>
            ))}
          </select>
        </Field>
        {members.data && others.length === 0 && <p class="muted">Add a member first: there is nobody to hand {org.name} to.</p>}
        <ErrorLine error={form.error ?? members.error} />
        <button type="submit" disabled={form.busy || to === ""}>
          Transfer ownership
        </button>
      </form>
    </section>
  );
}

function Delete({ org }: { org: OrgView }) {
  const [typed, setTyped] = useState("");
  const form = useSubmit(async () => {
    const { client } = current();
    await client.rest.call("delete", "/api/v1/orgs/{org}", { path: { org: org.id } });
    await reloadMe();
    toast(`${org.name} was deleted.`, "info");
    navigate("/", { replace: true });
  });
  return (
    <section aria-labelledby="delete-title">
      <h2 id="delete-title">Delete the organization</h2>
      <p class="muted">
        Its boards and cards become unreachable for everyone at once, and are removed for good after the retention period. Type its key, {org.key}, to
        confirm.
      </p>
      <form class="card-form" onSubmit={form.onSubmit}>
        <Field label="Organization key">
          <input name="confirm-key" autocomplete="off" value={typed} onInput={(e) => setTyped(valueOf(e).toUpperCase())} />
        </Field>
        <ErrorLine error={form.error} />
        <button type="submit" class="danger" disabled={form.busy || typed !== org.key} data-testid="org-delete">
          Delete {org.name}
        </button>
      </form>
    </section>
  );
}
