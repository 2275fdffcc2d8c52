/** The home page (the first organization, or making one) and creating an organization. */

import { useEffect, useState } from "preact/hooks";
import { navigate } from "../router.js";
import { current, reloadMe } from "../session.js";
import { ErrorLine, Field, useSubmit, valueOf } from "./forms.js";

export function Home() {
  const { me } = current();
  useEffect(() => {
    const first = me.orgs[0];
    navigate(first ? `/o/${first.key}` : "/orgs/new", { replace: true });
  }, [me]);
  return null;
}

/** A key suggested from a name: its initials, or its first letters. */
export function suggestKey(name: string): string {
  const words = name.toUpperCase().replace(/[^A-Z0-9 ]/g, " ").split(/\s+/).filter(Boolean);
  let key = words.length > 1 ? words.map((w) => w[0]).join("") : (words[0] ?? "").slice(0, 4);
  key = key.replace(/^[0-9]+/, "").slice(0, 10);
  return key.length >= 2 ? key : "";
}

export function CreateOrgPage() {
  const { me } = current();
  const [name, setName] = useState("");
  const [key, setKey] = useState("");
  const [keyTouched, setKeyTouched] = useState(false);
  const form = useSubmit(async () => {
    const { client } = current();
    const org = await client.rest.call("post", "/api/v1/orgs", { body: { name: name.trim(), key } });
    await reloadMe();
    navigate(`/o/${org.key}`);
  });
  return (
    <main class="page narrow">
      <h1>{me.orgs.length === 0 ? "Create your first organization" : "New organization"}</h1>
      <p class="muted">An organization holds your team's boards. Its key starts every card number, like DS-123.</p>
      <form class="card-form" onSubmit={form.onSubmit}>
        <Field label="Name">
          <input
            name="org-name"
            required
            maxLength={100}
            value={name}
            onInput={(e) => {
              setName(valueOf(e));
              if (!keyTouched) setKey(suggestKey(valueOf(e)));
            }}
          />
        </Field>
        <Field label="Key" hint="2–10 characters: an uppercase letter, then uppercase letters or digits.">
          <input
            name="org-key"
            required
            pattern="[A-Z][A-Z0-9]{1,9}"
            maxLength={10}
            value={key}
            onInput={(e) => {
              setKeyTouched(true);
              setKey(valueOf(e).toUpperCase());
            }}
          />
        </Field>
        <ErrorLine error={form.error} />
        <button type="submit" class="primary" disabled={form.busy}>
          Create organization
        </button>
      </form>
    </main>
  );
}
