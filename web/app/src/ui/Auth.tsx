/** Log in and register. */

import { useState } from "preact/hooks";
import { Link } from "../router.js";
import { login, register } from "../session.js";
import { ErrorLine, Field, useSubmit, valueOf } from "./forms.js";

function next(): string {
  const q = window.location.search;
  return q.includes("next=") ? q : "";
}

export function LoginPage(props: { notice?: string | undefined }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const form = useSubmit(() => login(email.trim(), password));
  return (
    <main class="centered">
      <form class="card-form" onSubmit={form.onSubmit} aria-labelledby="login-title">
        <h1 id="login-title">Log in to Corkboard</h1>
        {props.notice && (
          <p class="notice" role="status" data-testid="login-notice">
            {props.notice}
          </p>
        )}
        <Field label="Email">
          <input type="email" name="email" autoComplete="username" required value={email} onInput={(e) => setEmail(valueOf(e))} />
        </Field>
        <Field label="Password">
          <input type="password" name="password" autoComplete="current-password" required value={password} onInput={(e) => setPassword(valueOf(e))} />
        </Field>
        <ErrorLine error={form.error} />
        <button type="submit" class="primary" disabled={form.busy}>
          {form.busy ? "Logging in…" : "Log in"}
        </button>
        <p class="muted">
          <Link href="/forgot-password">Forgot your password?</Link>
        </p>
        <p class="muted">
          New here? <Link href={`/register${next()}`}>Create an account</Link>
        </p>
      </form>
    </main>
  );
}

export function RegisterPage() {
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const form = useSubmit(() => register(name.trim(), email.trim(), password));
  return (
    <main class="centered">
      <form class="card-form" onSubmit={form.onSubmit} aria-labelledby="register-title">
        <h1 id="register-title">Create your account</h1>
        <Field label="Name">
          <input name="name" autoComplete="name" required maxLength={100} value={name} onInput={(e) => setName(valueOf(e))} />
        </Field>
        <Field label="Email">
          <input type="email" name="email" autoComplete="email" required value={email} onInput={(e) => setEmail(valueOf(e))} />
        </Field>
        <Field label="Password" hint="8 to 128 characters.">
          <input type="password" name="password" autoComplete="new-password" required minLength={8} maxLength={128} value={password} onInput={(e) => setPassword(valueOf(e))} />
        </Field>
        <ErrorLine error={form.error} />
        <button type="submit" class="primary" disabled={form.busy}>
          {form.busy ? "Creating…" : "Create account"}
        </button>
        <p class="muted">
          Have an account? <Link href={`/login${next()}`}>Log in</Link>
        </p>
      </form>
    </main>
  );
}
