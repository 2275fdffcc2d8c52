/**
 * The card panel: title, description, column, assignees, labels,
 * archive/restore, comments and the card's history. Every change is a
 * board command (shown at once, confirmed or snapped back by the server);
 * comments and history are read over REST and reloaded when the board's
 * events touch this card.
 */

import type { BoardHandle, Command, Event, Item, Recorded, Schemas } from "@corkboard/client";
import { useEffect, useRef, useState } from "preact/hooks";
import { allPages, errorText } from "../../api.js";
import type { OrgView } from "../../session.js";
import { current } from "../../session.js";
import { valueOf } from "../forms.js";
import { nameOf, type People } from "../people.js";
import { toast } from "../Toasts.js";
import { describe, when } from "./history.js";
import { cardKey } from "./model.js";
import { Avatar } from "./Presence.js";

type CommentView = Schemas["CommentView"];
type Entry = Schemas["Entry"];

/** Most history entries shown for one card. */
const HISTORY_MAX = 200;

function touches(event: Event, item: string, comments: Set<string>): boolean {
  return ("item" in event && event.item === item) || ("comment" in event && comments.has(event.comment));
}

export function CardPanel(props: {
  handle: BoardHandle;
  org: OrgView;
  cardRef: string;
  item: Item | undefined;
  people: People;
  editable: boolean;
  me: string;
  send: (c: Command) => void;
  onClose: () => void;
}) {
  const { item } = props;
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      // An Escape something else used (a drag, a picked card) is not for the panel.
      if (e.defaultPrevented) return;
      if (e.key === "Escape" && !(e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement)) props.onClose();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
  return (
    <aside class="panel" role="dialog" aria-modal="false" aria-labelledby="panel-title" data-testid="card-panel">
      <div class="panel-head">
        <h2 id="panel-title" tabIndex={-1} ref={heading}>
          {item ? cardKey(props.org.key, item) : props.cardRef}
        </h2>
        {item?.archived && <span class="badge">Archived</span>}
        <div class="spacer" />
        <button type="button" class="icon" aria-label="Close card" onClick={props.onClose}>
          ×
        </button>
      </div>
      {item ? <CardBody {...props} item={item} /> : <p class="muted">There is no card {props.cardRef} on this board.</p>}
    </aside>
  );
}

function CardBody(props: Parameters<typeof CardPanel>[0] & { item: Item }) {
  const { item, handle, people } = props;
  const board = handle.state!;
  const editable = props.editable && !item.archived;
  const [title, setTitle] = useState(item.title);
  const [description, setDescription] = useState(item.description);
  const [label, setLabel] = useState("");
  useEffect(() => setTitle(item.title), [item.title]);
  useEffect(() => setDescription(item.description), [item.description]);

  const saveTitle = () => {
    const t = title.trim();
    if (t && t !== item.title) props.send({ type: "edit_item", item: item.id, title: t });
    else setTitle(item.title);
  };
  const candidates = [...people.values()].filter((m) => !item.assignees.includes(m.user_id)).sort((a, b) => a.name.localeCompare(b.name));

  return (
    <div class="panel-body">
      <label class="field">
        <span class="field-label">Title</span>
        <input
          class="title-input"
          value={title}
          maxLength={500}
          readOnly={!editable}
          onInput={(e) => setTitle(valueOf(e))}
          onBlur={saveTitle}
          onKeyDown={(e) => {
            if (e.key === "Enter") {
              e.preventDefault();
              saveTitle();
            }
          }}
        />
      </label>
      <label class="field">
        <span class="field-label">Description</span>
        <textarea
          rows={5}
          value={description}
          readOnly={!editable}
          maxLength={10_000}
          onInput={(e) => setDescription(valueOf(e))}
          // Leaving the field saves it, as the title does: closing the panel loses nothing.
          onBlur={() => editable && description !== item.description && props.send({ type: "edit_item", item: item.id, description })}
          onKeyDown={(e) => {
            if (e.key === "Escape") {
              e.preventDefault();
              setDescription(item.description);
            }
          }}
        />
      </label>
      {editable && description !== item.description && (
        <div class="row">
          <button type="button" class="primary" onClick={() => props.send({ type: "edit_item", item: item.id, description })}>
            Save description
          </button>
        </div>
      )}
      <label class="field">
        <span class="field-label">Column</span>
        <select
          value={item.column}
          disabled={!editable}
          onChange={(e) => props.send({ type: "move_item", item: item.id, column: (e.currentTarget as HTMLSelectElement).value })}
        >
          {board.columns.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name}
            </option>
          ))}
        </select>
      </label>

      <section aria-labelledby="assignees-title">
        <h3 id="assignees-title">Assignees</h3>
        <ul class="chips">
          {item.assignees.length === 0 && <li class="muted small">Nobody</li>}
          {item.assignees.map((u) => (
            <li key={u} class="chip">
              <Avatar user={u} people={people} size="small" /> {nameOf(people, u)}
              {editable && (
                <button type="button" class="icon" aria-label={`Unassign ${nameOf(people, u)}`} onClick={() => props.send({ type: "unassign_item", item: item.id, user: u })}>
                  ×
                </button>
              )}
            </li>
          ))}
        </ul>
        {editable && candidates.length > 0 && (
          <label class="field inline">
            <span class="field-label">Assign</span>
            <select
              value=""
              aria-label="Assign a member"
              onChange={(e) => {
                const user = (e.currentTarget as HTMLSelectElement).value;
                if (user) props.send({ type: "assign_item", item: item.id, user });
              }}
            >
              <option value="">Choose a member…</option>
              {candidates.map((m) => (
                <option key={m.user_id} value={m.user_id}>
                  {m.name}
                </option>
              ))}
            </select>
          </label>
        )}
      </section>

      <section aria-labelledby="labels-title">
        <h3 id="labels-title">Labels</h3>
        <ul class="chips">
          {item.labels.length === 0 && <li class="muted small">None</li>}
          {item.labels.map((l) => (
            <li key={l} class="chip label">
              {l}
              {editable && (
                <button type="button" class="icon" aria-label={`Remove label ${l}`} onClick={() => props.send({ type: "remove_label", item: item.id, label: l })}>
                  ×
                </button>
              )}
            </li>
          ))}
        </ul>
        {editable && (
          <form
            class="inline-form"
            onSubmit={(e) => {
              e.preventDefault();
              const l = label.trim();
              if (l) props.send({ type: "add_label", item: item.id, label: l });
              setLabel("");
            }}
          >
            <label>
              <span class="visually-hidden">New label</span>
              <input placeholder="Add a label" maxLength={50} value={label} onInput={(e) => setLabel(valueOf(e))} />
            </label>
            <button type="submit">Add</button>
          </form>
        )}
      </section>

      {props.editable && (
        <div class="row">
          {item.archived ? (
            <button type="button" onClick={() => props.send({ type: "restore_item", item: item.id })}>
              Restore card
            </button>
          ) : (
            <button type="button" class="danger" onClick={() => props.send({ type: "archive_item", item: item.id })}>
              Archive card
            </button>
          )}
        </div>
      )}
      <Activity {...props} />
    </div>
  );
}

/**
 * Comments and history of the card: read once over REST (the whole
 * history of the item, the newest {@link HISTORY_MAX} kept), then kept
 * current from the board's confirmed events, which carry everything both
 * need — no request per change. Events that arrive while the first read
 * is under way are applied after it (each applies idempotently).
 */
function Activity(props: Parameters<typeof CardPanel>[0] & { item: Item }) {
  const { client } = current();
  const { item, handle, people } = props;
  const [comments, setComments] = useState<CommentView[] | null>(null);
  const [history, setHistory] = useState<Entry[] | null>(null);
  const [draft, setDraft] = useState("");
  const [editing, setEditing] = useState<{ id: string; body: string } | null>(null);
  const [round, setRound] = useState(0);

  useEffect(() => {
    let live = true;
    let loaded = false;
    const byId = new Map<string, CommentView>();
    let entries: Entry[] = [];
    const buffered: Recorded[] = [];
    const publish = () => {
      if (!live) return;
      setComments([...byId.values()].sort((a, b) => a.seq - b.seq));
      setHistory(entries.slice(-HISTORY_MAX).reverse());
    };
    const apply = (r: Recorded) => {
      const e = r.event;
      // Decided before the comment map changes: a deleted comment was this card's.
      const concerns = touches(e, item.id, new Set(byId.keys()));
      if (e.type === "comment_added" && e.item === item.id && !byId.has(e.comment)) {
        byId.set(e.comment, { id: e.comment, item_id: e.item, author: r.by, body: e.body, created_at: r.at, updated_at: r.at, seq: r.seq });
      } else if (e.type === "comment_edited" && byId.has(e.comment)) {
        byId.set(e.comment, { ...byId.get(e.comment)!, body: e.body, updated_at: r.at });
      } else if (e.type === "comment_deleted") {
        byId.delete(e.comment);
      }
      const last = entries[entries.length - 1];
      if (concerns && (!last || r.seq > last.seq)) {
        entries.push({ seq: r.seq, at: r.at, by: r.by, event: e as Entry["event"], command_id: r.command_id ?? null });
      }
    };
    const off = handle.on("change", ({ cause, events }) => {
      // A reset (a gap the server could not fill) may have skipped events: read again.
      if (cause === "reset") {
        setRound((r) => r + 1);
        return;
      }
      if (cause !== "events") return;
      for (const r of events) (loaded ? apply : (x: Recorded) => buffered.push(x))(r);
      if (loaded) publish();
    });
    (async () => {
      for (const c of await allPages((query) => client.rest.comments(handle.id, item.id, query), (p) => p.comments)) byId.set(c.id, c);
      for await (const entry of client.rest.allHistory(handle.id, 0, item.id)) entries.push(entry);
      loaded = true;
      for (const r of buffered) apply(r);
      publish();
    })().catch((e: unknown) => live && toast(errorText(e)));
    return () => {
      live = false;
      off();
    };
  }, [handle, item.id, round]);

  const canComment = props.editable && !item.archived;
  return (
    <>
      <section aria-labelledby="comments-title">
        <h3 id="comments-title">Comments</h3>
        {comments === null && <p class="muted small">Loading comments…</p>}
        {comments?.length === 0 && <p class="muted small">No comments yet.</p>}
        <ul class="comments">
          {comments?.map((c) => (
            <li key={c.id} class="comment">
              <div class="comment-head">
                <Avatar user={c.author} people={people} size="small" />
                <strong>{nameOf(people, c.author)}</strong>
                <time class="muted small" dateTime={new Date(c.created_at).toISOString()}>
                  {when(c.created_at)}
                </time>
                {c.author === props.me && canComment && editing?.id !== c.id && (
                  <span class="row-actions">
                    <button type="button" class="link small" onClick={() => setEditing({ id: c.id, body: c.body })}>
                      Edit
                    </button>
                    <button type="button" class="link small danger" onClick={() => props.send({ type: "delete_comment", comment: c.id })}>
                      Delete
                    </button>
                  </span>
                )}
              </div>
              {editing?.id === c.id ? (
                <form
                  class="comment-form"
                  onSubmit={(e) => {
                    e.preventDefault();
                    if (editing.body.trim()) props.send({ type: "edit_comment", comment: c.id, body: editing.body.trim() });
                    setEditing(null);
                  }}
                >
                  <label>
                    <span class="visually-hidden">Edit your comment</span>
                    <textarea rows={3} value={editing.body} onInput={(e) => setEditing({ id: c.id, body: valueOf(e) })} />
                  </label>
                  <div class="row">
                    <button type="submit" class="primary">
                      Save
                    </button>
                    <button type="button" class="link" onClick={() => setEditing(null)}>
                      Cancel
                    </button>
                  </div>
                </form>
              ) : (
                <p class="comment-body">{c.body}</p>
              )}
            </li>
          ))}
        </ul>
        {canComment && (
          <form
            class="comment-form"
            onSubmit={(e) => {
              e.preventDefault();
              const body = draft.trim();
              if (!body) return;
              props.send({ type: "add_comment", item: item.id, body });
              setDraft("");
            }}
          >
            <label>
              <span class="visually-hidden">Write a comment</span>
              <textarea rows={3} placeholder="Write a comment…" maxLength={10_000} value={draft} onInput={(e) => setDraft(valueOf(e))} />
            </label>
            <button type="submit" class="primary">
              Comment
            </button>
          </form>
        )}
      </section>
      <section aria-labelledby="history-title">
        <h3 id="history-title">History</h3>
        {history === null && <p class="muted small">Loading history…</p>}
        <ol class="history" data-testid="history">
          {history?.map((h) => (
            <li key={h.seq}>
              <strong>{nameOf(people, h.by)}</strong> {describe(h.event as Event, handle.state!, people)}{" "}
              <time class="muted small" dateTime={new Date(h.at).toISOString()}>
                {when(h.at)}
              </time>
            </li>
          ))}
        </ol>
      </section>
    </>
  );
}
