/**
 * `/invite/{token}`, logged in or not: log in or register first (and come
 * back here), then join the organization.
 */

import { Link, navigate } from "../router.js";
import { logout, reloadMe, session } from "../session.js";
import { useStore } from "../store.js";
import { ErrorLine, useSubmit } from "./forms.js";
import { ROLE_LABELS } from "./Members.js";
import { toast } from "./Toasts.js";

export function InvitePage(props: { token: string }) {
  const state = useStore(session);
  const here = `/invite/${encodeURIComponent(props.token)}`;
  const next = `?next=${encodeURIComponent(here)}`;
  const form = useSubmit(async () => {
    const s = session.value;
    if (s.kind !== "in") return;
    const out = await s.client.rest.call("post", "/api/v1/invites/accept", { body: { token: props.token } });
    const me = await reloadMe();
    const org = me.orgs.find((o) => o.id === out.org_id);
    const name = org?.name ?? "the organization";
    toast(out.joined ? `You joined ${name} as ${ROLE_LABELS[out.role].toLowerCase()}.` : `You are already a member of ${name}.`, "info");
    navigate(org ? `/o/${org.key}` : "/");
  });

  if (state.kind !== "in") {
    return (
      <main class="centered" data-testid="invite-page">
        <div class="card-form">
          <h1>Join an organization on Corkboard</h1>
          <p>You have been invited to join an organization on Corkboard. Log in, or create an account, to accept the invitation.</p>
          <p class="row-actions">
            <Link href={`/login${next}`} class="button primary" data-testid="invite-login">
              Log in
            </Link>
            <Link href={`/register${next}`} class="button" data-testid="invite-register">
              Create an account
            </Link>
          </p>
        </div>
      </main>
    );
  }

  const { me } = state;
  return (
    <main class="centered" data-testid="invite-page">
      <form class="card-form" onSubmit={form.onSubmit} aria-labelledby="invite-title">
        <h1 id="invite-title">Join an organization on Corkboard</h1>
        <p>
          You have been invited to join an organization on Corkboard. You will join as {me.name} ({me.email}).
        </p>
        <ErrorLine error={form.error} />
        <button type="submit" class="primary" disabled={form.busy} data-testid="invite-accept">
          {form.busy ? "Joining…" : "Join the organization"}
        </button>
        <p class="muted small">
          Not {me.name}?{" "}
          <button type="button" class="link" onClick={() => void logout()}>
            Log out
          </button>{" "}
          and log in with the right account. <Link href="/">Go to your boards</Link>
        </p>
      </form>
    </main>
  );
}
