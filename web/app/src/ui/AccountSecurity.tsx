/**
 * The account page's two forms that need the password: changing it (every
 * other login session ends, this one goes on) and deleting the account
 * (typing its email address to confirm; then this browser is logged out
 * and says so).
 */

import { useState } from "preact/hooks";
import { navigate } from "../router.js";
import { current, forget } from "../session.js";
import { ErrorLine, Field, useSubmit, valueOf } from "./forms.js";
import { announce } from "./Toasts.js";

export function ChangePassword(props: { onChanged: () => void }) {
  const [currentPassword, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [done, setDone] = useState(false);
  const form = useSubmit(async () => {
    setDone(false);
    await current().client.rest.call("post", "/api/v1/auth/password", { body: { current_password: currentPassword, new_password: next } });
    setCurrent("");
    setNext("");
    setDone(true);
    props.onChanged();
  });
  return (
    <section aria-labelledby="password-title">
      <h2 id="password-title">Password</h2>
      <form class="card-form inline" onSubmit={form.onSubmit} data-testid="change-password">
        {/* For password managers: which account the new password is for. */}
        <input type="email" name="username" autoComplete="username" value={current().me.email} readOnly hidden />
        <Field label="Current password">
          <input type="password" name="current-password" autoComplete="current-password" required value={currentPassword} onInput={(e) => setCurrent(valueOf(e))} />
        </Field>
        <Field label="New password" hint="8 to 128 characters. Every other browser and program logged in to your account is logged out.">
          <input type="password" name="new-password" autoComplete="new-password" required minLength={8} maxLength={128} value={next} onInput={(e) => setNext(valueOf(e))} />
        </Field>
        <ErrorLine error={form.error} />
        <div role="status">
          {done && (
            <p class="notice" data-testid="password-changed">
              Your password is changed. Every other login session was ended; this one goes on.
            </p>
          )}
        </div>
        <button type="submit" class="primary" disabled={form.busy}>
          {form.busy ? "Changing…" : "Change password"}
        </button>
      </form>
    </section>
  );
}

export function DeleteAccount() {
  const { me } = current();
  const [typed, setTyped] = useState("");
  const [password, setPassword] = useState("");
  const confirmed = typed.trim().toLowerCase() === me.email.toLowerCase();
  const form = useSubmit(async () => {
    await current().client.rest.call("delete", "/api/v1/me", { body: { password } });
    forget(`Your account is deleted. A last mail confirming it went to ${me.email}.`);
    announce("Your account is deleted.");
    navigate("/login", { replace: true });
  });
  return (
    <section aria-labelledby="delete-account-title">
      <h2 id="delete-account-title">Delete your account</h2>
      <p class="muted">
        You leave every organization and are logged out everywhere; your name and address are erased. The cards and comments you wrote stay with their
        organizations. If you are the only owner of an organization, hand it over or delete it first. Type your email address, {me.email}, to confirm.
      </p>
      <form class="card-form inline" onSubmit={form.onSubmit} data-testid="delete-account">
        <Field label="Your email address">
          <input type="email" name="confirm-email" autoComplete="off" value={typed} onInput={(e) => setTyped(valueOf(e))} />
        </Field>
        <Field label="Your password">
          <input type="password" name="delete-password" autoComplete="current-password" required value={password} onInput={(e) => setPassword(valueOf(e))} />
        </Field>
        <ErrorLine error={form.error} />
        <button type="submit" class="danger" disabled={form.busy || !confirmed}>
          {form.busy ? "Deleting…" : "Delete my account"}
        </button>
      </form>
    </section>
  );
}
