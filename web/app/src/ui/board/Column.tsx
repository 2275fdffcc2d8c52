/** A column: its header (count / WIP limit, actions), its cards, and the composer at its end. */

import { isProvisional, type Command, type Item } from "@corkboard/client";
import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { People } from "../people.js";
import { focusOnMount, InlineRename, valueOf } from "../forms.js";
import { cardKey, type ColumnView } from "./model.js";
import { Avatar } from "./Presence.js";

export interface CardHandlers {
  /** A press on a card (may become a drag). */
  onPointerDown: (e: PointerEvent, item: Item) => void;
  onKeyDown: (e: KeyboardEvent, item: Item) => void;
  onOpen: (item: Item) => void;
}

export function ColumnBox(props: {
  view: ColumnView;
  index: number;
  count: number;
  orgKey: string;
  /** Cards may change (members and up). */
  editable: boolean;
  /** The column may change (admins and owners). */
  manage: boolean;
  people: People;
  viewers: Map<string, string[]>;
  comments: Map<string, number>;
  moving: string | null;
  picked: string | null;
  handlers: CardHandlers;
  send: (command: Command) => void;
}) {
  const v = props.view;
  const full = v.wipLimit !== null && v.load >= v.wipLimit;
  const over = v.wipLimit !== null && v.load > v.wipLimit;
  const headingId = `col-${v.id}`;
  return (
    <section class={`column${full ? " full" : ""}${over ? " over" : ""}`} data-column={v.id} aria-labelledby={headingId}>
      <ColumnHeader {...props} full={full} headingId={headingId} />
      <ol class="cards" aria-labelledby={headingId}>
        {v.cards.map((item) => (
          <CardTile
            key={item.id}
            item={item}
            orgKey={props.orgKey}
            people={props.people}
            viewers={props.viewers.get(item.id) ?? []}
            comments={props.comments.get(item.id) ?? 0}
            moving={props.moving === item.id}
            picked={props.picked === item.id}
            editable={props.editable}
            handlers={props.handlers}
          />
        ))}
      </ol>
      {props.editable && !isProvisional(v.id) && <Composer columnName={v.name} onCreate={(title) => props.send({ type: "create_item", title, column: v.id })} />}
    </section>
  );
}

function ColumnHeader(props: Parameters<typeof ColumnBox>[0] & { full: boolean; headingId: string }) {
  const v = props.view;
  const [renaming, setRenaming] = useState(false);
  const [limit, setLimit] = useState(v.wipLimit === null ? "" : String(v.wipLimit));
  // Someone else's change shows in the field (a later "Set" must not undo it).
  useEffect(() => setLimit(v.wipLimit === null ? "" : String(v.wipLimit)), [v.wipLimit]);
  const countText = v.wipLimit === null ? `${v.load}` : `${v.load} / ${v.wipLimit}`;
  const countLabel = v.wipLimit === null ? `${v.load} cards` : `${v.load} of at most ${v.wipLimit} cards${props.full ? ", full" : ""}`;
  return (
    <header class="column-head">
      {renaming ? (
        <InlineRename label="Column name" value={v.name} maxLength={50} onClose={() => setRenaming(false)} onSave={(name) => props.send({ type: "rename_column", column: v.id, name })} />
      ) : (
        <h2 id={props.headingId}>{v.name}</h2>
      )}
      <span class={`count${props.full ? " count-full" : ""}`} aria-label={countLabel} title={countLabel} data-testid="column-count">
        {countText}
      </span>
      {props.manage && !isProvisional(v.id) && (
        <details class="menu">
          <summary aria-label={`Actions of column ${v.name}`}>⋯</summary>
          <div
            class="menu-body"
            onClick={(e) => {
              // An action closes the menu; typing a WIP limit does not.
              if ((e.target as HTMLElement).closest("button")) (e.currentTarget.closest("details") as HTMLDetailsElement).open = false;
            }}
          >
            <button type="button" onClick={() => setRenaming(true)}>
              Rename
            </button>
            <form
              class="inline-form"
              onSubmit={(e) => {
                e.preventDefault();
                const n = limit.trim() === "" ? null : Number(limit);
                if (n !== null && (!Number.isInteger(n) || n < 1)) return;
                props.send({ type: "set_wip_limit", column: v.id, limit: n });
              }}
            >
              <label>
                WIP limit
                <input type="number" min={1} step={1} inputMode="numeric" placeholder="none" value={limit} onInput={(e) => setLimit(valueOf(e))} />
              </label>
              <button type="submit">Set</button>
            </form>
            <button type="button" disabled={props.index === 0} onClick={() => props.send({ type: "move_column", column: v.id, index: props.index - 1 })}>
              Move left
            </button>
            <button type="button" disabled={props.index === props.count - 1} onClick={() => props.send({ type: "move_column", column: v.id, index: props.index + 1 })}>
              Move right
            </button>
            <button type="button" class="danger" onClick={() => props.send({ type: "remove_column", column: v.id })}>
              Remove column
            </button>
          </div>
        </details>
      )}
    </header>
  );
}

function CardTile(props: {
  item: Item;
  orgKey: string;
  people: People;
  viewers: string[];
  comments: number;
  moving: boolean;
  picked: boolean;
  editable: boolean;
  handlers: CardHandlers;
}) {
  const { item, handlers } = props;
  const key = cardKey(props.orgKey, item);
  const pointer: JSX.PointerEventHandler<HTMLElement> | undefined = props.editable ? (e) => handlers.onPointerDown(e, item) : undefined;
  return (
    <li class="card-slot">
    <div
      class={`card${props.moving ? " moving" : ""}${props.picked ? " picked" : ""}${isProvisional(item.id) ? " pending" : ""}`}
      data-item={item.id}
      data-key={key}
      tabIndex={0}
      role="button"
      aria-roledescription={props.editable ? "movable card" : "card"}
      aria-describedby={props.editable ? "card-help" : undefined}
      aria-pressed={props.editable ? props.picked : undefined}
      onPointerDown={pointer}
      onKeyDown={(e) => handlers.onKeyDown(e, item)}
      onClick={() => handlers.onOpen(item)}
    >
      <span class="card-key">{key}</span>
      <span class="card-title">{item.title}</span>
      {(item.labels.length > 0 || item.assignees.length > 0 || props.comments > 0 || props.viewers.length > 0) && (
        <span class="card-meta">
          {item.labels.map((l) => (
            <span key={l} class="label">
              {l}
            </span>
          ))}
          {props.comments > 0 && (
            <span class="small muted comment-count" title={`${props.comments} comment${props.comments === 1 ? "" : "s"}`}>
              <svg viewBox="0 0 16 16" width="12" height="12" aria-hidden="true">
                <path d="M2 2h12v9H6l-3 3v-3H2z" fill="none" stroke="currentColor" stroke-width="1.5" stroke-linejoin="round" />
              </svg>
              <span class="visually-hidden">Comments: </span>
              {props.comments}
            </span>
          )}
          <span class="card-people">
            {item.assignees.map((u) => (
              <Avatar key={u} user={u} people={props.people} size="small" />
            ))}
          </span>
          {props.viewers.length > 0 && (
            <span class="viewing" data-testid="card-viewers">
              <span class="visually-hidden">Open by </span>
              {props.viewers.map((u) => (
                <Avatar key={u} user={u} people={props.people} size="small" />
              ))}
            </span>
          )}
        </span>
      )}
    </div>
    </li>
  );
}

function Composer(props: { columnName: string; onCreate: (title: string) => void }) {
  const [open, setOpen] = useState(false);
  const [title, setTitle] = useState("");
  if (!open) {
    return (
      <button type="button" class="add-card" onClick={() => setOpen(true)}>
        + Add a card<span class="visually-hidden"> to {props.columnName}</span>
      </button>
    );
  }
  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        const t = title.trim();
        if (!t) return;
        props.onCreate(t);
        setTitle("");
      }}
    >
      <label>
        <span class="visually-hidden">Title of a new card in {props.columnName}</span>
        <textarea
          rows={2}
          maxLength={500}
          ref={focusOnMount}
          placeholder="What needs doing?"
          value={title}
          onInput={(e) => setTitle(valueOf(e))}
          onKeyDown={(e) => {
            if (e.key === "Enter" && !e.shiftKey) {
              e.preventDefault();
              (e.currentTarget.form as HTMLFormElement).requestSubmit();
            }
            if (e.key === "Escape") setOpen(false);
          }}
        />
      </label>
      <div class="row">
        <button type="submit" class="primary">
          Add card
        </button>
        <button type="button" class="link" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
