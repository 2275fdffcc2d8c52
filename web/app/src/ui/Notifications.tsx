/**
 * Which notification mail the account gets: when someone assigns it a
 * card, when someone mentions it in a comment. Each box saves when it is
 * changed; a refused change goes back and says why.
 */

import type { Schemas } from "@corkboard/client";
import { useState } from "preact/hooks";
import { current, reloadMe, session } from "../session.js";
import { useStore } from "../store.js";
import { ErrorLine } from "./forms.js";
import { announce } from "./Toasts.js";

type Kind = keyof Schemas["Notifications"];

const CHOICES: Array<{ kind: Kind; label: string; on: string; off: string }> = [
  { kind: "assigned", label: "When someone assigns me a card", on: "Assignment emails are on.", off: "Assignment emails are off." },
  { kind: "mentioned", label: "When someone mentions me in a comment", on: "Mention emails are on.", off: "Mention emails are off." },
];

export function NotificationSettings() {
  useStore(session);
  const { me } = current();
  // What the boxes show while a change is on its way; the account's answer otherwise.
  const [pending, setPending] = useState<Partial<Record<Kind, boolean>>>({});
  const [error, setError] = useState<unknown>(undefined);

  const change = async (kind: Kind, on: boolean, words: string) => {
    setError(undefined);
    setPending((p) => ({ ...p, [kind]: on }));
    try {
      await current().client.rest.call("patch", "/api/v1/me/notifications", { body: kind === "assigned" ? { assigned: on } : { mentioned: on } });
      await reloadMe();
      announce(words);
    } catch (e) {
      setError(e);
    } finally {
      setPending((p) => {
        const { [kind]: _done, ...rest } = p;
        return rest;
      });
    }
  };

  return (
    <fieldset class="choices" data-testid="notifications">
      <legend>Email me</legend>
      {CHOICES.map((c) => {
        const checked = pending[c.kind] ?? me.notifications[c.kind];
        return (
          <label class="check" key={c.kind}>
            <input
              type="checkbox"
              name={`notify-${c.kind}`}
              checked={checked}
              onChange={(e) => {
                const on = (e.currentTarget as HTMLInputElement).checked;
                void change(c.kind, on, on ? c.on : c.off);
              }}
            />
            {c.label}
          </label>
        );
      })}
      {!me.email_verified && <p class="muted small">These are sent once your address is confirmed.</p>}
      <ErrorLine error={error} />
    </fieldset>
  );
}
