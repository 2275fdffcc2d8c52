/** The page for the current path: the login gate, then the organization's pages. */

import { useEffect } from "preact/hooks";
import { match, navigate, useLocation } from "../router.js";
import { session } from "../session.js";
import { useStore } from "../store.js";
import { AccountPage } from "./Account.js";
import { LoginPage, RegisterPage } from "./Auth.js";
import { BoardPage } from "./board/BoardPage.js";
import { BoardsPage } from "./Boards.js";
import { InvitePage } from "./Invite.js";
import { ForgotPasswordPage, ResetPasswordPage, VerifyEmailPage } from "./Recovery.js";
import { KeysPage } from "./Keys.js";
import { MembersPage } from "./Members.js";
import { SettingsPage } from "./Settings.js";
import { CreateOrgPage, Home } from "./Orgs.js";
import { Shell } from "./Shell.js";
import { Announcer, Toasts } from "./Toasts.js";

export function App() {
  const state = useStore(session);
  const path = useLocation();
  const bare = path.split("?")[0] ?? "/";

  const invite = match("/invite/:token", bare);
  useEffect(() => {
    if (!match("/o/:org/b/:board", bare) && !match("/o/:org/b/:board/:card", bare)) document.title = titleOf(bare);
  }, [bare]);
  const publicPage = bare === "/login" || bare === "/register";
  // Reached from a mail or a lost password: shown logged in or not.
  const linkPage = linkPageOf(bare);

  useEffect(() => {
    if (state.kind === "anonymous" && !publicPage && !invite && !linkPage) {
      navigate(`/login?next=${encodeURIComponent(path)}`, { replace: true });
    }
    if (state.kind === "in" && publicPage) {
      navigate(sameOrigin(new URLSearchParams(path.split("?")[1] ?? "").get("next")) ?? "/", { replace: true });
    }
  }, [state.kind, path]);

  let page;
  if (state.kind === "loading") {
    page = (
      <main class="centered" aria-busy="true">
        <p class="muted">Loading…</p>
      </main>
    );
  } else if (invite) {
    page = <InvitePage token={invite.token!} />;
  } else if (linkPage) {
    page = linkPage;
  } else if (state.kind === "anonymous") {
    page = bare === "/register" ? <RegisterPage /> : <LoginPage notice={state.notice} />;
  } else {
    page = <Shell>{signedIn(bare)}</Shell>;
  }
  return (
    <>
      {page}
      <Toasts />
      <Announcer />
    </>
  );
}

function linkPageOf(path: string) {
  if (path === "/forgot-password") return <ForgotPasswordPage />;
  if (path === "/reset-password") return <ResetPasswordPage />;
  if (path === "/verify-email") return <VerifyEmailPage />;
  return undefined;
}

/** `next` as a path of this origin, or undefined (no leaving the app from a login link). */
export function sameOrigin(next: string | null): string | undefined {
  if (!next) return undefined;
  try {
    const url = new URL(next, window.location.origin);
    return url.origin === window.location.origin ? url.pathname + url.search : undefined;
  } catch {
    return undefined;
  }
}

/** The tab's title for a path (a board page names its board itself). */
function titleOf(path: string): string {
  if (path.startsWith("/login")) return "Log in · Corkboard";
  if (path.startsWith("/register")) return "Create an account · Corkboard";
  if (path.startsWith("/invite/")) return "Invitation · Corkboard";
  if (path === "/forgot-password") return "Forgot your password · Corkboard";
  if (path === "/reset-password") return "Choose a new password · Corkboard";
  if (path === "/verify-email") return "Confirm your email address · Corkboard";
  if (path === "/account") return "Your account · Corkboard";
  if (path === "/orgs/new") return "New organization · Corkboard";
  const org = path.split("/")[2];
  if (path.endsWith("/members")) return `Members · ${org} · Corkboard`;
  if (path.endsWith("/api-keys")) return `API keys · ${org} · Corkboard`;
  if (path.endsWith("/settings")) return `Settings · ${org} · Corkboard`;
  if (path.startsWith("/o/")) return `${org} · Corkboard`;
  return "Corkboard";
}

function signedIn(path: string) {
  let m;
  if ((m = match("/o/:org/b/:board/:card", path))) return <BoardPage orgKey={m.org!} boardId={m.board!} card={m.card!} />;
  if ((m = match("/o/:org/b/:board", path))) return <BoardPage orgKey={m.org!} boardId={m.board!} />;
  if ((m = match("/o/:org/members", path))) return <MembersPage orgKey={m.org!} />;
  if ((m = match("/o/:org/api-keys", path))) return <KeysPage orgKey={m.org!} />;
  if ((m = match("/o/:org/settings", path))) return <SettingsPage orgKey={m.org!} />;
  if ((m = match("/o/:org", path))) return <BoardsPage orgKey={m.org!} />;
  if (path === "/orgs/new") return <CreateOrgPage />;
  if (path === "/account") return <AccountPage />;
  if (path === "/") return <Home />;
  // The login gate sends a logged-in visitor of these on (see `App`).
  if (path === "/login" || path === "/register") return null;
  return (
    <main class="page">
      <h1>Not found</h1>
      <p>There is no page at {path}.</p>
    </main>
  );
}
