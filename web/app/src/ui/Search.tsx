/**
 * The header's card search: a combobox whose popup lists the hits
 * (debounced full-text search), with the matched words marked.
 * ArrowDown/ArrowUp choose, Enter opens, Escape closes.
 */

import type { Schemas } from "@corkboard/client";
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { errorText } from "../api.js";
import { navigate } from "../router.js";
import { current, type OrgView } from "../session.js";
import { valueOf } from "./forms.js";

type SearchHitView = Schemas["SearchHitView"];

/** How long typing must pause before a search. */
const DEBOUNCE_MS = 200;
const MIN_CHARS = 2;

/** A snippet with its `«matched»` words as `<mark>`s (text nodes only, never HTML). */
export function Snippet(props: { text: string }) {
  const parts: ComponentChildren[] = [];
  let rest = props.text;
  let i = 0;
  while (rest) {
    const open = rest.indexOf("«");
    if (open < 0) {
      parts.push(rest);
      break;
    }
    if (open > 0) parts.push(rest.slice(0, open));
    const close = rest.indexOf("»", open + 1);
    const marked = close < 0 ? rest.slice(open + 1) : rest.slice(open + 1, close);
    if (marked) parts.push(<mark key={i++}>{marked}</mark>);
    rest = close < 0 ? "" : rest.slice(close + 1);
  }
  return <>{parts}</>;
}

let ids = 0;

export function SearchBox({ org }: { org: OrgView }) {
  const [id] = useState(() => `search-${++ids}`);
  const [q, setQ] = useState("");
  const [hits, setHits] = useState<SearchHitView[] | undefined>(undefined);
  const [searching, setSearching] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const root = useRef<HTMLFormElement>(null);
  const input = useRef<HTMLInputElement>(null);
  const round = useRef(0);

  const query = q.trim();
  const ready = query.length >= MIN_CHARS;

  // A new organization: a new search.
  useEffect(() => {
    setQ("");
    setHits(undefined);
    setOpen(false);
    setActive(-1);
  }, [org.id]);

  useEffect(() => {
    const mine = ++round.current;
    setActive(-1);
    if (!ready) {
      setHits(undefined);
      setSearching(false);
      setError(undefined);
      return;
    }
    setSearching(true);
    const timer = setTimeout(() => {
      current()
        .client.rest.search(org.id, query, { limit: 20 })
        .then(
          (out) => {
            if (mine !== round.current) return;
            setHits(out.items);
            setError(undefined);
            setSearching(false);
          },
          (e: unknown) => {
            if (mine !== round.current) return;
            setHits(undefined);
            setError(errorText(e));
            setSearching(false);
          },
        );
    }, DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [query, org.id]);

  // Close on a click outside.
  useEffect(() => {
    if (!open) return;
    const onDown = (e: MouseEvent) => {
      if (root.current && e.target instanceof Node && !root.current.contains(e.target)) setOpen(false);
    };
    document.addEventListener("mousedown", onDown);
    return () => document.removeEventListener("mousedown", onDown);
  }, [open]);

  // Keep the chosen hit in view.
  useEffect(() => {
    if (active < 0) return;
    const el = document.getElementById(`${id}-hit-${active}`) as (HTMLElement & { scrollIntoView?: (o?: ScrollIntoViewOptions) => void }) | null;
    el?.scrollIntoView?.({ block: "nearest" });
  }, [active]);

  const list = hits ?? [];
  const expanded = open && ready;

  const openHit = (hit: SearchHitView) => {
    setOpen(false);
    setActive(-1);
    input.current?.blur();
    navigate(`/o/${org.key}/b/${hit.board_id}/${hit.key}`);
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === "ArrowDown") {
      e.preventDefault();
      if (!open) setOpen(true);
      if (list.length) setActive((a) => (a + 1) % list.length);
    } else if (e.key === "ArrowUp") {
      e.preventDefault();
      if (!open) setOpen(true);
      if (list.length) setActive((a) => (a <= 0 ? list.length - 1 : a - 1));
    } else if (e.key === "Enter") {
      e.preventDefault();
      const hit = list[active >= 0 ? active : 0];
      if (expanded && hit) openHit(hit);
    } else if (e.key === "Escape") {
      if (open) {
        e.preventDefault();
        setOpen(false);
        setActive(-1);
      } else if (q) {
        e.preventDefault();
        setQ("");
      }
    }
  };

  const status = !ready
    ? ""
    : searching
      ? "Searching…"
      : error
        ? error
        : list.length === 0
          ? "No cards match."
          : list.length === 1
            ? "1 card found."
            : `${list.length} cards found.`;

  return (
    <form
      ref={root}
      class="search"
      role="search"
      aria-label="Cards"
      data-testid="search"
      onSubmit={(e) => e.preventDefault()}
      onFocusOut={(e) => {
        const next = e.relatedTarget;
        if (!(next instanceof Node) || !root.current?.contains(next)) setOpen(false);
      }}
    >
      <label for={`${id}-input`} class="visually-hidden">
        Search cards
      </label>
      <input
        ref={input}
        id={`${id}-input`}
        class="search-input"
        type="search"
        role="combobox"
        autoComplete="off"
        spellcheck={false}
        placeholder={`Search ${org.key} cards`}
        maxLength={256}
        aria-autocomplete="list"
        aria-expanded={expanded ? "true" : "false"}
        aria-controls={`${id}-results`}
        aria-activedescendant={expanded && active >= 0 && active < list.length ? `${id}-hit-${active}` : undefined}
        value={q}
        data-testid="search-input"
        onInput={(e) => {
          setQ(valueOf(e));
          setOpen(true);
        }}
        onFocus={() => ready && setOpen(true)}
        onKeyDown={onKeyDown}
      />
      <p id={`${id}-status`} class="visually-hidden" role="status" aria-live="polite" aria-atomic="true" data-testid="search-status">
        {open ? status : ""}
      </p>
      <div class="search-popover" hidden={!expanded} data-testid="search-popover">
        {status && (
          <p class="search-count muted small" aria-hidden="true">
            {status}
          </p>
        )}
        <ul id={`${id}-results`} class="search-results" role="listbox" hidden={list.length === 0} aria-label="Matching cards" data-testid="search-results">
          {list.map((hit, i) => (
            <li
              key={hit.id}
              id={`${id}-hit-${i}`}
              role="option"
              aria-selected={i === active ? "true" : "false"}
              class={`search-hit${i === active ? " active" : ""}${hit.archived ? " archived" : ""}`}
              data-testid="search-hit"
              data-key={hit.key}
              onMouseDown={(e) => e.preventDefault()}
              onMouseMove={() => i !== active && setActive(i)}
              onClick={() => openHit(hit)}
            >
              <span class="search-hit-head">
                <span class="search-hit-key">{hit.key}</span> <span class="search-hit-title">{hit.title}</span>
                {hit.archived && <span class="badge">Archived</span>}
              </span>
              {hit.snippet && (
                <span class="search-hit-snippet small muted">
                  <Snippet text={hit.snippet} />
                </span>
              )}
            </li>
          ))}
        </ul>
      </div>
    </form>
  );
}
