/**
 * The app's paths, in the History API (the server answers every dotless
 * path outside /api, /ws, /health and /metrics with index.html):
 *
 *   /login  /register  /invite/{token}  /account  /orgs/new
 *   /forgot-password  /reset-password?token=  /verify-email?token=   (logged in or not)
 *   /o/{KEY}                 boards of an organization
 *   /o/{KEY}/members  /o/{KEY}/api-keys
 *   /o/{KEY}/b/{board}       a board; /o/{KEY}/b/{board}/{KEY-123} with a card open
 */

import type { JSX } from "preact";
import { Store, useStore } from "./store.js";

const location = new Store<string>(window.location.pathname + window.location.search);

window.addEventListener("popstate", () => location.set(window.location.pathname + window.location.search));

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === location.value) return;
  if (options.replace) window.history.replaceState(null, "", to);
  else window.history.pushState(null, "", to);
  location.set(to);
}

/** The current path and query, re-rendering when it changes. */
export function useLocation(): string {
  return useStore(location);
}

/** The parameters of `pattern` (`/o/:org/b/:board`) in `path`, or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split("/");
  const got = (path.split("?")[0] ?? "").split("/");
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i] ?? "";
    const g = got[i] ?? "";
    if (w.startsWith(":")) {
      if (!g) return null;
      try {
        params[w.slice(1)] = decodeURIComponent(g);
      } catch {
        return null; // A stray `%`: no page of the app.
      }
    } else if (w !== g) return null;
  }
  return params;
}

/** A link that changes the page without a reload (a modified click opens a tab as usual). */
export function Link(props: JSX.HTMLAttributes<HTMLAnchorElement> & { href: string }) {
  const { href, onClick, ...rest } = props;
  return (
    <a
      href={href}
      onClick={(e) => {
        if (onClick) (onClick as (e: MouseEvent) => void)(e);
        if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(href);
      }}
      {...rest}
    />
  );
}
