/**
 * A board, live: columns and cards from `client.board(id)` (confirmed
 * state plus this tab's pending commands), presence, moves by pointer and
 * keyboard, and the card panel. A refused command snaps back by itself
 * (its prediction is dropped) and a toast says why.
 */

import { CommandRejected, isProvisional, type BoardHandle, type Command, type Item } from "@corkboard/client";
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { errorText } from "../../api.js";
import { Link, navigate } from "../../router.js";
import { current, reloadMe, type OrgView } from "../../session.js";
import { NoOrg } from "../Boards.js";
import { InlineRename, valueOf } from "../forms.js";
import { usePeople } from "../people.js";
import { announce, toast } from "../Toasts.js";
import { canEdit, isAdmin, orgByKey } from "../useOrg.js";
import { CardPanel } from "./CardPanel.js";
import { ColumnBox, type CardHandlers } from "./Column.js";
import { followPointer, type PointerDrag } from "./drag.js";
import { moveKeys } from "./keyboard.js";
import { cardKey, columnsOf, findCard, isNoMove, moveIndex, type Target } from "./model.js";
import { others, PresenceBar, viewersByItem } from "./Presence.js";
import { refusalText } from "./words.js";

export function BoardPage(props: { orgKey: string; boardId: string; card?: string }) {
  // Once shown, a board keeps its organization: when I am removed, the
  // account reloads without it, and the page must still say why.
  const seen = useRef<OrgView | undefined>(undefined);
  const org = orgByKey(props.orgKey) ?? (seen.current?.key === props.orgKey ? seen.current : undefined);
  seen.current = org;
  if (!org) return <NoOrg orgKey={props.orgKey} />;
  return <LiveBoard key={props.boardId} org={org} boardId={props.boardId} card={props.card} />;
}

/** Re-renders on the handle's changes, status and presence. */
function useBoard(boardId: string): BoardHandle {
  const { client } = current();
  const handle = useMemo(() => client.board(boardId), [boardId]);
  const [, setTick] = useState(0);
  useEffect(() => {
    const rerender = () => setTick((t) => t + 1);
    const offs = [handle.on("change", rerender), handle.on("status", rerender), handle.on("presence", rerender)];
    const offRejected = handle.on("rejected", (e) => toast(refusalText(e, handle.state)));
    return () => {
      offs.forEach((off) => off());
      offRejected();
      handle.close();
    };
  }, [handle]);
  return handle;
}

function LiveBoard(props: { org: OrgView; boardId: string; card: string | undefined }) {
  const { client, me } = current();
  const { org } = props;
  const handle = useBoard(props.boardId);
  const channel = useMemo(() => client.org(org.id), [org.id]);
  useEffect(() => {
    // A role change of mine (made read-only, or made an editor) shows at once.
    const off = channel.on("change", ({ event }) => {
      if (event?.type === "member_role_changed" && event.user === me.id) void reloadMe().catch(() => undefined);
    });
    return () => {
      off();
      channel.close();
    };
  }, [channel]);
  const people = usePeople(org.id, channel);
  const [drag, setDrag] = useState<PointerDrag | null>(null);
  const [picked, setPicked] = useState<Target | null>(null);
  const focusAfter = useRef<string | null>(null);

  useEffect(() => {
    if (!picked) return;
    const put = () => {
      setPicked(null);
      announce("Move cancelled.");
    };
    const onFocus = (e: FocusEvent) => {
      const el = e.target as HTMLElement | null;
      if (el?.dataset?.item !== picked.item) put();
    };
    const onPointer = () => put();
    document.addEventListener("focusin", onFocus);
    document.addEventListener("pointerdown", onPointer, true);
    return () => {
      document.removeEventListener("focusin", onFocus);
      document.removeEventListener("pointerdown", onPointer, true);
    };
  }, [picked?.item]);

  const board = handle.state;
  // Cards: members and up. The board's structure (columns, WIP limits,
  // its name): admins and owners, as the server decides.
  const editable = canEdit(org.role) && !!board && !board.archived;
  const manage = isAdmin(org.role) && !!board && !board.archived;
  // A picked card that can no longer move (archived, gone, my role lowered) is put back.
  const pickedItem = picked && board ? board.items[picked.item] : undefined;
  if (picked && (!editable || !pickedItem || pickedItem.archived)) {
    setPicked(null);
  }
  const target = drag?.target ?? (picked && editable && pickedItem && !pickedItem.archived ? picked : null);
  const columns = useMemo(() => (board ? columnsOf(board, target) : []), [board, handle.seq, handle.pending.length, target]);
  const session = client.session;

  // The card that had focus moves to another list on a keyboard move: keep
  // focus on it, in the same commit (a key pressed next must reach it).
  useLayoutEffect(() => {
    const id = focusAfter.current;
    if (!id) return;
    focusAfter.current = null;
    const el = document.querySelector<HTMLElement>(`[data-item="${CSS.escape(id)}"]`);
    // A card that is not shown (archived from its panel) leaves the focus on the board.
    const to = el ?? document.querySelector<HTMLElement>(".board-head h1");
    if (to && document.activeElement !== to) to.focus();
  });

  useEffect(() => {
    if (board) document.title = `${board.name} · ${org.key} · Corkboard`;
  }, [board?.name]);

  // The card panel's card, and presence saying which card this tab has open.
  const openCard = board && props.card ? findCard(board, org.key, props.card) : undefined;
  useEffect(() => {
    handle.setPresence(openCard ? { item: openCard.id } : {});
  }, [openCard?.id, handle]);

  // Losing access (removed from the org, role gone) ends the subscription: say so and refresh the org list.
  const lost = (handle.status === "unsubscribed" || handle.status === "failed") && handle.error;
  useEffect(() => {
    if (lost) void reloadMe().catch(() => undefined);
  }, [!!lost]);

  const send = (command: Command) => {
    handle.send(command).catch((e: unknown) => {
      // Refusals by a rule are shown by the board's `rejected` listener.
      if (!(e instanceof CommandRejected)) toast(errorText(e));
    });
  };

  const drop = (t: Target | null) => {
    // The board now, not as it was when the drag began.
    const now = handle.state;
    if (!now || !t) return;
    const item = now.items[t.item];
    if (!item || isProvisional(t.column) || isNoMove(now, t)) return;
    const index = moveIndex(now, t.item, t.column, t.before);
    send({ type: "move_item", item: t.item, column: t.column, ...(index === undefined ? {} : { index }) });
  };

  const open = (item: Item) => navigate(`/o/${org.key}/b/${props.boardId}/${cardKey(org.key, item)}`);

  const handlers: CardHandlers = {
    onPointerDown: (e, item) => {
      if (e.button !== 0 || !editable || isProvisional(item.id)) return;
      followPointer(e, e.currentTarget as HTMLElement, item.id, setDrag, (t) => {
        setDrag(null);
        drop(t);
      });
    },
    onKeyDown: (e, item) => {
      if (!board) return;
      if (e.key === "Enter" && !picked) {
        e.preventDefault();
        if (!isProvisional(item.id)) open(item);
        return;
      }
      if (!editable || isProvisional(item.id)) return;
      const result = moveKeys(e.key, item, picked, columns, org.key);
      if (!result) return;
      e.preventDefault();
      focusAfter.current = item.id;
      if (result.kind === "pick" || result.kind === "move") setPicked(result.target);
      if (result.kind === "drop") {
        setPicked(null);
        drop(result.target);
      }
      if (result.kind === "cancel") setPicked(null);
      announce(result.say);
    },
    onOpen: (item) => {
      if (!picked && !isProvisional(item.id)) open(item);
    },
  };

  if (lost) {
    return (
      <main class="page">
        <h1>This board is not available</h1>
        <p role="alert" data-testid="board-lost">
          {handle.error?.code === "access_lost" || handle.error?.code === "forbidden"
            ? "You no longer have access to this board: you were removed from its organization, or your role changed."
            : handle.error?.code === "not_found"
              ? "There is no such board."
              : errorText(handle.error)}
        </p>
        <Link href="/">Go to your boards</Link>
      </main>
    );
  }
  if (!board) {
    return (
      <main class="page" aria-busy="true">
        <p class="muted">Loading the board…</p>
      </main>
    );
  }

  const comments = new Map<string, number>();
  for (const c of Object.values(board.comments ?? {})) comments.set(c.item, (comments.get(c.item) ?? 0) + 1);
  const viewers = viewersByItem(handle, session);
  const moving = drag?.target.item ?? null;
  return (
    <main class="board-page" data-testid="board" data-seq={handle.seq}>
      <BoardHeader handle={handle} org={org} editable={manage} send={send} presence={<PresenceBar entries={others(handle, session)} people={people} cardTitle={(id) => board.items[id]?.title} />} />
      {!canEdit(org.role) && <p class="notice">You are a viewer in {org.name}: this board is read-only.</p>}
      {board.archived && (
        <p class="notice">This board is archived{isAdmin(org.role) ? ": restore it from the boards list to change it." : ". An admin can restore it."}</p>
      )}
      <p id="card-help" class="visually-hidden">
        Press Enter to open the card. Press Space to pick it up, arrow keys to move it, Space again to drop it, Escape to cancel.
      </p>
      <div class="columns">
        {columns.map((view, i) => (
          <ColumnBox
            key={view.id}
            view={view}
            index={i}
            count={columns.length}
            orgKey={org.key}
            editable={editable}
            manage={manage}
            people={people}
            viewers={viewers}
            comments={comments}
            moving={moving}
            picked={picked?.item ?? null}
            handlers={handlers}
            send={send}
          />
        ))}
        {manage && <AddColumn send={send} />}
      </div>
      {drag && board.items[drag.target.item] && (
        <div class="card card-ghost" aria-hidden="true" style={{ transform: `translate(${drag.x}px, ${drag.y}px)`, width: `${drag.width}px` }}>
          <span class="card-key">{cardKey(org.key, board.items[drag.target.item]!)}</span>
          <span class="card-title">{board.items[drag.target.item]!.title}</span>
        </div>
      )}
      {props.card && (
        <CardPanel
          key={props.card}
          handle={handle}
          org={org}
          cardRef={props.card}
          item={openCard}
          people={people}
          editable={editable}
          me={me.id}
          send={send}
          onClose={() => {
            if (openCard) focusAfter.current = openCard.id;
            navigate(`/o/${org.key}/b/${props.boardId}`);
          }}
        />
      )}
    </main>
  );
}

function BoardHeader(props: { handle: BoardHandle; org: OrgView; editable: boolean; send: (c: Command) => void; presence: preact.ComponentChildren }) {
  const board = props.handle.state!;
  const [renaming, setRenaming] = useState(false);
  return (
    <div class="board-head">
      <Link href={`/o/${props.org.key}`} class="back">
        ← Boards
      </Link>
      {renaming ? (
        <InlineRename label="Board name" value={board.name} maxLength={100} onClose={() => setRenaming(false)} onSave={(name) => props.send({ type: "rename_board", name })} />
      ) : (
        <h1 tabIndex={-1}>
          {board.name}
          {props.editable && (
            <button type="button" class="link small" onClick={() => setRenaming(true)}>
              Rename<span class="visually-hidden"> board</span>
            </button>
          )}
        </h1>
      )}
      <div class="spacer" />
      <ArchivedCards handle={props.handle} org={props.org} />
      {props.presence}
    </div>
  );
}

/** The board's archived cards, to open (and restore from the panel). */
function ArchivedCards(props: { handle: BoardHandle; org: OrgView }) {
  const board = props.handle.state!;
  const archived = Object.values(board.items)
    .filter((i) => i.archived)
    .sort((a, b) => b.updated_at - a.updated_at);
  if (archived.length === 0) return null;
  return (
    <details class="menu archived-cards" data-testid="archived-cards">
      <summary>Archived cards ({archived.length})</summary>
      <ul class="menu-body">
        {archived.map((item) => (
          <li key={item.id}>
            <Link href={`/o/${props.org.key}/b/${board.id}/${cardKey(props.org.key, item)}`}>
              {cardKey(props.org.key, item)} {item.title}
            </Link>
          </li>
        ))}
      </ul>
    </details>
  );
}

function AddColumn(props: { send: (c: Command) => void }) {
  const [name, setName] = useState("");
  return (
    <form
      class="add-column"
      onSubmit={(e) => {
        e.preventDefault();
        if (!name.trim()) return;
        props.send({ type: "add_column", name: name.trim() });
        setName("");
      }}
    >
      <label>
        <span class="visually-hidden">New column name</span>
        <input placeholder="New column" maxLength={50} value={name} onInput={(e) => setName(valueOf(e))} />
      </label>
      <button type="submit">Add column</button>
    </form>
  );
}
