/**
 * The account's email verification: the note at the top of every page
 * while the address is not confirmed, and the button that mails the link
 * again (the older links stop working). An unverified account may do
 * everything but receive notification mail (docs/auth.md).
 */

import { useState } from "preact/hooks";
import { CorkboardError } from "@corkboard/client";
import { current, reloadMe, session } from "../session.js";
import { useStore } from "../store.js";
import { ErrorLine } from "./forms.js";

type Resend = { state: "idle" } | { state: "sending" } | { state: "sent" } | { state: "failed"; error: unknown };

/** Mails a new verification link; an address confirmed meanwhile (409) re-reads the account instead. */
async function resend(): Promise<void> {
  const { client } = current();
  try {
    await client.rest.call("post", "/api/v1/auth/verify-email/resend");
  } catch (e) {
    if (e instanceof CorkboardError && e.code === "conflict") {
      await reloadMe();
      return;
    }
    throw e;
  }
}

/** "Send the link again", and what came of it (announced). */
export function ResendVerification(props: { email: string; compact?: boolean }) {
  const [status, setStatus] = useState<Resend>({ state: "idle" });
  const send = () => {
    setStatus({ state: "sending" });
    resend().then(
      () => setStatus({ state: "sent" }),
      (error: unknown) => setStatus({ state: "failed", error }),
    );
  };
  return (
    <div class={props.compact ? "resend compact" : "resend"}>
      <button type="button" class={props.compact ? "link" : ""} disabled={status.state === "sending"} onClick={send} data-testid="resend-verification">
        {status.state === "sending" ? "Sending…" : status.state === "sent" ? "Send it again" : "Send the link again"}
      </button>
      <span role="status" data-testid="resend-status">
        {status.state === "sent" && `A new link is on its way to ${props.email}; the links sent before no longer work.`}
      </span>
      {status.state === "failed" && <ErrorLine error={status.error} />}
    </div>
  );
}

/** A quiet line under the top bar while the address is not confirmed (not on the account page, which says it itself). */
export function VerifyBanner(props: { path: string }) {
  const state = useStore(session);
  if (state.kind !== "in" || state.me.email_verified || props.path === "/account") return null;
  const { me } = state;
  return (
    <div class="banner banner-quiet" data-testid="verify-banner">
      Please confirm your email address: follow the link we mailed to {me.email}. <ResendVerification email={me.email} compact />
    </div>
  );
}

/** The account page's line about the address: confirmed, or not yet with the button to mail the link again. */
export function EmailStatus() {
  useStore(session);
  const { me } = current();
  if (me.email_verified) {
    return (
      <span class="badge status-active" data-testid="email-status">
        Confirmed
      </span>
    );
  }
  return (
    <>
      <span class="badge status-expired" data-testid="email-status">
        Not confirmed
      </span>
      <p class="muted small">Follow the link we mailed to this address. Until then, Corkboard sends it no notifications.</p>
      <ResendVerification email={me.email} />
    </>
  );
}
