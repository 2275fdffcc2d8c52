/** An organization's boards: open, create, rename, archive and restore (live through the org channel). */

import type { Schemas } from "@corkboard/client";
import { useState } from "preact/hooks";
import { allPages, errorText } from "../api.js";
import { Link, navigate } from "../router.js";
import { current, type OrgView } from "../session.js";
import { useLoad } from "../store.js";
import { ErrorLine, Field, InlineRename, useSubmit, valueOf } from "./forms.js";
import { toast } from "./Toasts.js";
import { isAdmin, orgByKey, useOrgChannel } from "./useOrg.js";

type BoardView = Schemas["BoardView"];

function allBoards(org: string): Promise<BoardView[]> {
  const { client } = current();
  return allPages((query) => client.rest.boards(org, query), (p) => p.boards);
}

export function BoardsPage(props: { orgKey: string }) {
  const org = orgByKey(props.orgKey);
  if (!org) return <NoOrg orgKey={props.orgKey} />;
  return <OrgBoards key={org.id} org={org} />;
}

function OrgBoards({ org }: { org: OrgView }) {
  const boards = useLoad(() => allBoards(org.id), [org.id]);
  const [showArchived, setShowArchived] = useState(false);
  useOrgChannel(org, () => boards.reload());
  const list = (boards.data ?? []).filter((b) => b.archived === showArchived);
  return (
    <main class="page">
      <div class="page-head">
        <h1>{org.name} boards</h1>
        <label class="check">
          <input type="checkbox" checked={showArchived} onChange={(e) => setShowArchived((e.currentTarget as HTMLInputElement).checked)} />
          Show archived boards
        </label>
      </div>
      {boards.error !== undefined && <ErrorLine error={boards.error} />}
      {boards.loading && !boards.data && <p class="muted">Loading boards…</p>}
      {boards.data && list.length === 0 && (
        <p class="muted">{showArchived ? "No archived boards." : isAdmin(org.role) ? "No boards yet: create the first one below." : "No boards yet: an admin of the organization creates them."}</p>
      )}
      <ul class="board-list">
        {list.map((b) => (
          <BoardRow key={b.id} board={b} orgKey={org.key} manage={isAdmin(org.role)} onChanged={boards.reload} />
        ))}
      </ul>
      {isAdmin(org.role) && !showArchived && <CreateBoard orgId={org.id} orgKey={org.key} />}
    </main>
  );
}

/** A board in the list; `manage` (admins and owners) renames, archives and restores it. */
function BoardRow(props: { board: BoardView; orgKey: string; manage: boolean; onChanged: () => void }) {
  const { client } = current();
  const b = props.board;
  const [renaming, setRenaming] = useState(false);
  const run = (action: () => Promise<unknown>) =>
    action().then(props.onChanged, (e: unknown) => toast(errorText(e)));
  return (
    <li class="board-row">
      {renaming ? (
        <InlineRename
          label="Board name"
          value={b.name}
          maxLength={100}
          onClose={() => setRenaming(false)}
          onSave={(name) => run(() => client.rest.call("patch", "/api/v1/boards/{board}", { path: { board: b.id }, body: { name } }))}
        />
      ) : (
        <Link href={`/o/${props.orgKey}/b/${b.id}`} class="board-link">
          {b.name}
        </Link>
      )}
      <span class="muted small">{b.seq} changes · updated {new Date(b.updated_at).toLocaleDateString()}</span>
      {props.manage && !renaming && !b.archived && (
        <span class="row-actions">
          <button type="button" class="link" onClick={() => setRenaming(true)} aria-label={`Rename board ${b.name}`}>
            Rename
          </button>
          <button type="button" class="link danger" onClick={() => run(() => client.rest.call("post", "/api/v1/boards/{board}/archive", { path: { board: b.id } }))} aria-label={`Archive board ${b.name}`}>
            Archive
          </button>
        </span>
      )}
      {props.manage && b.archived && (
        <button type="button" class="link" onClick={() => run(() => client.rest.call("post", "/api/v1/boards/{board}/restore", { path: { board: b.id } }))} aria-label={`Restore board ${b.name}`}>
          Restore
        </button>
      )}
    </li>
  );
}

function CreateBoard(props: { orgId: string; orgKey: string }) {
  const [name, setName] = useState("");
  const form = useSubmit(async () => {
    const { client } = current();
    const created = await client.rest.call("post", "/api/v1/orgs/{org}/boards", { path: { org: props.orgId }, body: { name: name.trim() } });
    navigate(`/o/${props.orgKey}/b/${created.board.id}`);
  });
  return (
    <form class="card-form inline" onSubmit={form.onSubmit} aria-label="New board">
      <h2>New board</h2>
      <Field label="Board name" hint="It starts with the columns To do, In progress and Done.">
        <input name="board-name" required maxLength={100} value={name} onInput={(e) => setName(valueOf(e))} />
      </Field>
      <ErrorLine error={form.error} />
      <button type="submit" class="primary" disabled={form.busy}>
        Create board
      </button>
    </form>
  );
}

export function NoOrg(props: { orgKey: string }) {
  return (
    <main class="page">
      <h1>No such organization</h1>
      <p>You are not a member of an organization with the key {props.orgKey}.</p>
      <Link href="/">Go to your boards</Link>
    </main>
  );
}
