/**
 * The pages a mailed link or a lost password leads to, logged in or not:
 *
 *   /forgot-password            ask for a reset link (the same answer for any address)
 *   /reset-password?token=cbp_  a new password; every login session ends
 *   /verify-email?token=cbv_    confirm the address
 *
 * The tokens are single use: the server's words say why a link no longer
 * works, and each page offers the way to a new one.
 */

import { useEffect, useState } from "preact/hooks";
import { anonymous, fieldError } from "../api.js";
import { Link, navigate } from "../router.js";
import { forget, logout, reloadMe, session } from "../session.js";
import { useStore } from "../store.js";
import { ErrorLine, Field, useSubmit, valueOf } from "./forms.js";
import { ResendVerification } from "./Verification.js";

/** The `token` parameter of the current address. */
function tokenParam(): string {
  return new URLSearchParams(window.location.search).get("token") ?? "";
}

export function ForgotPasswordPage() {
  const [email, setEmail] = useState("");
  const [sentTo, setSentTo] = useState<string | undefined>(undefined);
  const form = useSubmit(async () => {
    const address = email.trim();
    // Cleared first, so asking again is announced again.
    setSentTo(undefined);
    await anonymous("POST", "/api/v1/auth/password-reset", { email: address });
    setSentTo(address);
  });
  return (
    <main class="centered" data-testid="forgot-page">
      <form class="card-form" onSubmit={form.onSubmit} aria-labelledby="forgot-title">
        <h1 id="forgot-title">Forgot your password?</h1>
        <p class="muted">Give the email address of your account: we mail it a link to choose a new password.</p>
        <Field label="Email">
          <input type="email" name="email" autoComplete="username" required value={email} onInput={(e) => setEmail(valueOf(e))} />
        </Field>
        <ErrorLine error={form.error} />
        {/* The same words for every address: nobody learns here who has an account. */}
        <div role="status">
          {sentTo !== undefined && (
            <p class="notice" data-testid="forgot-sent">
              If an account has the address {sentTo}, a link to reset its password is on its way. It works once, for 30 minutes. Nothing came? Check
              the spam folder, or ask again.
            </p>
          )}
        </div>
        <button type="submit" class="primary" disabled={form.busy}>
          {form.busy ? "Sending…" : sentTo === undefined ? "Send the link" : "Send again"}
        </button>
        <p class="muted">
          Remembered it? <Link href="/login">Log in</Link>
        </p>
      </form>
    </main>
  );
}

export function ResetPasswordPage() {
  const token = tokenParam();
  const [password, setPassword] = useState("");
  const [repeat, setRepeat] = useState("");
  const form = useSubmit(async () => {
    if (password !== repeat) throw new Error("The two passwords differ: type the same new password twice.");
    await anonymous("POST", "/api/v1/auth/password-reset/confirm", { token, password });
    // Whoever is logged in here logs out too: the link's account has no
    // session left, and another account's should end on the server as well.
    if (session.value.kind === "in") await logout().catch(() => undefined);
    forget("Your password is changed and every login session has ended. Log in with the new password.");
    navigate("/login", { replace: true });
  });
  const badLink = fieldError(form.error, "token");
  return (
    <main class="centered" data-testid="reset-page">
      <form class="card-form" onSubmit={form.onSubmit} aria-labelledby="reset-title">
        <h1 id="reset-title">Choose a new password</h1>
        {token === "" ? (
          <p class="error" role="alert">
            This address has no reset token: open the link from the mail again, or <Link href="/forgot-password">ask for a new link</Link>.
          </p>
        ) : (
          <>
            <p class="muted">Every browser and program logged in to your account is logged out when you save it.</p>
            <Field label="New password" hint="8 to 128 characters.">
              <input type="password" name="password" autoComplete="new-password" required minLength={8} maxLength={128} value={password} onInput={(e) => setPassword(valueOf(e))} />
            </Field>
            <Field label="Repeat the new password">
              <input type="password" name="password-repeat" autoComplete="new-password" required minLength={8} maxLength={128} value={repeat} onInput={(e) => setRepeat(valueOf(e))} />
            </Field>
            {badLink ? (
              <p class="error" role="alert" data-testid="reset-bad-link">
                {badLink} <Link href="/forgot-password">Ask for a new link</Link>.
              </p>
            ) : (
              <ErrorLine error={form.error} />
            )}
            <button type="submit" class="primary" disabled={form.busy}>
              {form.busy ? "Saving…" : "Save the new password"}
            </button>
          </>
        )}
        <p class="muted">
          <Link href="/login">Back to log in</Link>
        </p>
      </form>
    </main>
  );
}

type Verifying = { state: "working" } | { state: "done" } | { state: "failed"; error: unknown };

export function VerifyEmailPage() {
  const state = useStore(session);
  const [token] = useState(tokenParam);
  const [result, setResult] = useState<Verifying>({ state: "working" });
  useEffect(() => {
    let live = true;
    const confirm = async () => {
      if (token === "") throw new Error("This address has no verification token: open the link from the mail again.");
      await anonymous("POST", "/api/v1/auth/verify-email", { token });
    };
    confirm()
      .then(async () => {
        // The banner and the account page read the account: read it again.
        if (session.value.kind === "in") await reloadMe().catch(() => undefined);
        if (live) setResult({ state: "done" });
      })
      .catch(async (error: unknown) => {
        // A used link of an address confirmed since says only that.
        if (session.value.kind === "in") await reloadMe().catch(() => undefined);
        if (live) setResult({ state: "failed", error });
      });
    return () => {
      live = false;
    };
  }, [token]);

  const me = state.kind === "in" ? state.me : undefined;
  const onward = me ? <Link href="/">Go to your boards</Link> : <Link href="/login">Log in</Link>;
  return (
    <main class="centered" data-testid="verify-page">
      <div class="card-form" aria-labelledby="verify-title" role="region" aria-busy={result.state === "working"}>
        <h1 id="verify-title">Confirm your email address</h1>
        <div role="status">
          {result.state === "working" && <p class="muted">Confirming…</p>}
          {result.state === "done" && <p data-testid="verify-done">Your email address is confirmed. Thank you!</p>}
          {result.state === "failed" && me?.email_verified && <p data-testid="verify-done">Your email address {me.email} is already confirmed.</p>}
        </div>
        {result.state === "failed" && !me?.email_verified && (
          <>
            <ErrorLine error={fieldError(result.error, "token") ?? result.error} />
            {me ? (
              <ResendVerification email={me.email} />
            ) : (
              <p class="muted">Log in to have a new link sent: your account page or the note at the top of the page sends it again.</p>
            )}
          </>
        )}
        {result.state !== "working" && <p>{onward}</p>}
      </div>
    </main>
  );
}
